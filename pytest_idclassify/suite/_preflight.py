"""The suite's front door: settings resolved, the environment checked and the target probed, once.

Every run (``pytest`` with the plugin, ``idclassify verify``) passes through :func:`preflight`
before a case is collected.  It returns one :class:`Preflight` that the rest of the run only
reads, or raises :class:`PreflightError` with one short message in the words of the interface the
user typed (``--base-url`` for ``verify``, ``--idclassify-base-url`` for pytest, the variable for
the environment) that names what to change.

For a non-embedded target it sends one probe call (counted in the call budget) and tells apart:
nothing listening, a TLS failure, a server that is not this API (404, 405, 501 or a web page),
refused credentials and a project id the credentials do not belong to.  Any other answer means
the target is this API, and the suite goes on to judge it, right or wrong.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_idclassify._options import OPTIONS, PYTEST, Interface
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite._config import SuiteConfig, resolve

if TYPE_CHECKING:
    import ssl

    from pytest_idclassify.client import ClientConfig

#: seconds the probe waits to connect and for its answer: enough for a far region, short for a typo.
PROBE_TIMEOUT = 10.0
#: the probe's body: no image, so the server answers from its checks alone (after authentication).
PROBE_BODY: dict[str, Any] = {}
#: the full endpoint URL, as ``idclassify serve`` prints it and the API page writes it.
_ENDPOINT_URL = re.compile(r"^(?P<base>.*?)/v2/(?P<project>[^/]*)/ocr/auto-id-doc-classification/?$")
_LOCAL_HOSTS = ("localhost", "127.", "0.0.0.0", "[::1]")
#: variables read under another name before; set, they would otherwise be ignored without a word.
RENAMED_VARIABLES: Mapping[str, str] = {"IDCLASSIFY_ENDPOINT": "IDCLASSIFY_BASE_URL"}
#: every variable the suite and its client read besides the options' own (see
#: docs/reference/environment-variables.md); the emulator's ``IDCLASSIFY_EMULATOR_*`` come apart.
OTHER_VARIABLES = frozenset({
    "IDCLASSIFY_REGION", "IDCLASSIFY_TOKEN", "IDCLASSIFY_IAM_ENDPOINT", "IDCLASSIFY_IAM_USER",
    "IDCLASSIFY_IAM_PASSWORD", "IDCLASSIFY_IAM_DOMAIN", "IDCLASSIFY_ENTERPRISE_PROJECT_ID", "IDCLASSIFY_TIMEOUT",
    "IDCLASSIFY_MAX_RETRIES", "IDCLASSIFY_EXPIRED_TOKEN", "IDCLASSIFY_IMAGE_CACHE", "IDCLASSIFY_IMAGE_CACHE_MAX_MB",
})  # fmt: skip
_EMULATOR_PREFIX = "IDCLASSIFY_EMULATOR_"


class PreflightError(ConfigurationError):
    """The run cannot start: a setting is wrong or the target is not what the settings say.

    The message is one line naming what to change, in the words of the interface used.
    """


@dataclass(frozen=True)
class Probe:
    """What the target answered to the pre-flight call: its status and error code (if any)."""

    status: int
    error_code: str | None
    seconds: float


@dataclass(frozen=True)
class Preflight:
    """The outcome of the front door: the run's settings, the live client settings and the probe.

    Attributes:
        config: the resolved suite settings (``calls_spent`` counts the probe).
        client: the client settings of a live target, already validated; ``None`` otherwise.
        probe: what the target answered to the probe, when one was sent.
        notices: what the run goes on despite, to be shown once (an ``IDCLASSIFY_*`` variable it
            does not read).

    """

    config: SuiteConfig
    client: ClientConfig | None = None
    probe: Probe | None = None
    notices: tuple[str, ...] = ()


def preflight(
    cli: Mapping[str, object],
    ini: Mapping[str, str | None],
    environ: Mapping[str, str],
    *,
    interface: Interface = PYTEST,
    probe: bool = True,
) -> Preflight:
    """Resolve the settings, check them and the environment, and probe a live target once.

    ``probe=False`` checks everything that needs no call (pytest-xdist workers: their controller
    probed already).  Raises :class:`PreflightError` naming what to change.
    """
    try:
        config = resolve(cli, ini, environ, interface=interface)
    except ConfigurationError as exc:
        raise PreflightError(interface.words(str(exc))) from None
    notices = _check_variables(environ, config)
    config = _check_base_url(config)
    _check_files(config)
    if config.target != "live":
        return Preflight(config, notices=notices)
    client = _client_config(config, environ)
    _check_upload_hook(config)
    if not probe:
        return Preflight(config, client, notices=notices)
    answer = probe_target(config, client)
    return Preflight(replace(config, calls_spent=config.calls_spent + 1), client, answer, notices)


def known_variables() -> frozenset[str]:
    """Every ``IDCLASSIFY_*`` / ``CLOUD_SDK_*`` variable the suite and its client read (emulator ones apart)."""
    from pytest_idclassify.client import ENV_VARS

    return frozenset({o.env for o in OPTIONS} | set(ENV_VARS.values()) | OTHER_VARIABLES)


def _check_variables(environ: Mapping[str, str], config: SuiteConfig) -> tuple[str, ...]:
    """Refuse a misspelt or renamed variable; return a notice for each other ``IDCLASSIFY_*`` one not read.

    A name close to one the suite reads is a typo and stops the run.  Any other ``IDCLASSIFY_*``
    name is the toolkit's own prefix set to no effect (a guess at a setting's name), so the run says
    so once and goes on; ``CLOUD_SDK_*`` names far from the suite's belong to the official SDK.
    """
    known = known_variables()
    notices = []
    for name in sorted(environ):
        if not environ[name] or name in known or name.startswith(_EMULATOR_PREFIX):
            continue
        if name in RENAMED_VARIABLES:
            raise PreflightError(f"{name} is not read: the base URL is set with {RENAMED_VARIABLES[name]} "
                                 f"(or {config.interface.flag('base-url')}); rename the variable")  # fmt: skip
        if name.startswith(("IDCLASSIFY_", "CLOUD_SDK_")):
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.85)
            if close:
                raise PreflightError(f"{name} is not read by pytest-idclassify: did you mean {close[0]}?")
            if name.startswith("IDCLASSIFY_"):
                notices.append(f"{name} is set but pytest-idclassify reads no such variable, so it has no effect: "
                               "docs/reference/environment-variables.md lists those it reads")  # fmt: skip
    chosen = "target" in config.origins  # an explicit --target emulator is a choice, not an oversight
    if config.target == "emulator" and not chosen and not config.base_url and environ.get("IDCLASSIFY_REGION"):
        region = environ["IDCLASSIFY_REGION"]
        raise PreflightError(
            f"IDCLASSIFY_REGION={region} is set but no base URL, so the run would test the embedded emulator: "
            f"set IDCLASSIFY_BASE_URL=https://ocr.{region}.myhuaweicloud.com (or pass "
            f"{config.interface.flag('base-url')}) for the live service, or unset IDCLASSIFY_REGION"
        )
    return tuple(notices)


def _shown_url(url: str) -> str:
    """``url`` as a pre-flight message shows it: through the redaction policy every message uses.

    Userinfo, secret query and fragment parameters (``?token=``, ``X-Auth-Token=``, ``sig=``) and
    the project id of an API path are replaced, as :class:`~pytest_idclassify.client.ClientConfig`
    replaces them in its own errors.  The free-text rules apply too, since a mistyped value (a line
    pasted whole, a URL without its scheme) need not parse as one URL.  Only the URL goes through
    them, not the whole message: its advice names flags (``--auth=none``) they would take for secrets.
    """
    from pytest_idclassify.redaction import redact_text

    return redact_text(url)


def _shown_project(project_id: str) -> str:
    """A project id as a pre-flight message shows it: masked to its last four characters at most."""
    from pytest_idclassify.client import mask_secret

    return mask_secret(project_id)


def _credentials_in_url(where: str) -> PreflightError:
    # Not echoed: what stands before "@" may be a password.
    return PreflightError(f"{where} carries credentials before '@': give the bare URL and put credentials in "
                          "IDCLASSIFY_TOKEN or CLOUD_SDK_AK / CLOUD_SDK_SK")  # fmt: skip


def _check_base_url(config: SuiteConfig) -> SuiteConfig:
    """Check the base URL's form; a full endpoint URL is split into base URL and project id."""
    url = config.base_url
    if not url:
        return config
    where = config.origin("base-url")
    if url != url.strip():
        # Python's urlsplit drops the spaces of a pasted value and httpx does not: refused with the fix.
        raise PreflightError(f"{where} {_shown_url(url)!r} has spaces or a line break around it: "
                             f"write {_shown_url(url.strip())}")  # fmt: skip
    if "://" not in url:
        scheme = "http" if url.startswith(_LOCAL_HOSTS) else "https"
        # Redacted with its scheme on: without one, userinfo and the path do not read as a URL's.
        suggested = f"{scheme}://{url}"
        if "@" in urlsplit(suggested).netloc:
            raise _credentials_in_url(where)
        fixed = _shown_url(suggested)
        raise PreflightError(f"{where} {fixed.split('://', 1)[1]!r} has no scheme: write {fixed}")
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise _credentials_in_url(where)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise PreflightError(
            f"{where} {_shown_url(url)!r} is not an http(s) URL such as https://ocr.ap-southeast-1.myhuaweicloud.com"
        )
    endpoint = _ENDPOINT_URL.match(url)
    if endpoint is None:
        return replace(config, base_url=url.rstrip("/"))
    project = endpoint["project"]
    if config.project_id and project != config.project_id:
        raise PreflightError(
            f"{where} names project {_shown_project(project)!r} but {config.origin('project-id')} is "
            f"{_shown_project(config.project_id)!r}: drop one (a base URL is the scheme and host, e.g. "
            f"{_shown_url(endpoint['base'])})"
        )
    return replace(config, base_url=endpoint["base"], project_id=config.project_id or project)


