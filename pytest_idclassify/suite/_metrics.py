"""Opt-in recognition metrics: accuracy per type, confusion matrix, corner error, alarm agreement.

The documentation promises no accuracy, so these are figures, not clauses: they fail a run only
when the user sets a threshold.  Samples are the toolkit's synthetic specimens (ground truth from
the generator) or a user's folder of images described by ``labels.json``::

    {"images": [
        {"file": "a.jpg", "type": "passport",
         "location": [[10, 12], [400, 15], [398, 280], [8, 277]],
         "alarms": {"detect_blur_result": false, "detect_glare_result": true}}
    ]}

``location`` and ``alarms`` are optional; each present field is scored.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_idclassify.errors import ConfigurationError

Quad = tuple[tuple[int, int], ...]
#: severity of the degradation a specimen sample carries when it is meant to raise its alarm.
ALARM_SEVERITY = 0.9
#: which alarm each degradation of the specimen generator is meant to raise.
DEGRADATION_ALARMS = {
    "blur": "detect_blur_result",
    "glare": "detect_glare_result",
    "occlusion": "detect_blocking_within_border_result",
    "darkness": "detect_insufficient_lighting_result",
    "copy": "detect_copy_result",
    "cut_border": "detect_border_integrity_result",
    "recapture": "detect_reproduce_result",
}


@dataclass(frozen=True)
class Sample:
    """One labelled image: where it comes from, its type, and optionally its corners and alarms."""

    name: str
    image: Any  # an ImageSource (synthetic) or raw bytes (a user's file)
    doc_type: str
    quad: Quad | None = None
    alarms: Mapping[str, bool] = field(default_factory=dict)


def specimen_samples(*, per_type: int = 3, width: int = 960, height: int = 600) -> list[Sample]:
    """Clean specimens of every type, plus one per degradation at ``ALARM_SEVERITY``, with ground truth."""
    from pytest_idclassify.images import DEGRADATIONS, DOCUMENT_TYPES, ImageRecipe, render_scene

    samples = []
    for doc_type in DOCUMENT_TYPES:
        variants: list[tuple[int, dict[str, float]]] = [(seed, {}) for seed in range(per_type)]
        variants += [(100 + i, {name: ALARM_SEVERITY}) for i, name in enumerate(DEGRADATIONS)]
        for seed, degradations in variants:
            recipe = ImageRecipe(format="jpeg", width=width, height=height, content="specimen", doc_type=doc_type,
                                 seed=seed, degradations=tuple(degradations.items()))  # fmt: skip
            scene = render_scene(doc_type, width=width, height=height, seed=seed, degradations=degradations)
            expected = {alarm: name in degradations for name, alarm in DEGRADATION_ALARMS.items()}
            quad = None if "cut_border" in degradations else tuple((int(x), int(y)) for x, y in scene.quad)
            samples.append(Sample(str(recipe), recipe, doc_type, quad, expected))
    return samples


def folder_samples(folder: Path) -> list[Sample]:
    """The samples a folder's ``labels.json`` describes, their images read; see :func:`read_labels`."""
    return [Sample(label.name, (folder / label.name).read_bytes(), label.doc_type, label.quad, label.alarms)
            for label in read_labels(folder)]  # fmt: skip


def read_labels(folder: Path) -> list[Sample]:
    """The entries of a folder's ``labels.json``, checked, without their images (``image`` is ``None``).

    The pre-flight calls it, so a bad file is one usage error before a call is sent; a bad entry
    raises :class:`ConfigurationError` naming the file, the entry and what it should hold.
    """
    labels = folder / "labels.json"
    try:
        document = json.loads(labels.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{str(folder)!r} holds no labels.json: write one (see docs/how-to/recognition-metrics.md), "
            "or let 'idclassify specimens -o DIR' write a labelled folder"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"{labels}: cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise ConfigurationError(f"{labels}: not valid JSON ({where})") from None
    entries = document.get("images") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f'{labels}: expected {{"images": [{{"file": ..., "type": ...}}, ...]}}')
    return [_label(labels, index, entry) for index, entry in enumerate(entries, start=1)]


