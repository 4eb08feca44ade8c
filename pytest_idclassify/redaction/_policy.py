"""The redaction policy: what is secret or personal in anything written or printed, and what replaces it.

One :class:`RedactionPolicy` decides for cassettes, reports, logs and exception messages:

* **by name**: the value of any header, URL query or fragment parameter, JSON or form field, or
  ``name=value`` / ``"name": "value"`` pair in text whose name matches the rules (see
  :mod:`pytest_idclassify.redaction._names`) becomes ``[REDACTED]``;
* **by value**: every value redacted once (and every credential the policy was given) is
  remembered and replaced wherever else it appears: an answer echoing a token, a log line;
* **URLs**: userinfo (``user:password@``) and signed-URL parameters go; the project id in an OCR or
  IAM path becomes ``{project_id}``, an ``Enterprise-Project-Id`` becomes ``{enterprise_project_id}``;
* **images**: a base64 run that decodes to an image becomes ``[image sha256:<hex> <n> bytes]``.

Every rule is idempotent (redacting redacted text changes nothing), so hooks may run repeatedly.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from pytest_idclassify.redaction._images import replace_images
from pytest_idclassify.redaction._names import NameRules, active_rules, normalize_name

#: What a secret is replaced with.  Fixed, so re-recording does not churn cassettes.
REDACTED = "[REDACTED]"
#: What the project id (in a path, a header, anywhere) is replaced with.
PROJECT_PLACEHOLDER = "{project_id}"
#: What an enterprise project id is replaced with.
ENTERPRISE_PLACEHOLDER = "{enterprise_project_id}"
#: Values shorter than this are not searched for elsewhere: they would match ordinary words.
MIN_SECRET = 8
#: Values longer than this are hidden where they are but not searched for elsewhere (no secret is).
MAX_SECRET = 16384
#: the most values a policy keeps of those it learned while redacting; past it the oldest learned
#: one goes.  Values it was given (its arguments, the environment, a client's configuration) stay.
#: A server redacting what clients send would otherwise keep every value for ever, and scan them
#: all for every later text (8.6 ms a log line at 100,000 values, 0.55 ms at 10,000).
MAX_LEARNED = 10_000
#: Nesting deeper than this is not walked (its leaves are replaced whole).
MAX_DEPTH = 200

_PLACEHOLDERS = frozenset({"", REDACTED, PROJECT_PLACEHOLDER, ENTERPRISE_PLACEHOLDER,
                           quote(REDACTED), quote(PROJECT_PLACEHOLDER), quote(ENTERPRISE_PLACEHOLDER)})  # fmt: skip


@functools.cache
def _secret_variables() -> tuple[str, ...]:
    """The environment variables whose values are secrets (the client names them)."""
    from pytest_idclassify.client._config import ENV_VARS, SECRET_SETTINGS

    return (*(ENV_VARS[name] for name in SECRET_SETTINGS), "IDCLASSIFY_EXPIRED_TOKEN")


_PROJECT_NAMES = frozenset({"projectid", "xprojectid"})
_ENTERPRISE_NAMES = frozenset({"enterpriseprojectid"})
_OCR_PATH = re.compile(r"^(?P<head>/v\d+/)(?P<pid>[^/]+)(?P<tail>/ocr/.*)?$")
_IAM_PROJECT_PATH = re.compile(r"^(?P<head>/v3/projects/)(?P<pid>[^/]+)(?P<tail>/.*)?$")
_SIGNED_AUTHORIZATION = re.compile(r"^(?P<alg>[A-Za-z0-9-]+-HMAC-SHA256)\s+(?P<rest>.*)$", re.S)
# A credential after an auth scheme holds a digit or a base64/JWT sign; "Basic authentication" is prose.
_SCHEME_TOKEN = re.compile(
    r"\b(?P<scheme>Bearer|Basic|Digest)\s+(?P<value>(?=[^\s]*[0-9=+/._~-])[A-Za-z0-9._~+/=-]{8,})"
)
_PKI_TOKEN = re.compile(r"\bMII[A-Za-z0-9+/=_-]{40,16384}")
_HIDDEN = r"\[REDACTED\]|%5BREDACTED%5D|\{[a-z_]+\}"
# "name": "value", 'name' => 'value', and (b'name', b'value') as httpcore's trace prints headers.
_QUOTED_PAIR = re.compile(
    r"(?P<q>[\"'])(?P<name>[A-Za-z][\w.\-]{0,80})(?P=q)\s*(?::|=>?|,)\s*b?"
    r"(?P<q2>[\"'])(?P<value>(?:\\.|(?!(?P=q2))[^\\\n])*)(?P=q2)"
)
# A name=value pair, matched at each "=" rather than at every position of the text (fast on megabytes).
_NAME_BEFORE = re.compile(r"(?<![\w.\-%])(?P<name>[A-Za-z][\w.\-]{0,80})=$")
_VALUE_AFTER = re.compile(
    r"(?:(?P<q>[\"'])(?P<quoted>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)|(?P<value>" + _HIDDEN + r"|[^\s&\"'<>,;#)\]}]+))"
)
_SCHEME_BEFORE = re.compile(r"(?<![\w+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}$")
_URL_AFTER = re.compile(r"[^\s\"'<>\\`]+")
_HEADER_LINE = re.compile(r"^[ \t]*(?P<name>[A-Za-z][\w\-]{0,80})[ \t]*:[ \t]*(?P<value>\S[^\r\n]*)$", re.M)
# -H 'X-Auth-Token: value' (a quoted header, as curl commands and HTTP traces print them).
_QUOTED_HEADER = re.compile(r"(?P<q>[\"'])(?P<name>[A-Za-z][\w\-]{0,80}):[ \t]*(?P<value>[^\"'\r\n]+)(?P=q)")
# <SecretAccessKey>value</SecretAccessKey>, as OBS and STS error and credential bodies are written (XML).
# Only the elements that hold credentials: <Key> is an object's name, <KeyMarker> a listing's place.
_XML_SECRET_ELEMENTS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "SecurityToken", "Password",
                        "Signature", "SignatureProvided", "Token", "ClientSecret", "PrivateKey")  # fmt: skip
_XML_ELEMENT = re.compile(
    r"<(?P<name>" + "|".join(_XML_SECRET_ELEMENTS) + r")(?:\s[^<>]{0,400})?>(?P<value>[^<]{1,8192})</(?P=name)\s*>",
    re.IGNORECASE,
)
# --password=x and --password x: a command line someone logged.  A value is no flag of its own, and a
# flag naming a file or a choice (--token-file, --auth token) has no secret after it.
_FLAG = re.compile(r"(?<![\w-])--(?P<name>[A-Za-z][\w\-]{0,80})(?P<sep>=|[ \t]+)(?P<value>(?!-)[^\s\"'`]+)")
_NOT_SECRET_FLAG = re.compile(r"^no-|-(?:file|path|dir|level|type|mode|name|url)$", re.IGNORECASE)
_FORM = re.compile(r"^[\w.\-%+\[\]]+=[^&\s]*(?:&[\w.\-%+\[\]]+=[^&\s]*)*$")


@dataclass(frozen=True)
class Redaction:
    """One replacement a policy made: what kind of place, under which name (lint reports these).

    Attributes:
        kind: ``header``, ``query``, ``fragment``, ``field``, ``form``, ``userinfo``, ``authorization``,
            ``text``, ``echo``, ``project-id`` or ``image``.
        name: the header, parameter or field name (empty for an echo or an image).

    """

    kind: str
    name: str = ""


#: the shortest run of base64 kept as a given value's encoded form (shorter runs match by chance).
MIN_BASE64_FORM = 12
_URL_SAFE = str.maketrans("+/", "-_")


def _by_length(pairs: Mapping[str, str]) -> list[tuple[str, str]]:
    """The pairs longest string first, so a value is replaced before any shorter one inside it."""
    return sorted(pairs.items(), key=lambda item: -len(item[0]))


def _base64_forms(value: str) -> list[str]:
    """The value as base64 would carry it: alone (padded or not, standard or URL-safe), or inside more bytes.

    Inside a longer encoded message (a JSON document, ``user:secret``) the value's bytes fall at one
    of three offsets to base64's 3-byte groups; for each, the characters that encode the value's
    bytes alone are the same whatever surrounds it.  Those runs are remembered too.
    """
    raw = value.encode("utf-8", "surrogatepass")
    alone = base64.b64encode(raw).decode("ascii")
    forms = {alone, alone.rstrip("="), base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}
    for offset in (0, 1, 2):
        encoded = base64.b64encode(bytes(offset) + raw).decode("ascii")
        # Skip the characters the offset's bytes share; keep only whole groups of the value's own bytes.
        core = encoded[(offset * 4 + 2) // 3 : 4 * ((offset + len(raw)) // 3)]
        forms.update((core, core.translate(_URL_SAFE)))
    return sorted(form for form in forms if len(form) >= MIN_BASE64_FORM)


def is_hidden(value: str) -> bool:
    """Tell whether ``value`` is already a placeholder (``[REDACTED]``, ``{project_id}``, an image mark)."""
    return value in _PLACEHOLDERS or value.startswith("[image sha256:")


class RedactionPolicy:
    """What is secret, and the secret values seen so far; every writer redacts through one of these.

    Args:
        values: secret values to replace wherever they appear (tokens, keys, passwords).
        names: the name rules (default: the shipped ``names.txt`` plus the user's file, see
            :func:`use_names_file` and ``IDCLASSIFY_REDACT_NAMES_FILE``).
        project_ids: project ids, replaced with ``{project_id}``.
        from_environment: also take the credentials and project id from the client's environment
            variables (``IDCLASSIFY_TOKEN``, ``CLOUD_SDK_AK``/``SK``, ``IDCLASSIFY_PROJECT_ID``...).

    """

    def __init__(
        self,
        values: Iterable[str] = (),
        *,
        names: NameRules | None = None,
        project_ids: Iterable[str] = (),
        from_environment: bool = True,
    ) -> None:
        self.names = names if names is not None else active_rules()
        self._lock = threading.RLock()
        self._secrets: dict[str, str] = {}
        self._given: set[str] = set()
        self._learning = threading.local()
        # Every string replaced, and those of the given values alone, longest first (see _replaced).
        self._search: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = None
        self._events: list[Redaction] | None = None
        # The environment's values last added (see add_environment).
        self._environment_seen: tuple[str, ...] | None = None
        if from_environment:
            self.add_environment()
        for value in values:
            self.add(value, given=True)
        for value in project_ids:
            self.add(value, PROJECT_PLACEHOLDER, given=True)

    # -- the book of values ------------------------------------------------------------------------

    def add(self, value: str | None, replacement: str = REDACTED, *, given: bool = False) -> None:
        """Remember ``value`` to be replaced everywhere (ignored below 8 characters or when a placeholder).

        ``given`` marks a value the policy was told (kept for ever); a value learned while redacting
        is kept among the newest :data:`MAX_LEARNED`, and not at all inside :meth:`not_learning`.
        """
        if not value or not MIN_SECRET <= len(value) <= MAX_SECRET or is_hidden(value) or REDACTED in value:
            return
        if not given and getattr(self._learning, "off", False):
            return
        encoded = quote(value, safe="")
        with self._lock:
            if given and value not in self._given:
                self._given.update((value, encoded))
                self._search = None  # a value now given is looked for in base64 too
            if value in self._secrets:
                return
            self._secrets[value] = replacement
            if encoded != value:
                self._secrets.setdefault(encoded, replacement)
            while len(self._secrets) - len(self._given) > MAX_LEARNED:
                self._forget_oldest_learned()
            self._search = None

    def _forget_oldest_learned(self) -> None:
        # Dicts keep insertion order: the first value not given is the oldest learned.
        for value in self._secrets:
            if value not in self._given:
                del self._secrets[value]
                return

    @contextlib.contextmanager
    def not_learning(self) -> Iterator[None]:
        """Redact in this thread without remembering what is found: for text an untrusted party chose.

        A server's log lines hold what clients sent; a value learned from one would be hidden from
        every later line, which lets a client erase what it likes (its own address) from the log.
        """
        before = getattr(self._learning, "off", False)
        self._learning.off = True
        try:
            yield
        finally:
            self._learning.off = before

    def add_environment(self, environ: Mapping[str, str] | None = None) -> None:
        """Remember the credentials and project ids set in the client's environment variables."""
        import os

        from pytest_idclassify.client import ENV_VARS

        env = os.environ if environ is None else environ
        secrets = tuple(env.get(name, "").strip() for name in _secret_variables())
        project = env.get(ENV_VARS["project_id"], "").strip()
        enterprise = env.get(ENV_VARS["enterprise_project_id"], "").strip()
        seen = (*secrets, project, enterprise)
        if seen == self._environment_seen:
            return  # called before every redaction: the same values need no second look
        for value in secrets:
            self.add(value, given=True)
        self.add(project, PROJECT_PLACEHOLDER, given=True)
        self.add(enterprise, ENTERPRISE_PLACEHOLDER, given=True)
        self._environment_seen = seen

    def add_config(self, config: Any) -> None:
        """Remember the secrets of a :class:`~pytest_idclassify.client.ClientConfig` (and its project ids)."""
        from pytest_idclassify.client._config import SECRET_SETTINGS

        for name in SECRET_SETTINGS:
            self.add(getattr(config, name, None), given=True)
        self.add(getattr(config, "project_id", None), PROJECT_PLACEHOLDER, given=True)
        self.add(getattr(config, "enterprise_project_id", None), ENTERPRISE_PLACEHOLDER, given=True)

    def __len__(self) -> int:
        return len(self._secrets)

    def key(self) -> tuple[tuple[str, str], ...]:
        """The remembered values as a hashable value (a cache key)."""
        with self._lock:
            return tuple(self._secrets.items())

    def _replaced(self, *, given_only: bool = False) -> list[tuple[str, str]]:
        """Every string replaced (or, ``given_only``, those of the values given), longest first.

        A value the policy was given (a credential of the environment or of a client) is also
        looked for in base64: its forms are six more strings to search every text for, and the
        given values are a dozen where the learned ones may be thousands.
        """
        lists = self._search
        if lists is None:
            with self._lock:
                given: dict[str, str] = {}
                for value in self._given & self._secrets.keys():
                    for form in (value, quote(value, safe=""), *_base64_forms(value)):
                        given.setdefault(form, self._secrets[value])
                lists = self._search = (_by_length({**given, **self._secrets}), _by_length(given))
        return lists[1] if given_only else lists[0]

    def scrub(self, text: str) -> str:
        """Return ``text`` with every remembered value replaced (longest first); names are not looked at."""
        for value, replacement in self._replaced():
            if value in text:
                text = text.replace(value, replacement)
                self.note("echo")
        return text

    def scrub_bytes(self, raw: bytes) -> bytes:
        """Return ``raw`` (bytes that are no text) with every remembered value's UTF-8 bytes replaced.

        A body with one stray byte is no UTF-8, but an echoed credential in it is as plain as in text.
        """
        for value, replacement in self._replaced():
            needle = value.encode("utf-8", "surrogatepass")
            if needle in raw:
                raw = raw.replace(needle, replacement.encode("utf-8"))
                self.note("echo")
        return raw

    # -- what was replaced -------------------------------------------------------------------------

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Redaction]]:
        """Collect a :class:`Redaction` for each replacement made inside the block (for lint)."""
        previous, self._events = self._events, []
        try:
            yield self._events
        finally:
            self._events = previous

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        previous, self._events = self._events, None
        try:
            yield
        finally:
            self._events = previous

    @property
    def recording_now(self) -> bool:
        """Whether a :meth:`recording` block is collecting replacements."""
        return self._events is not None

    def note(self, kind: str, name: str = "") -> None:
        """Note one replacement made outside the policy's own methods (for :meth:`recording`)."""
        if self._events is not None:
            self._events.append(Redaction(kind, name))

    def learn(self, *items: Any) -> None:
        """Remember every secret in ``items`` (URLs, header mappings, bodies) without redacting anything yet.

        Redact an exchange in two passes, learning first, so a value is replaced even where it
        appears before the place that names it (a URL echoing a token sent in a later header).
        """
        with self._quiet():
            for item in items:
                self.redact_mapping(item)

    def learn_headers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Remember the secrets of a set of headers as :meth:`redact_headers` reads them (the AK of a signature too)."""
        with self._quiet():
            self.redact_headers(headers)

    # -- names -------------------------------------------------------------------------------------

    def is_secret_name(self, name: str) -> bool:
        """Tell whether a header, parameter or field called ``name`` holds a secret."""
        return self.names.matches(name)

    def hide(self, kind: str, name: str, value: str, replacement: str = REDACTED) -> str:
        """Return ``replacement`` for a secret ``value`` (remembered, noted as a :class:`Redaction`).

        A value that is already a placeholder is returned unchanged and not noted.
        """
        if is_hidden(value) or value == replacement:
            return value
        self.add(value, replacement)
        self.note(kind, name)
        return replacement

    # -- URLs --------------------------------------------------------------------------------------

    def redact_params(self, params: str, kind: str = "query") -> str:
        """Redact ``a=b&c=d`` parameters by name (raw spelling kept for the others), then by value."""
        if not params:
            return params
        pieces = []
        for piece in params.split("&"):
            name, sep, value = piece.partition("=")
            if sep and self.is_secret_name(unquote_plus(name)):
                plain = unquote_plus(value)
                hidden = self.hide(kind, unquote_plus(name), plain)
                piece = f"{name}={value if hidden == plain else hidden}"
            pieces.append(piece)
        return self.scrub("&".join(pieces))

    def redact_url(self, url: str) -> str:
        """Return ``url`` without userinfo, secret query and fragment parameters, and with ``{project_id}``."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.scrub(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            # Percent-encoded: brackets in a netloc read as an IPv6 host, and urlsplit refuses that.
            if not is_hidden(userinfo):
                user, _, password = userinfo.partition(":")
                for value in (user, password):
                    self.add(unquote_plus(value))
                    self.add(value)
                self.note("userinfo", "password" if password else "user")
                netloc = f"{quote(REDACTED)}@{host}"
        path = self._redact_path(parts.path)
        query = self.redact_params(parts.query, "query")
        fragment = (
            self.redact_params(parts.fragment, "fragment") if "=" in parts.fragment else self.scrub(parts.fragment)
        )
        if (netloc, path, query, fragment) == (parts.netloc, parts.path, parts.query, parts.fragment):
            return url
        return urlunsplit((parts.scheme, netloc, path, query, fragment))

    def _redact_path(self, path: str) -> str:
        for pattern in (_OCR_PATH, _IAM_PROJECT_PATH):
            match = pattern.match(path)
            if match is not None:
                pid = unquote_plus(match["pid"])
                if not is_hidden(pid) and not is_hidden(match["pid"]):
                    self.add(pid, PROJECT_PLACEHOLDER)
                    self.add(match["pid"], PROJECT_PLACEHOLDER)
                    self.note("project-id", "path")
                    path = f"{match['head']}{PROJECT_PLACEHOLDER}{match['tail'] or ''}"
                break
        return self.scrub(path)

    # -- headers -----------------------------------------------------------------------------------

    def redact_authorization(self, value: str) -> str:
        """Keep an ``SDK-HMAC-SHA256`` value's algorithm and signed header names; hide the rest."""
        match = _SIGNED_AUTHORIZATION.match(value.strip())
        if match is None:
            scheme, _, credential = value.strip().partition(" ")
            if credential and scheme.isalpha():
                self.add(credential.strip())
            return self.hide("header", "Authorization", value)
        parts = []
        for part in re.split(r",\s*", match["rest"]):
            name, sep, raw = part.partition("=")
            if sep and name.strip().lower() != "signedheaders":
                raw = self.hide("authorization", name.strip(), raw.strip())
            parts.append(f"{name}={raw}" if sep else part)
        return f"{match['alg']} {', '.join(parts)}"

    def redact_header(self, name: str, value: str) -> str:
        """Return one header's value redacted (its name decides; any other value is redacted as text)."""
        normalized = normalize_name(name)
        if normalized == "authorization":
            return self.redact_authorization(value)
        if normalized in _PROJECT_NAMES:
            return self.hide("project-id", name, value, PROJECT_PLACEHOLDER)
        if normalized in _ENTERPRISE_NAMES:
            return self.hide("project-id", name, value, ENTERPRISE_PLACEHOLDER)
        if self.is_secret_name(name):
            return self.hide("header", name, value)
        return self.redact_text(value)

    def redact_headers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
        """Return a copy of ``headers`` with each value redacted (names and order kept; lists stay lists).

        Accepts a mapping (including :class:`httpx.Headers`) or ``(name, value)`` pairs; repeated
        names keep their last value.
        """
        items = headers.items() if isinstance(headers, Mapping) else headers
        out: dict[str, Any] = {}
        for name, value in items:
            if isinstance(value, (list, tuple)):
                out[name] = [self.redact_header(name, str(v)) for v in value]
            else:
                out[name] = self.redact_header(name, str(value))
        return out

    # -- structures --------------------------------------------------------------------------------

    def redact_mapping(self, obj: Any) -> Any:
        """Return a copy of a JSON-like value with secrets redacted by field name, and every string as text.

        Under a secret name, a string, number or list of them becomes ``[REDACTED]``; an object is
        walked (so ``{"token": {"expires_at": ...}}`` keeps what is not secret in it).
        """
        return self._walk(obj, 0)

    def _walk(self, obj: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return REDACTED
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for key, value in obj.items():
                redacted = self._field(key, value, depth) if isinstance(key, str) else self._walk(value, depth + 1)
                out[self.redact_key(key, out) if isinstance(key, str) else key] = redacted
            return out
        if isinstance(obj, (list, tuple)):
            return [self._walk(item, depth + 1) for item in obj]
        if isinstance(obj, str):
            return self.redact_text(obj)
        return obj

    def redact_key(self, key: str, taken: Mapping[Any, Any] = MappingProxyType({})) -> str:
        """Return an object's ``key`` with every given value replaced: a server may key a field by a credential.

        A key that is a remembered value is replaced whole; inside a longer key only the values the
        policy was given are looked for (a dozen, where the learned ones may be thousands, and each
        key of every object would pay for them).  A key that becomes, or is, one already in
        ``taken`` (the object being built) is numbered (``[REDACTED] 2``): no field is lost.
        """
        safe = self._secrets.get(key, key)
        if safe != key:
            self.note("echo")
        elif len(key) >= MIN_SECRET:
            for value, replacement in self._replaced(given_only=True):
                if value in safe:
                    safe = safe.replace(value, replacement)
                    self.note("echo")
        if safe not in taken:
            return safe
        return next(f"{safe} {n}" for n in itertools.count(2) if f"{safe} {n}" not in taken)

    def _field(self, key: str, value: Any, depth: int) -> Any:
        normalized = normalize_name(key)
        if isinstance(value, str) and normalized in _PROJECT_NAMES:
            return self.hide("project-id", key, value, PROJECT_PLACEHOLDER)
        if isinstance(value, str) and normalized in _ENTERPRISE_NAMES:
            return self.hide("project-id", key, value, ENTERPRISE_PLACEHOLDER)
        if not self.is_secret_name(key) or isinstance(value, Mapping):
            return self._walk(value, depth + 1)
        return self._secret_leaves(key, value, depth)

    def _secret_leaves(self, key: str, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self.hide("field", key, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self.hide("field", key, str(value))
        if isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
            return [self._walk(v, depth + 1) if isinstance(v, Mapping) else self._secret_leaves(key, v, depth + 1)
                    for v in value]  # fmt: skip
        return value

    def redact_form(self, text: str) -> str:
        """Redact an ``application/x-www-form-urlencoded`` body by field name, then as text."""
        return self.redact_text(self.redact_params(text, "form"))

    @staticmethod
    def looks_like_form(text: str) -> bool:
        """Tell whether ``text`` has the shape of a form body (``a=b&c=d``)."""
        return "=" in text and len(text) < 1_000_000 and bool(_FORM.match(text.strip()))

    # -- free text ---------------------------------------------------------------------------------

    def redact_text(self, text: str) -> str:
        """Return ``text`` (a message, a log line, a body that is not JSON) with every secret replaced.

        Images go first (they are the bulk of any text they are in), then URLs, ``Bearer``/``Basic``
        credentials and IAM tokens, ``"name": "value"``, ``name=value``, ``Name: value`` lines,
        ``<Name>value</Name>`` elements and ``--name value`` flags whose name is secret, and last
        every remembered value.
        """
        if not text:
            return text
        text = replace_images(text, lambda _raw: self.note("image"))
        if "://" in text:
            text = self._urls_in(text)
        if "Bearer" in text or "Basic" in text or "Digest" in text:
            text = _SCHEME_TOKEN.sub(lambda m: f"{m['scheme']} {self.hide('text', m['scheme'], m['value'])}", text)
        if "MII" in text:
            text = _PKI_TOKEN.sub(lambda m: self.hide("text", "token", m.group()), text)
        if "'" in text or '"' in text:
            text = _QUOTED_PAIR.sub(self._quoted_pair, text)
        if "=" in text:
            text = self._name_values_in(text)
        if ":" in text:
            text = _HEADER_LINE.sub(self._header_line, text)
            text = _QUOTED_HEADER.sub(self._quoted_header, text)
        if "</" in text:
            text = _XML_ELEMENT.sub(self._xml_element, text)
        if "--" in text:
            text = _FLAG.sub(self._flag, text)
        return self.scrub(text)

    def _urls_in(self, text: str) -> str:
        out, last = [], 0
        for anchor in re.finditer("://", text):
            start = anchor.start()
            if start < last:
                continue
            scheme = _SCHEME_BEFORE.search(text, max(last, start - 32), start)
            rest = _URL_AFTER.match(text, anchor.end())
            if scheme is None or rest is None:
                continue
            out += [text[last : scheme.start()], self.redact_url(text[scheme.start() : rest.end()])]
            last = rest.end()
        return "".join(out) + text[last:] if out else text

    def _name_values_in(self, text: str) -> str:
        out, last = [], 0
        for anchor in re.finditer("=", text):
            at = anchor.start()
            if at < last:
                continue
            name = _NAME_BEFORE.search(text, max(last, at - 82), at + 1)
            value = _VALUE_AFTER.match(text, at + 1)
            if name is None or value is None:
                continue
            group = "quoted" if value["quoted"] is not None else "value"
            raw = value[group]
            hidden = self._named_value(name["name"], raw)
            if hidden != raw:
                out += [text[last : value.start(group)], hidden]
                last = value.end(group)
        return "".join(out) + text[last:] if out else text

    def _quoted_pair(self, match: re.Match[str]) -> str:
        name, value = match["name"], match["value"]
        if not self.is_secret_name(name) or is_hidden(value):
            return match.group()
        return self._hide_group(match, name, value)

    def _named_value(self, name: str, value: str) -> str:
        if not self.is_secret_name(name) or is_hidden(value) or is_hidden(unquote_plus(value)):
            return value
        self.add(unquote_plus(value))
        return self.hide("text", name, value)

    def _xml_element(self, match: re.Match[str]) -> str:
        name, value = match["name"], match["value"].strip()
        if is_hidden(value):
            return match.group()
        return self._hide_group(match, name, value)

    def _flag(self, match: re.Match[str]) -> str:
        """A ``--name value`` flag: the value hidden when the name is secret and the value can be one."""
        name, value = match["name"], match["value"]
        if _NOT_SECRET_FLAG.search(name) or not self.is_secret_name(name) or is_hidden(value):
            return match.group()
        if match["sep"] != "=" and not any(c.isdigit() or not c.isalnum() for c in value):
            return match.group()  # --auth token: a word after a flag is as likely a choice as a secret
        return self._hide_group(match, name, value)

    def _quoted_header(self, match: re.Match[str]) -> str:
        """A quoted ``'Name: value'`` header (a curl command): the value hidden when the name is secret."""
        name, value = match["name"], match["value"].strip()
        if not self.is_secret_name(name) or is_hidden(value):
            return match.group()
        return self._hide_group(match, name, value)

    def _hide_group(self, match: re.Match[str], name: str, value: str) -> str:
        """The matched text with its ``value`` group replaced by the hidden form of ``value`` (which hide remembers)."""
        start, end = match.span("value")
        base, whole = match.start(), match.group()
        return whole[: start - base] + self.hide("text", name, value) + whole[end - base :]

    def _header_line(self, match: re.Match[str]) -> str:
        name, value = match["name"], match["value"].strip()
        if not self.is_secret_name(name) or is_hidden(value) or "://" in name:
            return match.group()
        start, base, whole = match.start("value"), match.start(), match.group()
        return whole[: start - base] + self.redact_header(name, value)