def _check_files(config: SuiteConfig) -> None:
    folder = config.cassette_dir
    if folder is not None and config.target == "replay":
        where = config.origin("cassette-dir")
        if not folder.is_dir():
            state = "is a file, not a folder" if folder.exists() else "does not exist"
            raise PreflightError(
                f"{where} {str(folder)!r} {state} (working directory {Path.cwd()}): point it at the folder "
                f"the recording wrote, or record first with {config.interface.flag('record-mode')}=once"
            )
        if not any(folder.rglob("*.json")):
            raise PreflightError(f"{where} {str(folder)!r} holds no cassettes: record into it first with "
                                 f"{config.interface.flag('record-mode')}=once")  # fmt: skip
    _check_metrics(config)
    _check_recording(config)
    _check_reports(config)


def _check_metrics(config: SuiteConfig) -> None:
    """The metrics' samples exist and their labels read, and a pass mark has metrics to judge."""
    metrics, where = config.metrics, config.origin("metrics")
    if config.metrics_threshold is not None and not metrics:
        threshold = config.origin("metrics-threshold")
        raise PreflightError(
            f"{threshold} sets a pass mark for recognition metrics, but none are measured: add "
            f"{config.interface.flag('metrics')} specimens (or a folder with labels.json), or drop {threshold}"
        )
    if not metrics or metrics == "specimens":
        return
    if not Path(metrics).is_dir():
        raise PreflightError(f"{where} {metrics!r} is neither 'specimens' nor a folder (working directory "
                             f"{Path.cwd()})")  # fmt: skip
    from pytest_idclassify.suite._metrics import read_labels

    try:
        read_labels(Path(metrics))
    except ConfigurationError as exc:
        raise PreflightError(f"{where}: {exc}") from None


