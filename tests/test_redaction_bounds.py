"""The redaction policy's memory of learned values is bounded, and a server's logs teach it nothing."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from pytest_idclassify.emulator import create_app
from pytest_idclassify.redaction import REDACTED, RedactionPolicy, default_policy
from pytest_idclassify.redaction._logging import RedactingFilter
from pytest_idclassify.redaction._policy import MAX_LEARNED


def _userinfo_url(user: str) -> str:
    return f"http://{user}@images.example.invalid/card.jpg"


def test_a_policy_keeps_the_newest_learned_values_and_every_given_one() -> None:
    policy = RedactionPolicy(["GivenSecret-0000000000"], from_environment=False)
    learned = [f"learned-user-{i:06d}" for i in range(MAX_LEARNED + 50)]
    for user in learned[:-1]:
        policy.add(user)  # as redacting a text that names it would
    assert policy.redact_url(_userinfo_url(learned[-1])) == _userinfo_url("%5BREDACTED%5D")
    assert len(policy) <= MAX_LEARNED + 1
    text = f"{learned[0]} {learned[-1]} GivenSecret-0000000000"
    # The oldest learned value is forgotten; the newest, and the value the policy was given, are not.
    assert policy.redact_text(text) == f"{learned[0]} {REDACTED} {REDACTED}"


def test_not_learning_redacts_what_it_finds_without_keeping_it() -> None:
    policy = RedactionPolicy(from_environment=False)
    with policy.not_learning():
        assert policy.redact_url(_userinfo_url("client-chosen-words")) == _userinfo_url("%5BREDACTED%5D")
    assert len(policy) == 0 and policy.redact_text("client-chosen-words") == "client-chosen-words"
    policy.redact_url(_userinfo_url("client-chosen-words"))
    assert policy.redact_text("client-chosen-words") == REDACTED  # outside it, the policy learns as before


def test_what_clients_send_the_emulator_does_not_join_the_process_policy() -> None:
    # A URL's userinfo, journaled by the emulator, would otherwise be hidden from every later log line.
    app = create_app()
    url = "http://emulator/v2/0123456789abcdef0123456789abcdef/ocr/auto-id-doc-classification"
    chosen = "10.9.8.77:41234"

    async def send() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            for user in (chosen, "classification", *(f"random-user-{i}" for i in range(50))):
                body = {"url": _userinfo_url(user)}
                await client.post(url, json=body, headers={"X-Auth-Token": "idclassify-emulator-token"})

    before = len(default_policy())
    asyncio.run(send())
    assert len(default_policy()) == before
    line = f'{chosen} - "POST /v2/x/ocr/auto-id-doc-classification HTTP/1.1" 200 OK'
    assert default_policy().redact_text(line) == line
    assert all(entry.url and chosen not in entry.url for entry in app.state.journal)


def test_a_servers_log_filter_redacts_without_learning() -> None:
    server_filter = RedactingFilter()
    server_filter.learns = False
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "GET %s", ("/a?token=log-line-secret-1",), None
    )
    before = len(default_policy())
    server_filter.filter(record)
    assert "log-line-secret-1" not in record.getMessage() and len(default_policy()) == before


def _decodable(text: str) -> list[bytes]:
    """Everything the base64 runs left in ``text`` decode to, at each of the four character offsets."""
    import base64
    import re

    out = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        run = run.replace("-", "+").replace("_", "/")
        for skip in range(4):
            usable = run[skip:][: len(run[skip:]) // 4 * 4]
            out.append(base64.b64decode(usable) if usable else b"")
    return out


@pytest.mark.parametrize("before", ["", "u", "us", '{"t":"'])
def test_a_remembered_value_is_replaced_where_base64_carries_it(before: str) -> None:
    import base64

    # The second encodes with "+" and "/" at every offset, so the URL-safe alphabet differs.
    secret, other = "B64CanaryToken-7Xw9Vb3Nm2Lk8Jh", "B64Canary>>>?~~~~~?>>>SecretKey"
    policy = RedactionPolicy([secret, other], from_environment=False)
    message = f'{before}{secret}","sk":"{other}"}}'.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for text in (f"X-Echo: {encode(secret.encode()).decode().rstrip('=')}", f"debug {encode(message).decode()}"):
            redacted = policy.redact_text(text)
            assert REDACTED in redacted
            # What is left of the encoded value is its edges: no four of its bytes in a row.
            for decoded in _decodable(redacted):
                assert not any(value[i : i + 4].encode() in decoded for value in (secret, other)
                               for i in range(len(value) - 3)), (redacted, decoded)  # fmt: skip
    # Harmless: base64 of other text is left alone.
    plain = base64.b64encode(b"an ordinary thumbnail caption").decode()
    assert policy.redact_text(plain) == plain


def test_a_given_value_stays_redacted_when_learned_ones_are_forgotten() -> None:
    import base64

    learned = "svc-user:Sup3rSecretPass"
    policy = RedactionPolicy(from_environment=False)
    policy.add(learned)
    given = base64.b64encode(learned.encode()).decode()
    policy.add(given, given=True)
    for i in range(MAX_LEARNED + 5):
        policy.add(f"learned-user-{i:06d}")
    assert policy.redact_text(f"token={given}") == f"token={REDACTED}"


def test_a_key_redacted_never_takes_the_place_of_another_field() -> None:
    policy = RedactionPolicy(["KeyCanaryToken-0123456789"], from_environment=False)
    both = policy.redact_mapping({"KeyCanaryToken-0123456789": 1, REDACTED: 2, "plain": 3})
    assert len(both) == 3 and 2 in both.values() and 3 in both.values(), both
    assert "KeyCanaryToken-0123456789" not in json.dumps(both)
