"""The emulator's settings: one frozen dataclass, read from defaults, a config file, the environment and flags.

Precedence, highest first: explicit overrides (command-line flags) > ``IDCLASSIFY_EMULATOR_*``
environment variables > the config file (TOML or JSON) > the defaults below.  Every default that
answers a question the documentation leaves open is read from the clause catalogue's assumed clause,
so the emulator and the catalogue cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from pytest_idclassify._cores import usable_cpus
from pytest_idclassify._tables import documented_tables
from pytest_idclassify.catalogue import (
    ALARM_THRESHOLD,
    BASE64_LIMIT_BINARY,
    BASE64_LIMIT_DECIMAL,
    BODY_LIMIT,
    MAX_CLOCK_SKEW_SECONDS,
    clause,
)
from pytest_idclassify.errors import ConfigurationError

ENV_PREFIX = "IDCLASSIFY_EMULATOR_"
#: the environment variable naming a config file, read by :func:`app_from_env`.
CONFIG_ENV = ENV_PREFIX + "CONFIG"
SETTINGS_DOC = "docs/reference/emulator-settings.md"

#: the published fake credentials; documented, so printing them reveals nothing.
DEFAULT_PROJECT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_TOKEN = "idclassify-emulator-token"
DEFAULT_EXPIRED_TOKEN = "idclassify-emulator-expired-token"
DEFAULT_EXPIRED_AT = "2024-01-01T00:00:00.000000Z"
DEFAULT_AK = "IDCLASSIFYEMULATORAK0"
DEFAULT_SK = "IdClassifyEmulatorFakeSecretKey0000000000"
DEFAULT_URL_ALLOW = ("127.0.0.0/8", "::1", "localhost")


#: bounds that must be positive (and finite): see the resource-bounds group of :class:`EmulatorSettings`.
_POSITIVE_BOUNDS = (
    "header_timeout",
    "keep_alive_timeout",
    "body_timeout",
    "body_budget",
    "parse_concurrency",
    "jpeg_max_scans",
)


def _code(clause_id: str) -> str:
    spec = clause(clause_id).error
    if spec is None:  # pragma: no cover - the catalogue guarantees an error on these clauses
        raise ConfigurationError(f"clause {clause_id} names no error; the catalogue must give one")
    return spec.code


def _default_code(clause_id: str) -> Any:
    return field(default_factory=lambda: _code(clause_id))


@dataclass(frozen=True, repr=False)
class EmulatorSettings:
    """Everything the reference emulator can be told; the defaults are the documented or assumed contract.

    Each field can be set with a flag of ``idclassify serve`` (where one exists), an environment
    variable ``IDCLASSIFY_EMULATOR_<FIELD>`` (upper case) or a key of the same name in a TOML or
    JSON config file.  ``docs/reference/emulator-settings.md`` lists them all.
    """

    #: the project id the path must carry; every configured credential belongs to it.
    project_id: str = DEFAULT_PROJECT_ID
    #: X-Auth-Token values that are accepted.
    tokens: tuple[str, ...] = (DEFAULT_TOKEN,)
    #: X-Auth-Token values that are known but expired, with the expiry they report.
    expired_tokens: tuple[tuple[str, str], ...] = ((DEFAULT_EXPIRED_TOKEN, DEFAULT_EXPIRED_AT),)
    #: AK/SK pairs whose SDK-HMAC-SHA256 signatures are accepted.
    credentials: tuple[tuple[str, str], ...] = ((DEFAULT_AK, DEFAULT_SK),)
    #: how far X-Sdk-Date may be from the emulator's clock.
    max_clock_skew_seconds: int = MAX_CLOCK_SKEW_SECONDS
    #: a score at or above this raises its alarm.
    alarm_threshold: int = ALARM_THRESHOLD
    #: the gateway's body limit in bytes (413 APIG.0201 above it).
    body_limit: int = BODY_LIMIT
    #: the longest accepted ``data``, in base64 characters (the binary reading of 10 MB by default).
    base64_limit: int = field(
        default_factory=lambda: (
            BASE64_LIMIT_BINARY if clause("request.data.base64-binary-reading").assumed else BASE64_LIMIT_DECIMAL
        )
    )
    #: refuse non-canonical base64 (whitespace, missing padding, URL-safe alphabet) instead of repairing it.
    strict_base64: bool = True
    #: hosts, names and networks a ``url`` may point at; ``*`` allows any host.
    url_allow: tuple[str, ...] = DEFAULT_URL_ALLOW
    #: seconds allowed for a whole URL download, redirects included.
    fetch_timeout: float = 5.0
    #: the largest image a URL may deliver, in bytes.
    fetch_max_bytes: int = BASE64_LIMIT_BINARY * 3 // 4
    #: how many redirects a URL download may follow; each hop is checked against ``url_allow``.
    fetch_max_redirects: int = 3
    #: APIG errors carry ``request_id`` in the body as well as in the header.
    apig_request_id_in_body: bool = True
    #: error code for a body that is not JSON.
    code_invalid_json: str = _default_code("request.body.json")
    #: error code for a ``data`` longer than ``base64_limit``.
    code_base64_too_long: str = _default_code("request.data.base64-max.code")
    #: error code for a body with neither ``data`` nor ``url``.
    code_neither: str = _default_code("request.data-url.neither")
    #: error code for non-canonical base64 under ``strict_base64``.
    code_noncanonical_base64: str = _default_code("request.data.base64-noncanonical")
    #: error code for a ``url`` with raw (unencoded) non-ASCII characters.
    code_raw_non_ascii_url: str = _default_code("request.url.chinese-raw.code")
    #: error code for a ``url`` refused before fetching (scheme, host not allowed).
    code_url_refused: str = _default_code("request.url.schemes.code")
    #: error code for a ``url`` whose download failed.
    code_url_fetch_failed: str = _default_code("request.url.fetch-failure.code")
    #: error code for a supported format whose data is truncated or corrupt.
    code_undecodable: str = _default_code("request.image.undecodable")
    #: error code for an image in which no document is found.
    code_no_document: str = _default_code("request.image.no-document")
    #: error code for a path project id the credential does not belong to.
    code_project_mismatch: str = _default_code("uri.project-id.mismatch")
    #: a fault applied to requests of this run (same grammar as the header), or empty for none.
    fault: str = ""
    #: apply ``fault`` to every Nth request only (0: every request, unless ``fault_probability`` is set).
    fault_every: int = 0
    #: apply ``fault`` with this probability per request (0: off); seeded by ``fault_seed``.
    fault_probability: float = 0.0
    #: seed of the fault-probability generator, so a run is reproducible.
    fault_seed: int = 0
    #: honour the per-request ``X-Idclassify-Fault`` header.
    fault_header: bool = True
    #: the ``limit:N`` that a 429 APIG.0308 reports.
    throttle_limit: int = 20
    #: the ``Retry-After`` seconds that a 429 carries.
    retry_after: int = 1
    #: how many requests of one worker process decode and analyse their image at the same time; the rest wait.
    recognition_concurrency: int = field(default_factory=usable_cpus)
    #: threads OpenCV may use within one recognition, process-wide (0: OpenCV's default, a thread per CPU,
    #: except under ``idclassify serve --workers N``, which shares the CPUs out among its N worker processes).
    opencv_threads: int = 0
    # --- resource bounds (docs/reference/security.md): what one client can make the process spend ---
    #: seconds a connection may take to send a complete request head; a connection that sends nothing is closed.
    header_timeout: float = 10.0
    #: seconds an idle kept-alive connection stays open between requests (uvicorn's ``timeout_keep_alive``).
    keep_alive_timeout: float = 5.0
    #: seconds a request may take to deliver its whole body once its head is in (400 ModelArts.4104 after).
    body_timeout: float = 30.0
    #: bytes of request bodies one worker process holds at once; a body that does not fit waits.
    body_budget: int = 256 * 1024 * 1024
    #: seconds a request waits for room in ``body_budget`` before it is refused with 429 ModelArts.4401.
    body_budget_wait: float = 5.0
    #: how many bodies one worker process parses (JSON, base64) at the same time, but for small plain requests.
    parse_concurrency: int = field(default_factory=usable_cpus)
    #: the most scans a progressive JPEG may have; each scan costs a pass over the whole picture.
    jpeg_max_scans: int = 32
    #: without alarms, a JPEG is decoded at 1/2, 1/4 or 1/8 scale as long as its long side stays at or
    #: above this many pixels (0: always at full resolution).
    reduced_decode_side: int = 1600
    #: a calibration file (``idclassify calibrate``): answer the assumed choices as the calibrated server did.
    #: Through ``load`` (flags, variables, files) any setting given explicitly wins; in code, the file fills
    #: the settings left at their defaults.
    calibration: str = ""
    # The emulator as a test double: journal, admin routes, stubs, throttling, proxy-record and replay.
    #: how many answered requests the journal keeps, newest last (0: no journal).
    journal_size: int = 1000
    #: serve the admin routes under ``/__idclassify/`` (journal and stubs).
    admin_routes: bool = True
    #: a token admin calls must send in ``X-Idclassify-Admin-Token``; empty: loopback clients only.
    admin_token: str = ""
    #: a JSON, TOML or YAML file of stubs, loaded (and checked against the contract) at start-up.
    stubs_file: str = ""
    #: requests a minute each credential may send before 429 APIG.0308 (0: no throttling).
    rate_limit: int = 0
    #: how many requests a credential may send at once before the rate applies (0: ``rate_limit``).
    rate_burst: int = 0
    #: forward every request to this real endpoint, signed with the upstream credentials (empty: off).
    proxy_to: str = ""
    #: with ``proxy_to``: write each exchange as a redacted cassette into this folder.
    record_dir: str = ""
    #: answer from the cassettes in this folder instead of recognising (empty: off).
    replay_dir: str = ""

    def __post_init__(self) -> None:
        """Check every value at once, so a bad setting fails at start-up with its variable named."""
        if self.calibration:
            self._apply_calibration()
        tables = documented_tables()
        for f in fields(self):
            if f.name.startswith("code_"):
                value = getattr(self, f.name)
                try:
                    tables.error(value)
                except KeyError:
                    known = sorted({e.code for e in tables.error_codes})
                    raise ConfigurationError(
                        f"setting {f.name} ({ENV_PREFIX}{f.name.upper()}) is {value!r}, not a documented error code; "
                        f"use one of {known} (see {SETTINGS_DOC})"
                    ) from None
        positive = (
            "body_limit",
            "base64_limit",
            "fetch_max_bytes",
            "throttle_limit",
            "recognition_concurrency",
            *_POSITIVE_BOUNDS,
        )
        for name in positive:
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ConfigurationError(
                    f"setting {name} ({ENV_PREFIX}{name.upper()}) is {value!r}; it must be positive (and finite)"
                )
        if self.body_budget < self.body_limit:
            raise ConfigurationError(
                f"setting body_budget ({ENV_PREFIX}BODY_BUDGET) is {self.body_budget}, below body_limit "
                f"({self.body_limit}): no body at the limit could ever be read; raise it to at least body_limit"
            )
        non_negative = (
            "max_clock_skew_seconds",
            "fetch_max_redirects",
            "fault_every",
            "retry_after",
            "body_budget_wait",
            "reduced_decode_side",
            "opencv_threads",
            "journal_size",
            "rate_limit",
            "rate_burst",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ConfigurationError(
                    f"setting {name} ({ENV_PREFIX}{name.upper()}) is {getattr(self, name)!r}; it must be 0 or more"
                )
        if not 0 <= self.alarm_threshold <= 100:
            raise ConfigurationError(
                f"setting alarm_threshold ({ENV_PREFIX}ALARM_THRESHOLD) is {self.alarm_threshold}; scores are 0..99, "
                "so use a threshold within 0..100"
            )
        if not 0.0 <= self.fault_probability <= 1.0:
            raise ConfigurationError(
                f"setting fault_probability ({ENV_PREFIX}FAULT_PROBABILITY) is {self.fault_probability}; "
                "use a probability within 0..1"
            )
        if not (self.fetch_timeout > 0 and math.isfinite(self.fetch_timeout)):
            raise ConfigurationError(
                f"setting fetch_timeout ({ENV_PREFIX}FETCH_TIMEOUT) is {self.fetch_timeout}; use a positive number"
            )
        if not self.project_id or "/" in self.project_id:
            raise ConfigurationError(
                f"setting project_id ({ENV_PREFIX}PROJECT_ID) is {self.project_id!r}; use a non-empty id without '/'"
            )
        if self.rate_burst and not self.rate_limit:
            raise ConfigurationError(
                f"setting rate_burst ({ENV_PREFIX}RATE_BURST, --rate-burst) is {self.rate_burst} but rate_limit is 0 "
                f"(off), so nothing is throttled; set rate_limit ({ENV_PREFIX}RATE_LIMIT, --rate-limit) too"
            )
        if self.fault:
            from pytest_idclassify.emulator._faults import parse_fault

            parse_fault(self.fault, source=f"setting fault ({ENV_PREFIX}FAULT)")
        from pytest_idclassify.emulator._urlfetch import AllowList

        AllowList.parse(self.url_allow)
        self._check_double()

    def _check_double(self) -> None:
        if self.proxy_to and self.replay_dir:
            raise ConfigurationError(
                f"settings proxy_to ({ENV_PREFIX}PROXY_TO) and replay_dir ({ENV_PREFIX}REPLAY_DIR) exclude each "
                "other: proxy (and record) against the real service, or replay what was recorded"
            )
        if self.record_dir and not self.proxy_to:
            raise ConfigurationError(
                f"setting record_dir ({ENV_PREFIX}RECORD_DIR) records what is proxied: set proxy_to "
                f"({ENV_PREFIX}PROXY_TO, --proxy-to) to the real endpoint as well"
            )
        if self.proxy_to and not self.proxy_to.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"setting proxy_to ({ENV_PREFIX}PROXY_TO) is {self.proxy_to!r}; give the real endpoint's base URL, "
                "e.g. https://ocr.ap-southeast-1.myhuaweicloud.com"
            )
        for name in ("stubs_file", "replay_dir"):
            value = getattr(self, name)
            if value and not Path(value).exists():
                raise ConfigurationError(
                    f"setting {name} ({ENV_PREFIX}{name.upper()}) is {value!r}, which does not exist"
                )

    def _apply_calibration(self) -> None:
        for name, value in _calibrated(self.calibration).items():
            spec = _FIELDS[name]
            default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
            # A setting given explicitly wins over the calibration; a frozen instance is completed in place.
            if getattr(self, name) == default:
                object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        """Show every setting, with tokens and secret keys masked."""
        from pytest_idclassify.client._masking import mask_secret

        shown = []
        for f in fields(self):
            value: Any = getattr(self, f.name)
            if f.name == "tokens":
                value = tuple(mask_secret(t) for t in value)
            elif f.name == "expired_tokens":
                value = tuple((mask_secret(t), at) for t, at in value)
            elif f.name == "credentials":
                value = tuple((ak, mask_secret(sk)) for ak, sk in value)
            elif f.name == "admin_token" and value:
                value = mask_secret(value)
            shown.append(f"{f.name}={value!r}")
        return f"EmulatorSettings({', '.join(shown)})"

    @property
    def credential_map(self) -> dict[str, str]:
        """The AK -> SK mapping the signature verifier takes."""
        return dict(self.credentials)

    @property
    def expired_map(self) -> dict[str, str]:
        """The expired token -> expires_at mapping."""
        return dict(self.expired_tokens)

    def replace(self, **changes: Any) -> EmulatorSettings:
        """Return a copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(
        cls,
        *,
        config_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> EmulatorSettings:
        """Build settings from a config file, then the environment, then ``overrides`` (highest precedence).

        ``environ`` defaults to no environment at all, so a library caller is not surprised by
        variables it did not set; :func:`~pytest_idclassify.emulator.app_from_env` passes ``os.environ``.
        """
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(_from_file(Path(config_file)))
        if environ is not None:
            values.update(_from_env(environ))
        if overrides:
            values.update({k: v for k, v in overrides.items() if v is not None})
        coerced = {name: _coerce(name, value, "setting") for name, value in values.items()}
        calibration = coerced.pop("calibration", "")
        if not calibration:
            return cls(**coerced)
        # The calibration fills every choice it observed; a setting given in a file, variable or flag wins.
        settings = cls(**{**_calibrated(calibration), **coerced})
        object.__setattr__(settings, "calibration", calibration)
        return settings


_FIELDS = {f.name: f for f in fields(EmulatorSettings)}
#: numbers read from text: ASCII digits only (``int()`` would take Arabic-Indic digits or '1_000'), at most 18 of them.
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})(?:[eE][+-]?[0-9]{1,3})?")