def _check_recording(config: SuiteConfig) -> None:
    """A recording names its folder, and can write there: checked before a call is spent."""
    if config.record_mode == "none":
        return
    mode = f"{config.origin('record-mode')}={config.record_mode}"
    if config.cassette_dir is None:
        from pytest_idclassify._paths import cassettes_dir

        folder, target = config.interface.flag("cassette-dir"), config.interface.flag("target")
        raise PreflightError(
            f"{mode} writes cassettes, and without {folder} it would overwrite the ones shipped with "
            f"pytest-idclassify ({cassettes_dir()}), which {target}=replay replays: pass {folder} DIR "
            "(naming the shipped folder refreshes them)"
        )
    check_writable(config.cassette_dir, config.origin("cassette-dir"), folder=True)


def _check_reports(config: SuiteConfig) -> None:
    """Each report can be written, and to a file of its own: a mistake found after the run loses its results."""
    reports = {"report-json": config.report_json, "report-html": config.report_html}
    json_path, html_path = reports.values()
    if json_path and html_path and json_path.resolve() == html_path.resolve():
        raise PreflightError(
            f"{config.origin('report-json')} and {config.origin('report-html')} name the same file {str(json_path)!r}: "
            "the second would overwrite the first; give each its own"
        )
    for name, path in reports.items():
        if path is not None:
            check_writable(path, config.origin(name), folder=False)


