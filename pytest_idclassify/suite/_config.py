"""The resolved settings of one suite run, from the command line, environment, ini file and defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_idclassify._options import BY_NAME, OPTIONS
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite._imagehost import check_listenable, parse_image_host


@dataclass(frozen=True)
class SuiteConfig:
    """Everything a contract run needs to know, resolved once per session."""

    target: str = "emulator"
    base_url: str | None = None
    project_id: str | None = None
    auth: str | None = None
    profile: str = "gate"
    assumed: str = "report"
    strict: bool = False
    call_budget: int = 500
    seed: int = 0
    sample: int = 8
    report_json: Path | None = None
    report_html: Path | None = None
    report_images: bool = False
    cassette_dir: Path | None = None
    record_mode: str = "none"
    image_host: str | None = None
    public_base_url: str | None = None
    upload_hook: str | None = None
    tolerate_transient: bool = False
    metrics: str | None = None
    metrics_threshold: float | None = None
    redact_names_file: Path | None = None
    #: how many pytest-xdist workers share the run (and so its call budget); 1 without xdist.
    workers: int = 1

    def counts(self, assumed: bool) -> bool:
        """Whether a violation of a clause (assumed or not) fails the run."""
        return not assumed or self.assumed == "count"


def _as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean; use true or false")


def _as_number(name: str, value: str, kind: Callable[[str], float | int]) -> float | int:
    try:
        return kind(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a number") from None


def resolve(
    cli: Mapping[str, object], ini: Mapping[str, str | None], environ: Mapping[str, str] | None = None
) -> SuiteConfig:
    """Resolve every option: command line > ``IDCLASSIFY_*`` environment > ini > default.

    ``cli`` and ``ini`` map option names (``base-url``) to what pytest parsed (``None``/``False``
    when absent).  Bad values raise :class:`ConfigurationError` naming where they came from.
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, tuple[str, str]] = {}
    explicit: set[str] = set()
    for option in OPTIONS:
        given = cli.get(option.name)
        if given not in (None, False):
            raw[option.name] = (option.cli, "true" if given is True else str(given))
        elif environ.get(option.env):
            raw[option.name] = (option.env, environ[option.env])
        elif ini.get(option.name):
            raw[option.name] = (option.ini, str(ini[option.name]))
        elif option.default is not None:
            raw[option.name] = (option.cli, option.default)
            continue
        else:
            continue
        explicit.add(option.name)
    values: dict[str, object] = {}
    for name, (where, text) in raw.items():
        option = BY_NAME[name]
        if option.choices and text not in option.choices:
            raise ConfigurationError(f"{where}={text!r} is not one of {', '.join(option.choices)}")
        key = name.replace("-", "_")
        if option.flag:
            values[key] = _as_bool(where, text)
        elif name in ("call-budget", "seed", "sample"):
            values[key] = int(_as_number(where, text, int))
        elif name == "metrics-threshold":
            values[key] = float(_as_number(where, text, float))
        elif name in ("report-json", "report-html", "cassette-dir"):
            values[key] = Path(text)
        elif name == "redact-names-file":
            from pytest_idclassify.redaction import rules_from_file

            rules_from_file(text, where)  # a bad file is reported now, naming the setting as typed
            values[key] = Path(text)
        elif name == "image-host":
            # A bad address is one usage error now, not an error in every test that needs the target.
            check_listenable(*parse_image_host(text, where), where=f"{where}={text!r}")
            values[key] = text.strip()
        else:
            values[key] = text
    if values.get("base_url") and "target" not in explicit:
        values["target"] = "live"
    config = SuiteConfig(**values)  # type: ignore[arg-type]
    if config.target == "live" and not config.base_url:
        raise ConfigurationError(
            "--idclassify-target=live needs an endpoint: pass --idclassify-base-url=https://... "
            "or set IDCLASSIFY_BASE_URL"
        )
    if config.call_budget < 1:
        raise ConfigurationError(f"the call budget must be at least 1, got {config.call_budget}")
    return config
