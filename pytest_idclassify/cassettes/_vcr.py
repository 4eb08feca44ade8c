"""vcrpy wired for this API: redacting hooks, a redacting serializer, an atomic persister, meaning matchers."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import vcr
from vcr.cassette import Cassette
from vcr.matchers import method as vcr_method
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.record_mode import RecordMode
from vcr.serialize import deserialize, serialize

from pytest_idclassify.cassettes._canonical import SecretBook, hooks, parse_json
from pytest_idclassify.cassettes._digest import decode_data, image_digest
from pytest_idclassify.cassettes._format import decode_interaction, dumps_cassette, encode_interaction, loads_document
from pytest_idclassify.cassettes._match import (
    match_body,
    match_key,
    match_path,
    miss_message,
    recipe_images,
    recipe_key,
    rendering_change,
)
from pytest_idclassify.cassettes._store import atomic_write, read_cassette_text, redact_interaction, store_image
from pytest_idclassify.errors import CassetteError, CassetteMissError
from pytest_idclassify.redaction import default_policy

#: The record modes :func:`use_cassette` accepts; ``rewrite`` re-records a cassette from scratch.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
#: The file name suffix of a cassette.
SUFFIX = ".json"
_MATCH_ON = ("method", "idclassify_path", "idclassify_body")
# What vcrpy resolves _MATCH_ON to: the functions the index stands in for.
_MATCHERS = (vcr_method, match_path, match_body)
_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=+,]")
_MAX_NAME = 96
# Marks a request read from a cassette file (see _Recorder.load_cassette).
_LOADED = "_idclassify_loaded"
# Canonical forms kept per cassette: the few lookups of one call are what they serve.
_CANONICAL_KEPT = 8


def _request_key(request: Any) -> tuple[Any, ...]:
    """What a vcrpy request's canonical form depends on (besides what the secret book knows)."""
    return (request.method, request.uri, repr(sorted(dict(request.headers).items())), request.body)


