"""The gate profile's seeded sample: drawn by Hypothesis, or read from the pinned copy of the default draw.

Drawing costs a Hypothesis run at every collection, in every process and pytest-xdist worker, so
the default draw (seed 0, 8 cases) ships as data (``gate-sample.json``): ``idclassify schemas
build`` writes it, ``idclassify schemas check`` fails when it no longer equals a fresh draw, and
a collection with the default seed reads it without starting Hypothesis.  Any other seed or size
is drawn as before.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

from pytest_idclassify.cases._model import Auth, Call, Case, Expect, Relation, UrlImage
from pytest_idclassify.errors import IdClassifyError
from pytest_idclassify.images import ImageRecipe

#: How many opening draws of a seeded run are skipped: Hypothesis starts every run from the simplest examples.
SIMPLEST = 2
#: The draw that ships as data: the suite's default seed and sample size.
PINNED_SEED, PINNED_SAMPLE = 0, 8
#: The pinned draw, beside this module (so it ships in the wheel).
PINNED_FILE = Path(__file__).resolve().parent / "gate-sample.json"
#: Bump when the file's shape changes.
PINNED_FORMAT = 1


def draw_sample(seed: int, sample: int) -> list[Case]:
    """Draw ``sample`` cases from ``valid_requests`` and ``invalid_requests`` with Hypothesis under ``seed``.

    The database is off and the backend draws from the seeded stream only, so the same seed gives
    the same cases; of the draws, the first of each clause is taken before any second one, which
    spreads a small sample over many clauses.  Labels start with ``s<seed>.<n>-``.
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    from pytest_idclassify.cases._provider import GATE_BACKEND
    from pytest_idclassify.strategies import invalid_requests, valid_requests

    drawn: list[Case] = []

    @settings(max_examples=sample * 6 + SIMPLEST, database=None, phases=[Phase.generate], deadline=None,
              derandomize=False, suppress_health_check=list(HealthCheck), backend=GATE_BACKEND)  # fmt: skip
    @hypothesis_seed(seed)
    @given(st.one_of(valid_requests(), invalid_requests()))
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    # Hypothesis opens every run with the simplest examples, the same for every seed: skip them.
    fresh = drawn[SIMPLEST:]
    picked: list[Case] = []
    for round_ in range(2):
        seen = {case.clause for case in picked}
        for case in fresh:
            if len(picked) == sample:
                break
            if case not in picked and (round_ or case.clause not in seen):
                picked.append(case)
                seen.add(case.clause)
    return [dataclasses.replace(case, label=f"s{seed}.{n}-{case.label}") for n, case in enumerate(picked)]


def _recipe_to_json(recipe: ImageRecipe) -> dict[str, Any]:
    return {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe)}


def _recipe_from_json(fields: dict[str, Any]) -> ImageRecipe:
    fields = dict(fields)
    fields["colour"] = tuple(fields["colour"])
    fields["degradations"] = tuple((str(name), float(severity)) for name, severity in fields["degradations"])
    return ImageRecipe(**fields)


def _value_to_json(value: Any) -> dict[str, Any]:
    # Every field value is tagged, so a literal dict in a body can never be mistaken for an image.
    if isinstance(value, ImageRecipe):
        return {"image": _recipe_to_json(value)}
    if isinstance(value, UrlImage):
        image = None if value.image is None else _recipe_to_json(_as_recipe(value.image))
        return {"url": {"image": image, "path": value.path, "behaviour": value.behaviour, "raw": value.raw}}
    return {"value": value}


def _as_recipe(image: object) -> ImageRecipe:
    if not isinstance(image, ImageRecipe):
        raise IdClassifyError(f"the sample holds an image that is not an ImageRecipe ({image!r}); it cannot be pinned")
    return image


def _value_from_json(item: dict[str, Any]) -> Any:
    if "image" in item:
        return _recipe_from_json(item["image"])
    if "url" in item:
        url = item["url"]
        image = None if url["image"] is None else _recipe_from_json(url["image"])
        return UrlImage(image, url["path"], url["behaviour"], url["raw"])
    return item["value"]


def case_to_json(case: Case) -> dict[str, Any]:
    """Return ``case`` as plain JSON data (images as their recipes); :func:`case_from_json` reverses it."""
    calls = []
    for call in case.calls:
        calls.append({
            "json": None if call.json is None else {name: _value_to_json(v) for name, v in call.json.items()},
            "content": None if call.content is None else base64.b64encode(call.content).decode("ascii"),
            "auth": call.auth.value,
            "headers": dict(call.headers),
            # Only where a call has one: the pinned sample's data stays as it was.
            **({"path": call.path} if call.path is not None else {}),
        })  # fmt: skip
    return {
        "clause": case.clause,
        "label": case.label,
        "calls": calls,
        "expect": None if case.expect is None else case.expect.value,
        "relation": None if case.relation is None else case.relation.value,
        "companions": list(case.companions),
        "score": case.score,
        "needs": sorted(case.needs),
    }


def case_from_json(data: dict[str, Any]) -> Case:
    """Rebuild a :class:`Case` from :func:`case_to_json`'s data (equal to the original)."""
    calls = tuple(
        Call(
            json=None if call["json"] is None else {name: _value_from_json(v) for name, v in call["json"].items()},
            content=None if call["content"] is None else base64.b64decode(call["content"]),
            auth=Auth(call["auth"]),
            headers=dict(call["headers"]),
            path=call.get("path"),
        )
        for call in data["calls"]
    )
    return Case(
        clause=data["clause"],
        label=data["label"],
        calls=calls,
        expect=None if data["expect"] is None else Expect(data["expect"]),
        relation=None if data["relation"] is None else Relation(data["relation"]),
        companions=tuple(data["companions"]),
        score=data["score"],
        needs=frozenset(data["needs"]),
    )


def render_pinned_sample() -> str:
    """Return the text of ``gate-sample.json``: a fresh draw of the default sample (what ``schemas build`` writes)."""
    cases = [case_to_json(case) for case in draw_sample(PINNED_SEED, PINNED_SAMPLE)]
    document = {"format": PINNED_FORMAT, "seed": PINNED_SEED, "sample": PINNED_SAMPLE, "cases": cases}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


@cache
def pinned_sample() -> tuple[Case, ...] | None:
    """Return the pinned default sample, or ``None`` when the file is absent (then the sample is drawn)."""
    try:
        document = json.loads(PINNED_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if document.get("format") != PINNED_FORMAT or (document.get("seed"), document.get("sample")) != (
        PINNED_SEED,
        PINNED_SAMPLE,
    ):
        raise IdClassifyError(
            f"{PINNED_FILE} is not a pinned sample of format {PINNED_FORMAT} for seed {PINNED_SEED} and sample "
            f"{PINNED_SAMPLE}; regenerate it with `idclassify schemas build`"
        )
    return tuple(case_from_json(item) for item in document["cases"])


def sample_cases(seed: int, sample: int) -> list[Case]:
    """Return the seeded sample: the pinned copy for the default seed and size, else a fresh draw."""
    if (seed, sample) == (PINNED_SEED, PINNED_SAMPLE):
        pinned = pinned_sample()
        if pinned is not None:
            return list(pinned)
    return draw_sample(seed, sample)