def _calibrated(path: str) -> dict[str, Any]:
    """The settings a calibration file makes (raises with the setting's name when the file is bad)."""
    from pytest_idclassify.calibration import emulator_settings, load_calibration
    from pytest_idclassify.errors import CalibrationError

    try:
        return emulator_settings(load_calibration(path))
    except CalibrationError as exc:
        raise CalibrationError(f"setting calibration ({ENV_PREFIX}CALIBRATION): {exc}") from None


_PAIR_FIELDS = {"expired_tokens", "credentials"}


@lru_cache(maxsize=1)
def _defaults() -> EmulatorSettings:
    return EmulatorSettings()


def _field_kind(name: str) -> str:
    default = getattr(_defaults(), name)
    if name in _PAIR_FIELDS:
        return "pairs"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, tuple):
        return "list"
    return "str"


def _coerce(name: str, value: Any, where: str) -> Any:
    """Turn a value from a file, the environment or a flag into the field's type, or explain what is expected."""
    if name not in _FIELDS:
        raise ConfigurationError(
            f"{where} {name!r} is not an emulator setting; known settings: {sorted(_FIELDS)} (see {SETTINGS_DOC})"
        )
    kind = _field_kind(name)
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind == "int":
            if isinstance(value, (bool, float)):
                raise ValueError(value)
            if isinstance(value, int):
                return value
            if not _INT_TEXT.fullmatch(str(value).strip()):
                raise ValueError(value)
            return int(str(value).strip())
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            if isinstance(value, (int, float)):
                return float(value)
            if not _FLOAT_TEXT.fullmatch(str(value).strip()):
                raise ValueError(value)
            return float(str(value).strip())
        if kind == "list":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if kind == "pairs":
            return _pairs(value)
        return str(value)
    except (TypeError, ValueError):
        hint = {
            "bool": "true or false",
            "int": "an integer",
            "float": "a number",
            "pairs": "KEY:VALUE pairs separated by commas (or a table in the config file)",
        }.get(kind, "a string")
        raise ConfigurationError(
            f"{where} {name} ({ENV_PREFIX}{name.upper()}) is {_shown(name, value)}; "
            f"expected {hint} (see {SETTINGS_DOC})"
        ) from None