class _Recorder:
    """What one VCR shares between its hooks, serializer and persister: the secret book and images."""

    def __init__(self, *, keep_images: bool, book: SecretBook | None, rerecord_hint: str | None) -> None:
        self.book = book if book is not None else default_policy()
        self.keep_images = keep_images
        self.rerecord_hint = rerecord_hint
        self._images: dict[str, str] = {}
        self._canonical: dict[tuple[Any, ...], tuple[str, dict[str, Any], Any]] = {}
        self._lock = threading.Lock()
        self._before_request, self.before_record_response = hooks(self.book)

    def before_record_request(self, request: Any) -> Any:
        if request.__dict__.get(_LOADED):
            return request
        if self.keep_images:
            self._stash_image(request.body)
        # vcrpy hands the hook a fresh copy of the same request several times (to match it, to
        # play it, to record it): its canonical form is kept, unless the book has learnt since.
        seen = _request_key(request)
        with self._lock:
            known = self._canonical.get((*seen, len(self.book)))
        if known is not None:
            request.uri, request.headers, request.body = known[0], dict(known[1]), known[2]
            return request
        request = self._before_request(request)
        canonical, learnt = (request.uri, dict(request.headers), request.body), len(self.book)
        with self._lock:
            if len(self._canonical) >= _CANONICAL_KEPT:
                self._canonical.clear()
            # Under what the book knows once it has learnt this request's own secrets; the canonical
            # form too, which vcrpy passes back to the hook (canonicalising it again changes nothing).
            self._canonical.update(dict.fromkeys([(*seen, learnt), (*_request_key(request), learnt)], canonical))
        return request

    def _stash_image(self, body: Any) -> None:
        ok, value = parse_json(body) if body else (False, None)
        data = value.get("data") if ok and isinstance(value, dict) else None
        if isinstance(data, str):
            raw = decode_data(data)
            key = hashlib.sha256(raw if raw is not None else data.encode("utf-8", "surrogatepass")).hexdigest()
            with self._lock:
                self._images[key] = data

    def write_images(self, path: Path, requests: list[Any]) -> None:
        for request in requests:
            ok, value = parse_json(request.body) if request.body else (False, None)
            data = value.get("data") if ok and isinstance(value, dict) else None
            if isinstance(data, dict) and data.get("sha256") in self._images:
                store_image(path, data["sha256"], self._images[data["sha256"]])

    # serializer interface (vcrpy calls serializer.serialize / .deserialize)
    def serialize(self, cassette_dict: dict[str, Any]) -> str:
        from vcr.request import Request

        items = []
        for interaction in cassette_dict["interactions"]:
            req = interaction["request"]
            request = Request(req["method"], req["uri"], req.get("body"), req.get("headers") or {})
            request, response = redact_interaction(request, dict(interaction["response"]), self.book)
            from vcr.serializers.compat import convert_to_unicode

            items.append(encode_interaction(convert_to_unicode(request._to_dict()), convert_to_unicode(response)))
        return dumps_cassette(items, cassette_dict.get("metadata"))

    def deserialize(self, text: str) -> dict[str, Any]:
        doc = loads_document(text, "cassette")
        interactions = []
        for index, item in enumerate(doc["interactions"]):
            request, response = decode_interaction(item, f"interaction {index}")
            interactions.append({"request": request, "response": response})
        out: dict[str, Any] = {"version": 1, "interactions": interactions}
        if doc.get("metadata"):
            out["metadata"] = doc["metadata"]
        return out

    # persister interface
    def load_cassette(self, cassette_path: Any, serializer: Any) -> Any:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        text = read_cassette_text(path)
        if not text.strip():
            raise CassetteNotFoundError()
        try:
            requests, responses = deserialize(text, serializer)
        except CassetteError as exc:
            raise CassetteError(f"cassette {path}: {exc}") from None
        for request in requests:
            # Written canonical (and redacted again whenever the cassette is saved): vcrpy's hook
            # need not canonicalise what it loads a second time.
            request.__dict__[_LOADED] = True
        return requests, responses

    def save_cassette(self, cassette_path: Any, cassette_dict: dict[str, Any], serializer: Any) -> None:
        path = Path(cassette_path)
        pairs = [
            redact_interaction(request, response, self.book)
            for request, response in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True)
        ]
        redacted = {"requests": [p[0] for p in pairs], "responses": [p[1] for p in pairs]}
        if cassette_dict.get("metadata"):
            redacted["metadata"] = cassette_dict["metadata"]
        if self.keep_images:
            self.write_images(path, redacted["requests"])
        atomic_write(path, serialize(redacted, serializer))


class _IdClassifyCassette(Cassette):  # type: ignore[misc]
    """A vcrpy cassette whose misses raise :class:`CassetteMissError` with a field-wise explanation.

    Requests are looked up in an index of the recorded interactions by their match key, so a
    replay costs the same per request whatever the cassette's length; vcrpy's own lookup tries
    every recorded interaction in turn (and re-reads each recorded body) for every request.
    """

    def _indexed(self, name: str, key: Any) -> dict[Any, list[int]]:
        # Interactions are only ever appended (loaded, then recorded): index the new ones.
        index: dict[Any, list[int]] = self.__dict__.setdefault(f"_{name}_index", {})
        done: int = self.__dict__.get(f"_{name}_indexed", 0)
        if done > len(self.data):  # the list was replaced: start over
            index.clear()
            done = 0
        for position in range(done, len(self.data)):
            index.setdefault(key(self.data[position][0]), []).append(position)
        self.__dict__[f"_{name}_indexed"] = len(self.data)
        return index

    def _index(self) -> dict[Any, list[int]]:
        return self._indexed("match", match_key)

    def _responses(self, request: Any) -> Any:
        if tuple(self._match_on) != _MATCHERS:  # matchers other than ours: vcrpy's own scan
            yield from super()._responses(request)
            return
        request = self._before_record_request(request)
        if not request:
            return
        positions = self._index().get(match_key(request))
        if positions:
            for position in positions:
                yield position, self.data[position][1]
        else:
            for position, _ in self.by_recipe(request):
                yield position, self.data[position][1]

    def by_recipe(self, request: Any) -> list[tuple[int, str]]:
        """Return the recorded interactions a (canonical) request matches by recipe, each with its library change.

        Those recorded the request's images from the same recipes, formats and sizes, drawn by other
        releases of the rendering libraries: the answer is the recipe's, and a new OpenCV or Pillow
        must not fail a replay.  Only on a write-protected cassette: recording modes record the new
        bytes instead.  The same libraries and other bytes mean the renderer changed: no match.
        """
        key = recipe_key(request) if self.write_protected else None
        if key is None:
            return []
        found = []
        for position in self._indexed("recipe", recipe_key).get(key, ()):
            change = rendering_change(request, self.data[position][0])
            if change is not None:
                found.append((position, change))
        return found

    def play_response(self, request: Any) -> Any:
        """Play the recorded response as vcrpy does, noting a response played by recipe."""
        canonical = self._before_record_request(request)
        exact = not canonical or self._index().get(match_key(canonical))
        candidates = {} if exact else dict(self.by_recipe(canonical))
        before = {position: self.play_counts[position] for position in candidates}
        response = super().play_response(request)
        played = next((p for p in candidates if self.play_counts[p] != before[p]), None)
        if played is not None:
            recipes = {image["recipe"] for image in recipe_images(canonical)}
            self.rendered_differently.setdefault(candidates[played], set()).update(recipes)
        return response

    @property
    def rendered_differently(self) -> dict[str, set[str]]:
        """The library changes across which responses were played by recipe, with the recipes they concerned."""
        notes: dict[str, set[str]] = self.__dict__.setdefault("_rendered_differently", {})
        return notes

    def filter_request(self, request: Any) -> Any:
        filtered = super().filter_request(request)
        # vcrpy's httpx stub asks this only for a request it cannot play on a write-protected cassette.
        if filtered and self.write_protected:
            recorder = self._persister if isinstance(self._persister, _Recorder) else None
            raise CassetteMissError(miss_message(self, filtered, recorder.rerecord_hint if recorder else None))
        return filtered