def _label(labels: Path, index: int, entry: object) -> Sample:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not isinstance(entry.get("type"), str):
        raise ConfigurationError(f"{labels}: entry {index} needs 'file' and 'type' strings")
    if not (labels.parent / entry["file"]).is_file():
        raise ConfigurationError(f"{labels}: entry {index} names {entry['file']!r}, which is not in {labels.parent}")
    _check_type(labels, index, entry["type"])
    location, alarms = entry.get("location"), entry.get("alarms")
    alarms = {} if alarms is None else alarms  # null, like a missing key: no alarm labelled
    if location is not None and not _is_quad(location):
        raise ConfigurationError(f"{labels}: entry {index}'s 'location' is not four [x, y] pairs of whole numbers, "
                                 "e.g. [[10, 12], [400, 15], [398, 280], [8, 277]]")  # fmt: skip
    if not isinstance(alarms, dict) or not all(isinstance(v, bool) for v in alarms.values()):
        raise ConfigurationError(f"{labels}: entry {index}'s 'alarms' is not an object of true/false flags, "
                                 'e.g. {"detect_blur_result": false}')  # fmt: skip
    unknown = sorted(set(alarms) - set(DEGRADATION_ALARMS.values()))
    if unknown:
        raise ConfigurationError(f"{labels}: entry {index} names unknown alarm {unknown[0]!r}; the alarms are "
                                 f"{', '.join(sorted(DEGRADATION_ALARMS.values()))}")  # fmt: skip
    quad = tuple((x, y) for x, y in location) if location is not None else None
    return Sample(entry["file"], None, entry["type"], quad, alarms)


def _check_type(labels: Path, index: int, doc_type: str) -> None:
    """Refuse a type that is a misspelling of one of the API's nine (it would only lower the accuracy).

    A type far from all of them is kept: the service may answer others the page does not list.
    """
    import difflib

    from pytest_idclassify.images._names import DOCUMENT_TYPES

    close = difflib.get_close_matches(doc_type, DOCUMENT_TYPES, n=1, cutoff=0.8)
    if doc_type not in DOCUMENT_TYPES and close:
        raise ConfigurationError(f"{labels}: entry {index}'s type {doc_type!r} is not one the API answers: "
                                 f"did you mean {close[0]!r}?")  # fmt: skip


def _is_quad(location: object) -> bool:
    return (
        isinstance(location, list)
        and len(location) == 4
        and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
            for p in location
        )
    )


def corner_error(expected: Quad, found: Sequence[Sequence[int]]) -> float:
    """The mean distance in pixels between corresponding corners."""
    return statistics.fmean(math.dist(a, b) for a, b in zip(expected, found, strict=True))


@dataclass
class Metrics:
    """Accumulates answers against labels and summarises them."""

    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    corner_errors: list[float] = field(default_factory=list)
    alarm_hits: dict[str, list[bool]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, sample: Sample, status: int, body: Any) -> None:
        """Score one answer against its sample's labels."""
        result = body.get("result") if isinstance(body, dict) else None
        if status != 200 or not isinstance(result, dict):
            self.failures.append(f"{sample.name}: HTTP {status}")
            found = "(error)"
        else:
            found = str(result.get("type"))
            location = result.get("location")
            if sample.quad is not None and isinstance(location, list) and len(location) == 4:
                self.corner_errors.append(corner_error(sample.quad, location))
            flags = result.get("alarm_result") or {}
            for alarm, expected in sample.alarms.items():
                if isinstance(flags.get(alarm), bool):
                    self.alarm_hits.setdefault(alarm, []).append(flags[alarm] == expected)
        row = self.confusion.setdefault(sample.doc_type, {})
        row[found] = row.get(found, 0) + 1

    def summary(self) -> dict[str, Any]:
        """The figures: overall and per-type accuracy, corner error, alarm agreement."""
        total = sum(sum(row.values()) for row in self.confusion.values())
        right = sum(row.get(t, 0) for t, row in self.confusion.items())
        per_type = {t: round(row.get(t, 0) / sum(row.values()), 3) for t, row in sorted(self.confusion.items())}
        errors = self.corner_errors
        return {
            "samples": total,
            "accuracy": round(right / total, 4) if total else None,
            "median_corner_error_px": round(statistics.median(errors), 2) if errors else None,
            "mean_corner_error_px": round(statistics.fmean(errors), 2) if errors else None,
            "alarm_agreement": {a: round(sum(h) / len(h), 3) for a, h in sorted(self.alarm_hits.items())},
            "accuracy_per_type": per_type,
        }

    def to_json(self) -> dict[str, Any]:
        """Everything, for the JSON report."""
        return {"summary": self.summary(), "confusion": self.confusion, "failures": self.failures}


def load_samples(spec: str) -> list[Sample]:
    """Samples for ``--idclassify-metrics``: ``specimens`` or a folder with ``labels.json``."""
    if spec == "specimens":
        return specimen_samples()
    return folder_samples(Path(spec))


def collect(samples: Iterable[Sample], answers: Iterable[tuple[int, Any]]) -> Metrics:
    """Score answers (status, body) against their samples."""
    metrics = Metrics()
    for sample, (status, body) in zip(samples, answers, strict=True):
        metrics.add(sample, status, body)
    return metrics
