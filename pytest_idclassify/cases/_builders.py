"""Small constructors of recipes, calls and cases, so the gate profile reads as a table of examples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pytest_idclassify.cases._model import Auth, Call, Case, Expect, ImageSource, Relation, UrlImage
from pytest_idclassify.images import ImageRecipe

#: The scene size of specimens in relations: small enough to keep the gate quick, large enough to classify.
SPECIMEN_SIZE = (640, 400)
#: The document type the single-specimen cases photograph.
SPECIMEN_TYPE = "passport"

URL_SERVER = frozenset({"url-server"})


def flat(fmt: str = "png", width: int = 32, height: int = 32, **changes: Any) -> ImageRecipe:
    """A flat grey image: the cheapest file of its size, with no document in it."""
    return ImageRecipe(format=fmt, width=width, height=height, **changes)


def specimen(
    doc_type: str = SPECIMEN_TYPE,
    *,
    fmt: str = "jpeg",
    size: tuple[int, int] = SPECIMEN_SIZE,
    seed: int = 0,
    degradations: Mapping[str, float] | None = None,
) -> ImageRecipe:
    """A photographed specimen of ``doc_type``, optionally degraded."""
    return ImageRecipe(
        format=fmt,
        width=size[0],
        height=size[1],
        content="specimen",
        doc_type=doc_type,
        seed=seed,
        degradations=tuple((degradations or {}).items()),
    )


def body(
    *, data: ImageSource | str | None = None, url: UrlImage | str | None = None, alarm: bool | None = None
) -> dict[str, Any]:
    """A request body with the given fields; ``None`` leaves a field out."""
    out: dict[str, Any] = {}
    if data is not None:
        out["data"] = data
    if url is not None:
        out["url"] = url
    if alarm is not None:
        out["alarm"] = alarm
    return out


def call(
    data: ImageSource | str | None = None,
    *,
    url: UrlImage | str | None = None,
    alarm: bool | None = None,
    auth: Auth = Auth.DEFAULT,
    headers: Mapping[str, str] | None = None,
    path: str | None = None,
) -> Call:
    """A JSON call with ``data`` or ``url`` (lazy), ``alarm`` when given, credentials, headers, another path."""
    return Call(json=body(data=data, url=url, alarm=alarm), auth=auth, headers=dict(headers or {}), path=path)


def expect(
    clause: str,
    label: str,
    single: Call,
    outcome: Expect,
    *,
    companions: Iterable[str] = (),
    needs: Iterable[str] = (),
) -> Case:
    """A single-call case with its required outcome."""
    return Case(clause, label, (single,), expect=outcome, companions=tuple(companions), needs=frozenset(needs))


def relate(
    clause: str,
    label: str,
    calls: Iterable[Call],
    relation: Relation,
    *,
    score: str | None = None,
    needs: Iterable[str] = (),
) -> Case:
    """A metamorphic case: several calls whose answers must stand in ``relation``."""
    return Case(clause, label, tuple(calls), relation=relation, score=score, needs=frozenset(needs))