def _shown(name: str, value: Any) -> str:
    # Credentials may be real secrets: say what shape was wrong, never echo them.
    if name in {"credentials", "tokens", "expired_tokens", "admin_token"}:
        return "<masked>"
    shown = repr(value)
    # A 4,000-digit value is shown by its start and length, not copied whole into the message.
    return shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown)} characters)"


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        return tuple((str(k), str(v)) for k, v in value.items())
    if isinstance(value, str):
        pairs = []
        for item in value.split(","):
            if not item.strip():
                continue
            key, sep, secret = item.strip().partition(":")
            if not sep or not key or not secret:
                raise ValueError("pair without ':'")
            pairs.append((key, secret))
        return tuple(pairs)
    out = []
    for item in value:
        key, secret = item
        out.append((str(key), str(secret)))
    return tuple(out)


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in _FIELDS:
            # Named as the user typed it, with the nearest variable that exists.
            import difflib

            close = difflib.get_close_matches(name, _FIELDS, n=1, cutoff=0.6)
            hint = f"did you mean {ENV_PREFIX}{close[0].upper()}? " if close else ""
            raise ConfigurationError(
                f"environment variable {key} is not an emulator setting; {hint}(see {SETTINGS_DOC} for the list)"
            )
        values[name] = _coerce(name, raw, "environment variable")
    return values


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"emulator config file {path} does not exist; pass an existing TOML or JSON file")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else _toml_loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"emulator config file {path} cannot be parsed: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("emulator"), dict):
        data = data["emulator"]
    if not isinstance(data, dict):
        raise ConfigurationError(f"emulator config file {path} must hold a table (object) of settings")
    return {name: _coerce(name, value, f"config file {path}: key") for name, value in data.items()}


def _toml_loads(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    try:  # pragma: no cover - Python 3.10 only
        import tomli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover
        raise ConfigurationError(
            "reading a TOML config file on Python 3.10 needs the 'tomli' package; install it or use a JSON file"
        ) from None
    return tomli.loads(text)  # pragma: no cover