class IdClassifyVCR(vcr.VCR):  # type: ignore[misc]
    """A :class:`vcr.VCR` that accepts the ``rewrite`` record mode and uses the miss-explaining cassette."""

    def get_merged_config(self, **kwargs: Any) -> dict[str, Any]:
        """Merge as vcrpy does, translating ``rewrite`` into ``all`` with unused interactions dropped."""
        mode = kwargs.get("record_mode", self.record_mode)
        if mode == "rewrite":
            kwargs = {**kwargs, "record_mode": RecordMode.ALL, "drop_unused_requests": True}
        return dict(super().get_merged_config(**kwargs))

    def _use_cassette(self, with_current_defaults: bool = False, **kwargs: Any) -> Any:
        if with_current_defaults:
            return _IdClassifyCassette.use(**self.get_merged_config(**kwargs))
        return _IdClassifyCassette.use_arg_getter(functools.partial(self.get_merged_config, **kwargs))


def _check_mode(record_mode: str) -> str:
    mode = getattr(record_mode, "value", record_mode)
    if mode not in RECORD_MODES:
        raise CassetteError(
            f"record mode {record_mode!r} is not one of {', '.join(RECORD_MODES)}; use none to replay (CI), "
            "once to record missing cassettes, new_episodes to add requests, rewrite to re-record"
        )
    return str(mode)


def _skipped_patchers(libraries: Iterable[str] | None) -> dict[str, tuple[str, ...]]:
    """Vcrpy's ``skip_patchers`` for all but ``libraries`` (nothing for vcrpy releases without the option)."""
    from vcr import patch

    known: tuple[str, ...] = getattr(patch, "PATCHER_NAMES", ())
    if libraries is None or not known:
        return {}
    wanted = set(libraries)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise CassetteError(
            f"libraries {unknown} are not HTTP libraries vcrpy patches; use some of: {', '.join(known)}"
        )
    return {"skip_patchers": tuple(name for name in known if name not in wanted)}