def check_writable(path: Path, where: str, *, folder: bool) -> None:
    """Refuse ``path`` unless it (a folder when ``folder``, else a file) can be created or written.

    ``where`` names the setting in the user's words.  Checked before a call is sent: a file that
    cannot be written after the run would lose what the calls found.
    """
    try:
        _check_creatable(path, where, folder=folder)
    except OSError as exc:  # Path.exists() raises for a folder it may not look into (PermissionError)
        raise PreflightError(f"{where} {str(path)!r} cannot be checked ({exc.strerror or exc})") from None


def _check_creatable(path: Path, where: str, *, folder: bool) -> None:
    if path.is_dir() and not folder:
        raise PreflightError(f"{where} {str(path)!r} is a folder: name the report's file, e.g. {path / 'report.json'}")
    if path.exists() and folder and not path.is_dir():
        raise PreflightError(f"{where} {str(path)!r} is a file, not a folder: name a folder for the cassettes")
    # The nearest folder that exists is where the missing ones (or the file) would be created.
    existing = path if folder and path.is_dir() else path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise PreflightError(f"{where} {str(path)!r} cannot be created: {str(existing)!r} is a file, not a folder")
    try:  # a folder made and removed at once: permissions alone do not tell (root, read-only mounts, /proc)
        os.rmdir(tempfile.mkdtemp(prefix=".idclassify-", dir=existing))
    except OSError as exc:
        raise PreflightError(f"{where} {str(path)!r} cannot be written in {str(existing)!r} ({exc.strerror})") from None


def _project_id(config: SuiteConfig) -> str:
    from pytest_idclassify.client import validate_project_id

    where = config.interface.spell("project-id")
    project = config.project_id
    if not project:
        raise PreflightError(
            f"a live target needs its project id: pass {where} (IAM console > My Credentials > Projects; "
            "'idclassify serve' prints the emulator's)"
        )
    try:
        validate_project_id(project)
    except ConfigurationError:
        raise PreflightError(
            f"{config.origin('project-id')} {project!r} cannot stand in the API path (no '/', '?', '#', '%', braces "
            "or spaces): give the project id shown under IAM console > My Credentials > Projects"
        ) from None
    return project


