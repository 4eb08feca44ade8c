"""Which names carry secrets: the rules shipped in ``names.txt``, plus any file the user points at."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pytest_idclassify.errors import ConfigurationError

#: The environment variable naming a file of extra secret names (the same form as ``names.txt``).
NAMES_FILE_VAR = "IDCLASSIFY_REDACT_NAMES_FILE"
_SEPARATORS = re.compile(r"[-_.\s]+")
_RULE = re.compile(r"^=?[a-z0-9*?\[\]._-]+$")


@lru_cache(maxsize=8192)
def normalize_name(name: str) -> str:
    """Return ``name`` as rules compare it: lowercase, without ``-``, ``_``, ``.`` and spaces."""
    return _SEPARATORS.sub("", name.lower())


@dataclass(frozen=True)
class NameRules:
    """A set of rules telling whether a name (header, parameter, field) holds a secret.

    Attributes:
        words: a name containing one of these is secret (``token``: ``X-Auth-Token``, ``refresh_token``).
        exact: a name equal to one of these is secret (``sk``, but not ``task``).
        globs: a name matching one of these shell patterns is secret (``xamz*``: every ``X-Amz-...``).
        sources: where the rules came from (for messages).

    """

    words: frozenset[str] = frozenset()
    exact: frozenset[str] = frozenset()
    globs: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, text: str, source: str) -> NameRules:
        """Read rules in the ``names.txt`` form: ``word``, ``=word`` or ``prefix*``, ``#`` comments.

        Raises:
            ConfigurationError: naming the file and line of a rule that is not one of those forms.

        """
        words: set[str] = set()
        exact: set[str] = set()
        globs: list[str] = []
        for number, line in enumerate(text.splitlines(), 1):
            rule = line.split("#", 1)[0].strip().lower()
            if not rule:
                continue
            if not _RULE.match(rule) or rule == "=":
                raise ConfigurationError(
                    f"{source}:{number}: {line.strip()!r} is not a name rule; write one name per line: word "
                    "(the name contains it), =word (the name is exactly it) or prefix* (a shell pattern)"
                )
            body = normalize_name(rule.lstrip("="))
            if rule.startswith("="):
                exact.add(body)
            elif any(c in body for c in "*?["):
                globs.append(body)
            else:
                words.add(body)
        return cls(frozenset(words), frozenset(exact), tuple(globs), (source,))

    def __add__(self, other: NameRules) -> NameRules:
        """Both sets of rules: a name secret under either is secret."""
        return NameRules(self.words | other.words, self.exact | other.exact, self.globs + other.globs,
                         self.sources + other.sources)  # fmt: skip

    def matches(self, name: str) -> bool:
        """Tell whether ``name`` holds a secret under these rules (case and separators ignored)."""
        return _matches(self, normalize_name(name))


@lru_cache(maxsize=4096)
def _matches(rules: NameRules, normalized: str) -> bool:
    if not normalized:
        return False
    if normalized in rules.exact or any(word in normalized for word in rules.words):
        return True
    return any(fnmatch.fnmatchcase(normalized, glob) for glob in rules.globs)


@lru_cache(maxsize=1)
def shipped_rules() -> NameRules:
    """The rules shipped with the package (``pytest_idclassify/redaction/names.txt``)."""
    text = resources.files("pytest_idclassify.redaction").joinpath("names.txt").read_text(encoding="utf-8")
    return NameRules.parse(text, "pytest_idclassify/redaction/names.txt")


@lru_cache(maxsize=16)
def _file_rules(path: str, where: str) -> NameRules:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"{where}={path!r} cannot be read ({type(exc).__name__}: {exc}); point it at a UTF-8 text file "
            "with one secret name per line (see docs/reference/security.md)"
        ) from None
    return NameRules.parse(text, path)


def rules_from_file(path: str | os.PathLike[str], where: str = NAMES_FILE_VAR) -> NameRules:
    """The shipped rules plus those in ``path``; ``where`` names the setting in error messages.

    Raises:
        ConfigurationError: when the file cannot be read or holds a line that is not a rule.

    """
    return _shipped_and_file_rules(os.fspath(path), where)


# One object per file, like the file's own rules, so the caches keyed by rules keep hitting.
@lru_cache(maxsize=16)
def _shipped_and_file_rules(path: str, where: str) -> NameRules:
    return shipped_rules() + _file_rules(path, where)


def environment_rules() -> NameRules:
    """The shipped rules plus the file ``IDCLASSIFY_REDACT_NAMES_FILE`` names, if set."""
    path = os.environ.get(NAMES_FILE_VAR, "").strip()
    return rules_from_file(path) if path else shipped_rules()


_OVERRIDE: list[NameRules] = []


def use_rules(rules: NameRules | None) -> None:
    """Make ``rules`` the process's rules (``None``: back to :func:`environment_rules`)."""
    _OVERRIDE[:] = [rules] if rules is not None else []


def active_rules() -> NameRules:
    """The rules in force: those set with :func:`use_rules` (the pytest option), else the environment's."""
    return _OVERRIDE[0] if _OVERRIDE else environment_rules()
