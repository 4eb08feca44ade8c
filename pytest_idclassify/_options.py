"""The suite's options: one table of names, help texts, environment variables and defaults.

The pytest plugin registers each as ``--idclassify-<name>`` with an ini mirror, and
``idclassify verify`` reuses the same table, so a setting is spelled and explained once.
Precedence: command line > ``IDCLASSIFY_*`` environment variable > ini file > default.
Secrets (token, AK, SK) have no option: they come from the environment only (see
:mod:`pytest_idclassify.client`), so they never land in shell history or CI logs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """One suite option: ``--idclassify-<name>``, ini key ``idclassify_<name>``, env ``IDCLASSIFY_<NAME>``.

    ``number`` (``int`` or ``float``) makes the option numeric on every interface: pytest and
    click parse it as a number and refuse anything else in their own words.
    """

    name: str
    help: str
    default: str | None = None
    choices: tuple[str, ...] | None = None
    flag: bool = False
    number: type[int] | type[float] | None = None

    @property
    def cli(self) -> str:
        """The command-line flag."""
        return f"--idclassify-{self.name}"

    @property
    def ini(self) -> str:
        """The ini key."""
        return f"idclassify_{self.name.replace('-', '_')}"

    @property
    def env(self) -> str:
        """The environment variable."""
        return f"IDCLASSIFY_{self.name.replace('-', '_').upper()}"

    @property
    def dest(self) -> str:
        """The attribute name on pytest's option namespace."""
        return f"idclassify_{self.name.replace('-', '_')}"

    @property
    def field(self) -> str:
        """The attribute name on :class:`~pytest_idclassify.suite.SuiteConfig`."""
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class Interface:
    """The words one way of running the suite uses for its options, so messages speak them back.

    ``pytest`` spells ``base-url`` as ``--idclassify-base-url``; ``idclassify verify`` as ``--base-url``.
    Environment variables and ini keys are the same everywhere.
    """

    name: str
    prefix: str

    def flag(self, option: Option | str) -> str:
        """The command-line flag of ``option`` (an :class:`Option` or its name) on this interface."""
        name = option.name if isinstance(option, Option) else option
        return f"{self.prefix}{name}"

    def spell(self, option: Option | str) -> str:
        """The flag and the variable, as messages name a setting: ``--base-url (or IDCLASSIFY_BASE_URL)``."""
        resolved = option if isinstance(option, Option) else BY_NAME[option]
        return f"{self.flag(resolved)} (or {resolved.env})"

    def words(self, text: str) -> str:
        """``text`` (written with pytest's ``--idclassify-`` flags) in this interface's flags."""
        return text.replace(PYTEST.prefix, self.prefix)


#: ``pytest --idclassify-...`` (and ini keys): the plugin's words.
PYTEST = Interface("pytest", "--idclassify-")
#: ``idclassify verify --...``: the command's words.
VERIFY = Interface("idclassify verify", "--")
INTERFACES = {"pytest": PYTEST, "verify": VERIFY}


TARGETS = ("emulator", "live", "replay")
PROFILES = ("gate", "explore")
ASSUMED_MODES = ("report", "count", "exclude")
INFERRED_MODES = ("count", "report")
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")

OPTIONS: tuple[Option, ...] = (
    Option("target", "where the suite sends its calls: the embedded emulator (in-process), a live base URL, "
           "or recorded cassettes (no network)", "emulator", TARGETS),
    Option("base-url", "the scheme and host of a live target, e.g. https://ocr.ap-southeast-1.myhuaweicloud.com "
           "(the full endpoint URL that 'idclassify serve' prints is accepted too); setting it makes the target live, "
           "unless a target is chosen too: then the target wins, except over a base URL typed on the command line; "
           "both set at the same place are a usage error"),
    Option("project-id", "the project id in the path (live targets; the emulator has its own)"),
    Option("auth", "how to authenticate to a live target: token (IDCLASSIFY_TOKEN or the IAM password flow), "
           "aksk (CLOUD_SDK_AK / CLOUD_SDK_SK), or none", None, ("token", "aksk", "none")),
    Option("profile", "gate: fixed boundary examples plus a small seeded sample (derandomised, budgeted); "
           "explore: randomised, many examples, Hypothesis database on", "gate", PROFILES),
    Option("assumed", "clauses the documentation leaves open: report them apart without failing (report), "
           "let them fail the run (count), or skip them (exclude)", "report", ASSUMED_MODES),
    Option("inferred", "clauses that follow from the documentation without being stated: let them fail the run "
           "(count), or report them apart without failing (report)", "count", INFERRED_MODES),
    Option("calibration", "a calibration file written by 'idclassify calibrate': hold the target to the answers "
           "it records for the assumed clauses, as if they were documented"),
    Option("strict", "treat undocumented extra fields and error codes as violations, not as drift the report "
           "lists apart", flag=True),
    Option("call-budget", "the most calls a run may send to a live target (each attempt counts); the run stops "
           "cleanly before it would exceed it", "500", number=int),
    Option("seed", "the seed of the gate profile's random sample; for explore runs, 0 explores afresh each run and "
           "any other value replays the same exploration", "0", number=int),
    Option("sample", "how many seeded random cases the gate profile adds to its fixed examples", "8", number=int),
    Option("report-json", "write the conformance report as JSON to this path"),
    Option("report-html", "write the conformance report as a self-contained HTML page to this path"),
    Option("report-images", "put thumbnails of failing images into the HTML report even for images that did not "
           "come from the toolkit's own synthetic recipes", flag=True),
    Option("cassette-dir", "where replay reads and recording writes cassettes (default: the shipped ones)"),
    Option("record-mode", "cassette record mode: none (replay only, the network blocked), once, new_episodes, all, "
           "or rewrite (record afresh and drop what the run did not use)",
           "none", RECORD_MODES),
    Option("image-host", "HOST[:PORT]: serve URL cases' images on this address of this machine, one the target can "
           "reach (a LAN address, a container's host), and put it in their URLs; a target on loopback or "
           "localhost needs none (the images are served on 127.0.0.1)"),
    Option("public-base-url", "for URL cases against a live service: the public base URL under which the "
           "upload hook makes images reachable"),
    Option("upload-hook", "for URL cases against a live service: 'module:function' called as "
           "function(path, content, content_type) -> public URL"),
    Option("tolerate-transient", "let a 429, 503 or 504 that a retry resolved pass (a live service under load); "
           "without it every attempt's 5xx or 429 fails behaviour.statuses. The report counts them either way",
           flag=True),
    Option("metrics", "opt-in recognition metrics: 'specimens' (the synthetic specimens) or a folder holding "
           "images and labels.json"),
    Option("metrics-threshold", "fail the run when type accuracy (0..1) falls below this; without it metrics "
           "are figures only", number=float),
    Option("redact-names-file", "a file of extra names whose values are secrets (one per line: word, =word or "
           "prefix*), redacted in cassettes, reports and logs besides the shipped ones"),
)  # fmt: skip

BY_NAME = {option.name: option for option in OPTIONS}
