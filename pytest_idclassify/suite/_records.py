"""Turn a case's exchanges and verdict into the JSON-able record the report is built from."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from pytest_idclassify.cases import Case, ImageSource
from pytest_idclassify.catalogue import clause
from pytest_idclassify.client import Attempt, summarize_body
from pytest_idclassify.redaction import redact_mapping, redact_text
from pytest_idclassify.report._model import trimmed
from pytest_idclassify.suite._checks import Verdict
from pytest_idclassify.suite._images import rendered
from pytest_idclassify.suite._target import Exchange
from pytest_idclassify.validation import AlarmAnswer, alarm_pairs

#: the longest side of a failure thumbnail in the HTML report.
THUMBNAIL_SIDE = 160
#: the shortest a thumbnail's longest side may be: tinier images are enlarged to at least this.
THUMBNAIL_MIN_SIDE = 128


def _thumbnail(image: ImageSource) -> str | None:
    """A thumbnail of a synthetic image as a data URI, or ``None`` when it does not decode.

    Large images shrink to ``THUMBNAIL_SIDE`` as JPEG (small enough for hundreds of failures);
    tiny ones (a 14x64 boundary image) grow by a whole factor with nearest-neighbour sampling, as
    PNG, so each source pixel stays a crisp square rather than a blur.
    """
    import warnings

    try:
        from PIL import Image

        # Odd images are the point of many cases: Pillow's warnings about them are not the user's business.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(rendered(image))) as picture:
                # JPEG decoders can scale down while decoding: an 8192 px image never lands in memory whole.
                picture.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                rgb = picture.convert("RGB")
        longest = max(rgb.size)
        out = io.BytesIO()
        if longest < THUMBNAIL_MIN_SIDE:
            factor = -(-THUMBNAIL_MIN_SIDE // longest)
            rgb = rgb.resize((rgb.width * factor, rgb.height * factor), Image.Resampling.NEAREST)
            rgb.save(out, format="PNG", optimize=True)
            kind = "png"
        else:
            rgb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            rgb.save(out, format="JPEG", quality=80)
            kind = "jpeg"
    except Exception:  # malformed images are the point of many cases; they just get no thumbnail
        return None
    return f"data:image/{kind};base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _synthetic(image: ImageSource) -> bool:
    # Only the toolkit's own recipes are fictitious by construction; anything else may be personal data.
    return type(image).__module__.startswith("pytest_idclassify.")


def _summary(exchange: Exchange) -> Any:
    # The JSON body was built here: summarise it rather than parse megabytes of sent bytes again.
    return summarize_body(exchange.body) if exchange.body is not None else exchange.outcome.sent.summary()


def _attempt(attempt: Attempt) -> dict[str, Any]:
    """One attempt of a call: its status and request id, or the connection error in their place."""
    outcome = attempt.outcome
    return {"status": outcome.status if outcome else None, "error": attempt.error,
            "request_id": outcome.request_id if outcome else None, "elapsed": round(attempt.elapsed, 4)}  # fmt: skip


def case_record(case: Case, exchanges: Sequence[Exchange], verdict: Verdict, *, thumbnails: bool = True,
                all_images: bool = False) -> dict[str, Any]:  # fmt: skip
    """The record of a case that ran: what was sent (images as recipes), what came back, the verdict."""
    calls = []
    for exchange in exchanges:
        outcome = exchange.outcome
        calls.append({
            "request": exchange.call.describe(),
            "sent": {"method": outcome.sent.method, "url": outcome.sent.url, "body": _summary(exchange)},
            "status": outcome.status,
            "body": trimmed(outcome.body),
            "request_id": outcome.request_id,
            "elapsed": round(outcome.elapsed, 4),
            "attempts": [_attempt(a) for a in exchange.all_attempts],
        })  # fmt: skip
    record: dict[str, Any] = {
        "case": case.id,
        "clause": case.clause,
        "assumed": case.assumed,
        "tier": clause(case.clause).tier.value,
        "outcome": "failed" if verdict.violations else "passed",
        "calls": calls,
        "exercised": sorted(verdict.exercised),
        # ``call``: the 0-based index of the call whose answer broke the rule; None when it spans calls.
        "violations": [
            {
                "clause": v.clause,
                "pointer": v.pointer,
                "message": v.message,
                "assumed": v.assumed,
                "tier": v.tier.value,
                "call": call,
            }
            for v, call in zip(verdict.violations, verdict.calls or [None] * len(verdict.violations), strict=True)
        ],
        "transient": verdict.transient,
        # What the answers hold beyond the documentation: the report lists it apart, not as a failure.
        "drift": list(verdict.drift),
        # The alarm pairs of every answer: the run-level threshold check reads them at the controller.
        "alarms": [
            AlarmAnswer(case.id, e.outcome.request_id, pairs).to_json()
            for e in exchanges
            if (pairs := alarm_pairs(e.outcome.body))
        ],
    }
    # Redacted here, so the JUnit properties, the JSON and the HTML report all get the redacted record.
    record = redact_mapping(record)
    if verdict.violations and thumbnails:
        images = [i for e in exchanges for i in e.images if all_images or _synthetic(i)]
        record["thumbnails"] = [t for t in (_thumbnail(i) for i in images[:3]) if t]
    return record


def skipped_record(case: Case, reason: str, *, cause: str = "target") -> dict[str, Any]:
    """The record of a case that did not run, with the reason.

    ``cause`` is ``target`` when the target could not run it (a recording keeps such skips, so its
    replay skips them too), ``settings`` when the run's own settings left it out.
    """
    return {"case": case.id, "clause": case.clause, "assumed": case.assumed, "tier": clause(case.clause).tier.value,
            "outcome": "skipped",
            "skip_reason": redact_text(reason), "skip_cause": cause, "calls": [], "exercised": [], "violations": [],
            "transient": 0}  # fmt: skip


def error_record(case: Case, error: Exception) -> dict[str, Any]:
    """The record of a case whose call ended in an error (an answer too large, too slow, too deep...).

    The case's clause fails with the error's message: the target did not give a usable answer.
    """
    message = redact_text(f"{type(error).__name__}: {error}")
    tier = clause(case.clause).tier.value
    violation = {"clause": case.clause, "pointer": "", "message": message, "assumed": case.assumed, "tier": tier}
    return {"case": case.id, "clause": case.clause, "assumed": case.assumed, "tier": tier, "outcome": "failed",
            "calls": [], "exercised": [case.clause], "error": message, "violations": [violation],
            "transient": 0}  # fmt: skip