def _check_credentials(config: SuiteConfig, environ: Mapping[str, str]) -> None:
    """Name the missing credential in the suite's words (ClientConfig speaks to Python callers)."""
    auth = config.auth
    aksk = environ.get("CLOUD_SDK_AK") and environ.get("CLOUD_SDK_SK")
    token = environ.get("IDCLASSIFY_TOKEN") or environ.get("IDCLASSIFY_IAM_USER")
    none_flag = f"{config.interface.flag('auth')}=none"
    if auth is None and not (aksk or token or environ.get("CLOUD_SDK_AK") or environ.get("CLOUD_SDK_SK")):
        raise PreflightError(
            f"no credentials for {_shown_url(config.base_url or '')}: set IDCLASSIFY_TOKEN, or CLOUD_SDK_AK and "
            f"CLOUD_SDK_SK (docs/how-to/live-credentials.md); for a server that needs none, pass {none_flag}"
        )
    if auth == "aksk" or (auth is None and not token):
        missing = [name for name in ("CLOUD_SDK_AK", "CLOUD_SDK_SK") if not environ.get(name)]
        if missing:
            raise PreflightError(f"AK/SK signing needs {' and '.join(missing)} in the environment")
    if auth == "token" and not token:
        raise PreflightError("token authentication needs IDCLASSIFY_TOKEN, or IDCLASSIFY_IAM_USER, "
                             "IDCLASSIFY_IAM_PASSWORD and IDCLASSIFY_IAM_DOMAIN for the password flow")  # fmt: skip


def _client_config(config: SuiteConfig, environ: Mapping[str, str]) -> ClientConfig:
    from pytest_idclassify.client import ClientConfig

    assert config.base_url is not None
    overrides: dict[str, Any] = {"endpoint": config.base_url, "project_id": _project_id(config)}
    _check_credentials(config, environ)
    if config.auth:
        overrides["auth"] = config.auth
    try:
        return ClientConfig.from_env(environ, **overrides)
    except ConfigurationError as exc:
        # The client speaks to Python callers ("or pass timeout="); a suite run sets these by variable.
        raise PreflightError(re.sub(r" or pass \w+=", "", config.interface.words(str(exc)))) from None


def _check_upload_hook(config: SuiteConfig) -> None:
    hook, public = config.upload_hook, config.public_base_url
    if bool(hook) != bool(public):
        given, needed = ("upload-hook", "public-base-url") if hook else ("public-base-url", "upload-hook")
        raise PreflightError(f"{config.origin(given)} needs {config.interface.spell(needed)} as well: "
                             "URL cases upload each image with the hook and send its public URL")  # fmt: skip
    if hook and public:
        from pytest_idclassify.suite._urlhost import UploadHookHost

        try:
            UploadHookHost.from_spec(public, hook)
        except ConfigurationError as exc:
            raise PreflightError(
                config.interface.words(str(exc)).replace(
                    config.interface.flag("upload-hook"), config.origin("upload-hook")
                )
            ) from None


def _tls_failure(error: BaseException | None) -> ssl.SSLError | None:
    import ssl  # here: the pre-flight runs in every pytest run, and only this error path needs it

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, ssl.SSLError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _elsewhere(error: BaseException | None, endpoint: str) -> bool:
    """Whether a transport error happened on a request to another host than ``endpoint`` (IAM)."""
    try:
        request = getattr(error, "request", None)
    except RuntimeError:  # httpx raises when the error carries no request
        return False
    return request is not None and urlsplit(str(request.url)).netloc != urlsplit(endpoint).netloc


