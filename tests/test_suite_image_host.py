"""Where URL cases' images come from for a served target, and what a skip says when none can be had."""

from __future__ import annotations

import httpx
import pytest

from pytest_idclassify._serve import free_port
from pytest_idclassify.cases import Case, UrlImage, gate_cases
from pytest_idclassify.errors import ConfigurationError, TransportError
from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.suite import SuiteConfig, open_target, resolve
from pytest_idclassify.suite._imagehost import is_loopback, parse_image_host
from pytest_idclassify.suite._urlhost import LoopbackImageServer, UploadHookHost

#: a documentation address (RFC 5737): never contacted, since these tests only ask what would be sent.
REMOTE = "http://192.0.2.10:8080"
ENVIRON = {"IDCLASSIFY_TOKEN": "a-token"}


def _url_cases() -> list[Case]:
    return [c for c in gate_cases(sample=0) if "url-server" in c.needs]


def _reasons(**options: str) -> set[str]:
    config = SuiteConfig(target="live", base_url=options.pop("base_url", REMOTE), project_id="p1", **options)  # type: ignore[arg-type]
    with open_target(config, ENVIRON) as target:
        return {target.missing(case) or "" for case in _url_cases()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("192.168.1.20", ("192.168.1.20", 0)), ("192.168.1.20:8765", ("192.168.1.20", 8765)),
     ("[fd00::1]:8765", ("fd00::1", 8765)), ("fd00::1", ("fd00::1", 0)), ("build-host.lan", ("build-host.lan", 0))],
)  # fmt: skip
def test_image_host_spellings(text: str, expected: tuple[str, int]) -> None:
    assert parse_image_host(text) == expected


@pytest.mark.parametrize(("text", "says"), [("0.0.0.0:8765", "wildcard"), ("[::]", "wildcard"),
                                             ("host:port", "not HOST[:PORT]"), ("http://host/x", "not HOST[:PORT]"),
                                             (":8765", "not HOST[:PORT]")])  # fmt: skip
def test_a_bad_image_host_is_a_configuration_error_naming_where_it_came_from(text: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match="IDCLASSIFY_IMAGE_HOST=") as raised:
        resolve({}, {}, {"IDCLASSIFY_IMAGE_HOST": text})
    assert says in str(raised.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "api.localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.1", "example.com", "localhost.example.com"])
def test_hosts_that_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])
def test_a_loopback_target_gets_the_suites_own_image_server_with_no_option(base_url: str) -> None:
    assert _reasons(base_url=base_url) == {""}


def test_a_remote_target_without_an_image_host_skips_url_cases_saying_what_to_pass() -> None:
    (reason,) = _reasons()
    assert "192.0.2.10" in reason and "--idclassify-image-host" in reason and "--idclassify-upload-hook" in reason


@pytest.mark.parametrize(("given", "lacking"), [("public_base_url", "--idclassify-upload-hook"),
                                                ("upload_hook", "--idclassify-public-base-url")])  # fmt: skip
def test_half_of_the_upload_pair_names_the_half_that_is_missing_not_the_one_given(given: str, lacking: str) -> None:
    (reason,) = _reasons(**{given: "https://images.example.com" if given == "public_base_url" else "m:f"})
    given_flag = "--idclassify-" + given.replace("_", "-")
    assert f"{given_flag} was given without {lacking}" in reason
    assert f"pass {given_flag}" not in reason


def test_an_upload_hook_alone_skips_only_what_it_cannot_stand_for_and_says_which() -> None:
    reasons = _reasons(public_base_url="https://images.example.com", upload_hook="json:dumps")
    assert "" in reasons  # the well-behaved URLs run through the hook
    odd = reasons - {""}
    assert odd and all("an upload hook cannot make" in r and "--idclassify-image-host" in r for r in odd)
    assert not any("--idclassify-upload-hook" in r for r in odd)


def test_an_image_host_serves_every_url_case_on_the_address_given_and_fetchably(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # this test's own worker must not shift the port
    port = free_port()
    config = SuiteConfig(target="live", base_url=REMOTE, project_id="p1", image_host=f"127.0.0.1:{port}")
    with open_target(config, ENVIRON) as target:
        assert {target.missing(case) for case in _url_cases()} == {None}
        assert isinstance(target.url_host, LoopbackImageServer)
        url = target.url_host.url_for(UrlImage(ImageRecipe(format="png", width=20, height=30), "/证件.png"))
        assert url.startswith(f"http://127.0.0.1:{port}/img/")
        answer = httpx.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"


def test_an_image_host_that_is_not_this_machines_is_a_usage_error_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # this test's own worker must not shift the port
    with pytest.raises(ConfigurationError, match=r"--idclassify-image-host='192\.0\.2\.99:8765'.*cannot listen"):
        resolve({"image-host": "192.0.2.99:8765"}, {}, {})
    # Built without resolving, the target says the same when it starts its image server.
    config = SuiteConfig(target="live", base_url=REMOTE, project_id="p1", image_host="192.0.2.99:8765")
    with pytest.raises(ConfigurationError, match=r"cannot listen on 192\.0\.2\.99:8765"), open_target(config, ENVIRON):
        pass


def test_with_both_an_image_host_and_a_hook_the_hook_uploads_and_the_server_serves_the_rest() -> None:
    config = SuiteConfig(target="live", base_url=REMOTE, project_id="p1", image_host="127.0.0.1",
                         public_base_url="https://images.example.com", upload_hook="json:dumps")  # fmt: skip
    with open_target(config, ENVIRON) as target:
        assert isinstance(target.url_host, UploadHookHost)
        assert {target.missing(case) for case in _url_cases()} == {None}


def test_a_replay_call_no_cassette_answers_ends_unreachable_without_a_socket() -> None:
    # Replay answers from cassettes alone: a call outside one fails at once, as an unreachable target,
    # and says why rather than "connection refused".
    case = next(c for c in gate_cases(sample=0) if c.clause == "request.data.base64-max")
    with open_target(SuiteConfig(target="replay")) as target, pytest.raises(TransportError) as raised:
        target.send(case.calls[0])
    assert "replay opens no connection: no cassette answered this call" in str(raised.value)
