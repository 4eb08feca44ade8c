"""Strategies for whole contract cases: valid requests the API must accept, invalid ones it must refuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from pytest_idclassify.cases._model import Call, Case, Expect, ImageSource, UrlImage
from pytest_idclassify.catalogue import BASE64_LIMIT_BINARY, BODY_LIMIT, catalogue
from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import SUPPORTED_FORMATS, UNSUPPORTED_FORMATS, ImageRecipe
from pytest_idclassify.strategies._args import check_formats, check_kinds
from pytest_idclassify.strategies._bodies import request_bodies
from pytest_idclassify.strategies._images import SIDE_MAX, SIDE_MIN, image_recipes
from pytest_idclassify.strategies._urls import UrlDraw, urls

#: Valid kinds, name -> the clause each exercises (URL kinds take the clause of the drawn URL).
VALID_KINDS: dict[str, str] = {
    "format": "request.image.formats",
    "side-min": "request.image.side-min",
    "side-max": "request.image.side-max",
    "extra-fields": "request.body.extra-fields",
    "url": "request.url.schemes",
}

#: Invalid kinds, name -> the clause each breaks (URL kinds take the clause of the drawn URL).
INVALID_KINDS: dict[str, str] = {
    "side-min": "request.image.side-min",
    "side-max": "request.image.side-max",
    "format": "request.image.formats",
    "wrong-magic": "request.image.formats",
    "prefix": "request.data.prefix",
    "base64-invalid": "request.data.base64-invalid",
    "noncanonical": "request.data.base64-noncanonical",
    "data-type": "request.data.type",
    "url-type": "request.url.type",
    "alarm-type": "request.alarm.type",
    "both": "request.data-url.exclusive",
    "neither": "request.data-url.neither",
    "json": "request.body.json",
    "url": "request.url.schemes",
    "undecodable": "request.image.undecodable",
    "base64-max": "request.data.base64-max",
    "body-max-size": "request.body.max-size",
}

#: Invalid kinds drawn by default: all but the two whose bodies weigh 10 to 12 MB.
DEFAULT_INVALID_KINDS: tuple[str, ...] = tuple(k for k in INVALID_KINDS if k not in ("base64-max", "body-max-size"))

_PREFIXES = ("data-uri-jpeg", "data-uri-jpg", "data-uri-png", "data-uri-empty", "data-uri-upper", "data-uri-space")
_NONCANONICAL = ("mime", "newlines", "whitespace", "trailing-newline", "missing-padding", "excess-padding", "urlsafe")
_INVALID_JSON = (
    b"",
    b"{",
    b'{"data": ',
    b"{'data': 'iVBORw0KGgo='}",
    b'{"data": "iVBORw0KGgo=",}',
    b'{"data": NaN}',
    b'{"alarm": True}',
    b"data=iVBORw0KGgo%3D",
    b'{"data": "\xff\xfe"}',
    b"[1, 2",
)
_URL_VALID = ("plain", "encoded", "redirect", "overlong")
_URL_INVALID = ("raw", "idn", "scheme", "unreachable", "failing", "missing", "slow", "wrong-type")


def _code_companion(clause_id: str) -> tuple[str, ...]:
    """The assumed ``.code`` clause that names the error of a clause whose error is undocumented."""
    code = f"{clause_id}.code"
    return (code,) if code in catalogue() else ()


def _label(recipe: ImageSource | UrlImage | str) -> str:
    if isinstance(recipe, ImageRecipe):
        return f"{recipe.format}-{recipe.width}x{recipe.height}"
    return str(recipe)[:24]


def _alarm_suffix(body: dict[str, Any]) -> str:
    alarm = body.get("alarm")
    return "" if "alarm" not in body else f"-alarm-{str(alarm).lower()}" if isinstance(alarm, bool) else "-alarm-x"


def _case(clause_id: str, label: str, call: Call, expect: Expect, *, needs: frozenset[str] = frozenset()) -> Case:
    companions = _code_companion(clause_id) if expect is Expect.REFUSED else ()
    return Case(clause=clause_id, label=label, calls=(call,), expect=expect, companions=companions, needs=needs)


def _sides_with(boundary: Sequence[int], other: tuple[int, int]) -> st.SearchStrategy[tuple[int, int]]:
    """(width, height) with one side drawn from ``boundary`` and the other from the ``other`` range."""
    edge, rest = st.sampled_from(tuple(boundary)), st.integers(*other)
    return st.one_of(st.tuples(edge, rest), st.tuples(rest, edge))


def _url_case(drawn: UrlDraw, body: dict[str, Any]) -> Case:
    call = Call(json={"url": drawn.value, **{k: v for k, v in body.items() if k == "alarm"}})
    needs = frozenset({"url-server"}) if isinstance(drawn.value, UrlImage) else frozenset()
    label = f"url-{drawn.kind}" + (f"-{_label(drawn.value.image)}" if isinstance(drawn.value, UrlImage) and
                                   drawn.value.image is not None else "")  # fmt: skip
    expect = Expect.REFUSED if drawn.refused else Expect.ACCEPTED
    return _case(drawn.clause, label + _alarm_suffix(body), call, expect, needs=needs)


def valid_requests(
    *, kinds: Sequence[str] = tuple(VALID_KINDS), formats: Sequence[str] = SUPPORTED_FORMATS
) -> st.SearchStrategy[Case]:
    """Return a strategy for single-call cases the documentation says must be accepted.

    Kinds: ``format`` (a small image in a supported format), ``side-min`` (a side of 15 or 16
    px), ``side-max`` (a side of 8,191 or 8,192 px, the other small), ``extra-fields`` (fields the
    API does not define, which it ignores) and ``url`` (a loopback image: plain, behind a
    redirect, under a percent-encoded Chinese name, or at a long path).  Each case carries the
    clause it exercises and ``Expect.ACCEPTED``: the images are flat colours, so a content-level
    AIS.0104/AIS.0105 is an acceptable answer but an input-validation refusal is not.  Examples
    shrink toward the first kind and format, the smallest sides, ``alarm`` omitted.

    Raises:
        StrategyArgumentError: ``kinds`` is empty or names an unknown kind.
        ImageSpecError: ``formats`` is empty or names a format the API does not support.

    """
    chosen = check_kinds("kinds", kinds, VALID_KINDS)
    names = check_formats(formats)
    unsupported = [fmt for fmt in names if fmt not in SUPPORTED_FORMATS]
    if unsupported:
        raise ImageSpecError(
            f"formats has {unsupported}, which the API refuses; valid requests use {SUPPORTED_FORMATS}"
        )
    bodies = {
        "format": request_bodies(images=image_recipes(formats=names)),
        "side-min": request_bodies(images=_recipes(names, _sides_with((SIDE_MIN, SIDE_MIN + 1), (SIDE_MIN, 64)))),
        "side-max": request_bodies(images=_recipes(names, _sides_with((SIDE_MAX - 1, SIDE_MAX), (SIDE_MIN, 32)))),
        "extra-fields": request_bodies(images=image_recipes(formats=names), extra_fields=True),
    }
    url_draws = urls(kinds=_URL_VALID, images=image_recipes(formats=names, max_side=48))

    @st.composite
    def draw(draw: st.DrawFn) -> Case:
        kind = draw(st.sampled_from(chosen))
        if kind == "url":
            return _url_case(draw(url_draws), draw(request_bodies(shapes=("data",), images=st.just(_TINY))))
        body = draw(bodies[kind])
        label = _label(body["data"]) + _alarm_suffix(body)
        if kind == "extra-fields":
            label = f"extra-{sum(k not in ('data', 'alarm') for k in body)}-{label}"
        return _case(VALID_KINDS[kind], label, Call(json=body), Expect.ACCEPTED)

    return draw()


_TINY = ImageRecipe(format="png", width=16, height=16)


def _recipes(formats: Sequence[str], sides: st.SearchStrategy[tuple[int, int]]) -> st.SearchStrategy[ImageRecipe]:
    return st.builds(
        lambda fmt, wh: ImageRecipe(format=fmt, width=wh[0], height=wh[1]), st.sampled_from(formats), sides
    )


def _padded_for(recipe: ImageRecipe, variant: str) -> ImageRecipe:
    """The recipe in ``variant``, grown so that the variant really differs from canonical base64.

    Line breaks need a text over 76 characters and dropped padding a size that is not a multiple
    of 3, so the file is padded to at least 200 bytes of such a size; the URL-safe alphabet needs
    a '+' or '/' in the text, which seeded noise has.  Rendering an image this small costs well
    under a millisecond.
    """
    if variant == "urlsafe":
        candidate = recipe.replace(content="noise", colour=(128, 128, 128))
        while not _has_plus_slash(candidate):
            candidate = candidate.replace(seed=candidate.seed + 1)
        return candidate.replace(base64_variant=variant)
    size = len(recipe.render())
    target = max(size + (12 if recipe.format == "png" else 4), 200)
    while target % 3 == 0:
        target += 1
    return recipe.replace(pad_bytes=target, base64_variant=variant)


def _has_plus_slash(recipe: ImageRecipe) -> bool:
    from pytest_idclassify._base64 import encode

    text = encode(recipe.render())
    return "+" in text or "/" in text


def invalid_requests(
    *, kinds: Sequence[str] = DEFAULT_INVALID_KINDS, formats: Sequence[str] = SUPPORTED_FORMATS
) -> st.SearchStrategy[Case]:
    """Return a strategy for single-call cases that break exactly one clause, which the API must refuse.

    Each drawn :class:`Case` names the clause it breaks (and, for URL and base64-limit clauses,
    the assumed ``.code`` clause naming the error as a companion) and ``Expect.REFUSED``; the rest
    of the request is valid, so the refusal can only come from that clause.  Kinds (see
    :data:`INVALID_KINDS`): sides of 1-14 or 8,193-8,200 px, GIF/WebP, a wrong signature, data-URI
    prefixes, characters outside base64, non-canonical base64, wrong JSON types for each field,
    both or neither of data/url, bodies that are not JSON, bad URLs (raw Chinese, other schemes,
    failed downloads), truncated or corrupt files; ``base64-max`` (10,485,764 characters) and
    ``body-max-size`` (a body over 12 MB) only when asked for, since they weigh 10 to 12 MB.
    Examples shrink toward the first kind and format and the smallest image.

    Raises:
        StrategyArgumentError: ``kinds`` is empty or names an unknown kind.
        ImageSpecError: ``formats`` is empty or names an unknown format.

    """
    chosen = check_kinds("kinds", kinds, INVALID_KINDS)
    names = tuple(f for f in check_formats(formats) if f in SUPPORTED_FORMATS) or SUPPORTED_FORMATS
    small = image_recipes(formats=names, max_side=48)
    below = st.integers(1, SIDE_MIN - 1)
    too_small = _recipes(names, st.one_of(_sides_with(range(1, SIDE_MIN), (SIDE_MIN, 64)), st.tuples(below, below)))
    too_large = _recipes(names, _sides_with(range(SIDE_MAX + 1, SIDE_MAX + 9), (SIDE_MIN, 32)))
    url_draws = urls(kinds=_URL_INVALID, images=small)
    simple = {
        "side-min": request_bodies(images=too_small),
        "side-max": request_bodies(images=too_large),
        "format": request_bodies(images=image_recipes(formats=UNSUPPORTED_FORMATS, max_side=48)),
        "wrong-magic": request_bodies(images=small.map(lambda r: r.replace(corruption="wrong-magic"))),
        "base64-invalid": request_bodies(images=small.map(lambda r: r.replace(base64_variant="non-base64"))),
        "data-type": request_bodies(wrong_type="data"),
        "url-type": request_bodies(wrong_type="url"),
        "alarm-type": request_bodies(wrong_type="alarm", images=small),
        "both": request_bodies(shapes=("both",), images=small, url_values=st.just("http://127.0.0.1/image.jpg")),
        "neither": request_bodies(shapes=("neither", "empty-data", "empty-url", "empty-both")),
        "undecodable": request_bodies(
            images=st.builds(
                lambda r, c: r.replace(corruption=c), small, st.sampled_from(("truncated", "corrupt-data"))
            )
        ),
    }

    @st.composite
    def draw(draw: st.DrawFn) -> Case:
        kind = draw(st.sampled_from(chosen))
        clause_id = INVALID_KINDS[kind]
        if kind == "url":
            return _url_case(draw(url_draws), draw(request_bodies(images=st.just(_TINY))))
        if kind == "json":
            content = draw(st.sampled_from(_INVALID_JSON))
            return _case(clause_id, f"json-{_INVALID_JSON.index(content)}", Call(content=content), Expect.REFUSED)
        if kind == "prefix":
            variant = draw(st.sampled_from(_PREFIXES))
            body = draw(request_bodies(images=small.map(lambda r: r.replace(base64_variant=variant))))
        elif kind == "noncanonical":
            variant = draw(st.sampled_from(_NONCANONICAL))
            body = draw(request_bodies(images=small.map(lambda r: _padded_for(r, variant))))
        elif kind in ("base64-max", "body-max-size"):
            chars = BASE64_LIMIT_BINARY + 4 if kind == "base64-max" else BODY_LIMIT
            recipe = draw(_recipes(names, st.tuples(st.integers(SIDE_MIN, 32), st.integers(SIDE_MIN, 32))))
            body = draw(request_bodies(images=st.just(recipe.replace(pad_base64=chars))))
        else:
            body = draw(simple[kind])
            if kind == "alarm-type" and body["alarm"] is None:
                clause_id = "request.alarm.null"  # the one wrong value the page leaves open: assumed
        return _case(clause_id, _body_label(kind, body), Call(json=body), Expect.REFUSED)

    return draw()


def _body_label(kind: str, body: dict[str, Any]) -> str:
    data = body.get("data")
    if kind in ("data-type", "url-type"):
        field = kind.removesuffix("-type")
        return f"{field}-{type(body[field]).__name__}" + _alarm_suffix(body)
    if kind == "alarm-type":
        return f"alarm-{type(body['alarm']).__name__}-{_label(data)}" if isinstance(data, ImageRecipe) else kind
    if kind == "neither":
        return "neither-" + ("-".join(k for k in body) or "empty-object")
    if isinstance(data, ImageRecipe):
        extra = [p for p in (data.corruption, None if data.base64_variant == "canonical" else data.base64_variant) if p]
        return "-".join([_label(data), *extra]) + _alarm_suffix(body)
    return kind + _alarm_suffix(body)