def _is_web_page(headers: Mapping[str, str], body: Any) -> bool:
    """Whether an answer is an HTML page: a web server's, or a proxy's error page, never this API's."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "html" in content_type.lower():
        return True
    return isinstance(body, str) and body.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))


def probe_target(config: SuiteConfig, client: ClientConfig) -> Probe:
    """Send the one probe call and refuse the run when the answer shows the settings are wrong."""
    import httpx

    from pytest_idclassify.client import IdClassifyClient
    from pytest_idclassify.errors import (
        CallTimeoutError,
        IdClassifyError,
        ResponseTooDeepError,
        ResponseTooLargeError,
        TransportError,
    )

    base = config.origin("base-url")
    # What the messages show; the endpoint itself is still what is called and compared.
    endpoint = _shown_url(client.endpoint)
    patient = client.replace(max_retries=0, timeout=PROBE_TIMEOUT, connect_timeout=PROBE_TIMEOUT, call_budget=None)
    try:
        with IdClassifyClient(patient) as probe:
            outcome = probe.post(json=PROBE_BODY)
    except (ResponseTooLargeError, ResponseTooDeepError, CallTimeoutError) as exc:
        # An answer came, but past a bound: the target is there and misbehaving, not missing.
        raise PreflightError(f"{base} = {endpoint}: the probe's answer {exc}") from None
    except TransportError as exc:
        cause = exc.original
        # The API client always keeps the low-level error; one without it, or on another host, is IAM's.
        if cause is None or _elsewhere(cause, client.endpoint):
            # The IAM password flow could not fetch a token: the API itself was not tried.
            raise PreflightError(f"cannot fetch a token for {endpoint}: {exc}") from None
        tls = _tls_failure(cause)
        if tls is not None:
            reason = getattr(tls, "reason", None) or type(tls).__name__
            plain = "http://" + endpoint.split("://", 1)[1]
            raise PreflightError(
                f"TLS with {endpoint} failed ({reason}): if the server speaks plain HTTP, pass {base} {plain}; "
                "if its certificate is private, set SSL_CERT_FILE to its CA bundle"
            ) from None
        if isinstance(cause, httpx.TimeoutException):
            raise PreflightError(f"{endpoint} did not answer within {PROBE_TIMEOUT:g} s: check {base} "
                                 "(host and port) and the network") from None  # fmt: skip
        why = str(cause) or type(cause).__name__ if cause is not None else "unreachable"
        raise PreflightError(f"nothing answers at {endpoint} ({why}): check {base} (host and port) and that "
                             "the server is running") from None  # fmt: skip
    except IdClassifyError as exc:  # the IAM password flow, or signing, failed before the call
        raise PreflightError(f"cannot authenticate to {endpoint}: {config.interface.words(str(exc))}") from None
    code = outcome.body.get("error_code") if outcome.is_json and isinstance(outcome.body, dict) else None
    said = f"{outcome.status} {code}" if code else str(outcome.status)
    shown = endpoint + client.url[len(client.endpoint) :].replace(client.project_id, _shown_project(client.project_id))
    if outcome.status == 404:
        path = urlsplit(endpoint).path
        fix = (f"drop the path {path!r}: a base URL is the scheme and host, e.g. {endpoint[: -len(path)]}"
               if path and path != "/" else "check the host and port")  # fmt: skip
        raise PreflightError(f"{shown} answered {said}: it does not serve this API; {fix} ({base})")
    # Every answer of this API, error or not, is JSON: a page, or POST not served, is another server's.
    # A JSON answer under a wrong content type is this API's fault to judge (behaviour.json-content-type).
    web_page = not outcome.is_json and _is_web_page(outcome.headers, outcome.body)
    if outcome.status in (405, 501) or web_page:
        kind = "a web page" if web_page else "POST is not served there"
        raise PreflightError(f"{shown} answered {said}, {kind}: it does not serve this API, whose every answer is "
                             f"JSON; check {base} (host and port)")  # fmt: skip
    if outcome.status == 401 and client.auth == "none":
        raise PreflightError(f"{endpoint} needs credentials ({said}): set IDCLASSIFY_TOKEN, or CLOUD_SDK_AK and "
                             f"CLOUD_SDK_SK, and drop {config.origin('auth')}=none")  # fmt: skip
    if outcome.status == 401:
        which = {"aksk": "CLOUD_SDK_AK / CLOUD_SDK_SK", "token": "IDCLASSIFY_TOKEN (or the IAM password flow)"}.get(
            str(client.auth), "the credentials"
        )
        raise PreflightError(f"{endpoint} refused the credentials ({said}): check {which}")
    if outcome.status == 403 and code == "APIG.0302":
        raise PreflightError(
            f"{endpoint} accepts the credentials but not for project {_shown_project(client.project_id)} "
            f"({said}): check {config.origin('project-id')} (project ids are per region: IAM console > "
            "My Credentials > Projects), or the IAM user's permission for OCR"
        )
    return Probe(outcome.status, code, round(outcome.total_elapsed, 3))
