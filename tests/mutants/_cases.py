"""The cases the self-tests run: the gate profile's, or a small set of our own while it is not available."""

from __future__ import annotations

from pytest_idclassify.cases import Auth, Call, Case, Expect, Relation, UrlImage
from pytest_idclassify.catalogue import BODY_LIMIT
from pytest_idclassify.images import ImageRecipe

_FLAT = ImageRecipe("png", 64, 64)
_PASSPORT = ImageRecipe("jpeg", 640, 400, content="specimen", doc_type="passport", seed=0)
_AKSK = frozenset({"aksk"})


def _data(image: ImageRecipe, **extra: object) -> Call:
    return Call(json={"data": image, **extra})


def own_cases() -> tuple[Case, ...]:
    """One or two cases for every clause a mutant of the catalogue must be caught by."""
    refused, accepted, served = Expect.REFUSED, Expect.ACCEPTED, Expect.SERVED
    blur = tuple(_data(_PASSPORT.replace(degradations=(("blur", s),)), alarm=True) for s in (0.0, 0.5, 1.0))
    return (
        Case("request.image.side-min", "png-14x64", (_data(ImageRecipe("png", 14, 64)),), expect=refused),
        Case("request.image.side-min", "png-64x14", (_data(ImageRecipe("png", 64, 14)),), expect=refused),
        Case("request.image.side-min", "png-15x64", (_data(ImageRecipe("png", 15, 64)),), expect=accepted),
        Case("request.image.side-min", "png-64x15", (_data(ImageRecipe("png", 64, 15)),), expect=accepted),
        Case("request.image.side-max", "png-8193x15", (_data(ImageRecipe("png", 8193, 15)),), expect=refused),
        Case("request.image.side-max", "png-8192x15", (_data(ImageRecipe("png", 8192, 15)),), expect=accepted),
        Case("request.image.formats", "gif", (_data(ImageRecipe("gif", 64, 64)),), expect=refused),
        Case("request.image.no-document", "flat-png", (_data(_FLAT),), expect=refused),
        Case("request.data.prefix", "data-uri-png", (_data(_FLAT.replace(base64_variant="data-uri-png")),),
             expect=refused),
        Case("request.data.base64-noncanonical", "newlines", (_data(_FLAT.replace(base64_variant="newlines")),),
             expect=refused),
        Case("request.data-url.exclusive", "both", (Call(json={"data": _FLAT, "url": UrlImage(_FLAT, "both.png")}),),
             expect=refused, needs=frozenset({"url-server"})),
        Case("request.alarm.type", "string", (_data(_FLAT, alarm="yes"),), expect=refused),
        Case("request.body.json", "truncated", (Call(content=b'{"data": "iVBOR'),), expect=refused),
        Case("request.body.max-size", "limit+1", (Call(content=b'{"data":"' + b"A" * BODY_LIMIT + b'"}'),),
             expect=refused),
        Case("auth.token.missing", "none", (Call(json={"data": _FLAT}, auth=Auth.NONE),), expect=refused),
        Case("auth.token.invalid", "garbage", (Call(json={"data": _FLAT}, auth=Auth.BAD_TOKEN),), expect=refused),
        Case("auth.token.expired", "expired", (Call(json={"data": _FLAT}, auth=Auth.EXPIRED_TOKEN),),
             expect=refused, needs=frozenset({"expired-token"})),
        Case("auth.aksk.signature", "wrong-sk", (Call(json={"data": _FLAT}, auth=Auth.BAD_SIGNATURE),),
             expect=refused, needs=_AKSK),
        Case("auth.aksk.date-skew", "20-minutes", (Call(json={"data": _FLAT}, auth=Auth.SKEWED_DATE),),
             expect=refused, needs=_AKSK),
        Case("cross.alarm.default-false", "passport", (_data(_PASSPORT),), expect=served),
        Case("cross.alarm.present-iff-requested", "alarm-false", (_data(_PASSPORT, alarm=False),), expect=served),
        Case("response.alarm-result", "alarm-true", (_data(_PASSPORT, alarm=True),), expect=served),
        Case("behaviour.alarm-toggle", "passport", (_data(_PASSPORT, alarm=False), _data(_PASSPORT, alarm=True)),
             relation=Relation.SAME_CLASSIFICATION),
        Case("behaviour.deterministic", "passport", (_data(_PASSPORT), _data(_PASSPORT)),
             relation=Relation.SAME_ANSWER),
        Case("behaviour.score-monotone.blur_score", "passport", blur, relation=Relation.SCORE_NON_DECREASING,
             score="blur_score"),
        Case("header.enterprise-project-id.any-value", "passport",
             (_data(_PASSPORT), Call(json={"data": _PASSPORT}, headers={"Enterprise-Project-Id": "0"}),
              Call(json={"data": _PASSPORT}, headers={"Enterprise-Project-Id": "not a project id"})),
             relation=Relation.SAME_ANSWER),
    )  # fmt: skip


def contract_cases() -> tuple[Case, ...]:
    """The gate profile's cases (seed 0, sample 8), or :func:`own_cases` where the profile is not built yet."""
    try:
        from pytest_idclassify.cases import gate_cases  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return own_cases()
    return tuple(gate_cases(seed=0, sample=8))