def make_vcr(
    *,
    record_mode: str = "none",
    keep_images: bool = False,
    drop_unused_requests: bool = False,
    secrets: SecretBook | None = None,
    rerecord_hint: str | None = None,
    libraries: Iterable[str] | None = None,
) -> IdClassifyVCR:
    """Return a :class:`vcr.VCR` that records and replays this API's traffic safely.

    Every way vcrpy writes a cassette (a first recording, ``new_episodes`` appends, the rewrite
    after ``drop_unused_requests``, ``rewrite``) goes through the redacting hooks, the redacting
    persister and the redacting serializer.  Requests match on method, path (``{project_id}`` in
    place of the id) and body meaning (``data`` by its digest); never on headers.

    Args:
        record_mode: ``none`` (replay only; a miss raises :class:`CassetteMissError`), ``once``,
            ``new_episodes``, ``all`` or ``rewrite``.
        keep_images: keep each image's base64 in ``images/<sha256>.b64`` beside the cassette.
        drop_unused_requests: rewrite a cassette without the interactions a run did not play.
        secrets: a :class:`~pytest_idclassify.redaction.RedactionPolicy` to share (default: the
            process-wide one, which knows the environment's and every client's credentials).
        rerecord_hint: the re-record command a miss message shows (the pytest plugin names the test).
        libraries: the HTTP libraries whose traffic the cassette records and replays, by vcrpy's
            names (``httpx``, ``requests``, ``httplib``...); ``None``: every one vcrpy knows.  The
            contract suite names ``httpx`` alone: patching the others costs a few milliseconds a cassette.

    """
    mode = _check_mode(record_mode)
    recorder = _Recorder(keep_images=keep_images, book=secrets, rerecord_hint=rerecord_hint)
    instance = IdClassifyVCR(
        serializer="idclassify",
        record_mode=RecordMode.ALL if mode == "rewrite" else mode,
        drop_unused_requests=drop_unused_requests or mode == "rewrite",
        match_on=_MATCH_ON,
        before_record_request=recorder.before_record_request,
        before_record_response=recorder.before_record_response,
        decode_compressed_response=True,
        **_skipped_patchers(libraries),
    )
    instance.register_serializer("idclassify", recorder)
    instance.register_persister(recorder)
    instance.register_matcher("idclassify_path", match_path)
    instance.register_matcher("idclassify_body", match_body)
    return instance


def use_cassette(
    path: str | Path,
    *,
    record_mode: str = "none",
    keep_images: bool = False,
    drop_unused_requests: bool = False,
    allow_playback_repeats: bool = False,
    secrets: SecretBook | None = None,
    rerecord_hint: str | None = None,
    libraries: Iterable[str] | None = None,
) -> Any:
    """Return a context manager (and decorator) that records to or replays from the cassette at ``path``.

    ``record_mode="none"`` (the default, for CI) replays only: the network is blocked and a
    request with no recorded match raises :class:`~pytest_idclassify.errors.CassetteMissError`.
    Other arguments as for :func:`make_vcr`; ``allow_playback_repeats`` lets one recorded answer
    serve a request sent several times.  Safe from several pytest-xdist workers as long as each
    test has its own file (see :func:`cassette_path`): files are written atomically.
    """
    factory = make_vcr(
        record_mode=record_mode,
        keep_images=keep_images,
        drop_unused_requests=drop_unused_requests,
        secrets=secrets,
        rerecord_hint=rerecord_hint,
        libraries=libraries,
    )
    return factory.use_cassette(str(path), allow_playback_repeats=allow_playback_repeats)


def cassette_path(directory: str | Path, test_id: str) -> Path:
    """Return the cassette file for a pytest node id under ``directory``: one path-safe file per test.

    ``tests/test_api.py::TestX::test_y[jpeg-15x15]`` becomes ``test_api/TestX.test_y[jpeg-15x15].json``.
    Characters that are not safe in file names on every platform are replaced, and a short hash of
    the original id is appended whenever the name had to change, so distinct ids never collide.
    """
    module, _, name = test_id.partition("::")
    stem = Path(module).stem if module.endswith(".py") else module
    name = name.replace("::", ".") or stem
    parts = []
    for part in (stem, name):
        safe = _UNSAFE.sub("_", part).strip(".") or "_"
        if safe != part or len(safe) > _MAX_NAME:
            digest = hashlib.sha256(part.encode("utf-8")).hexdigest()[:10]
            safe = f"{safe[:_MAX_NAME]}-{digest}"
        parts.append(safe)
    return Path(directory) / parts[0] / f"{parts[1]}{SUFFIX}"


def digest_of(data: str) -> dict[str, Any]:
    """Return the digest a cassette stores for a ``data`` value (see :func:`note_image` for recipes)."""
    return image_digest(data)
