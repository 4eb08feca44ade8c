"""Alarm flags against their scores: which thresholds explain them, one answer or a whole run at a time.

Table 6 gives each alarm a flag and Table 7 a score of 0..99, "the higher the score, the more
likely".  Whatever threshold a server uses, a flag is then true exactly when its score reaches
it, so over a run each alarm's (flag, score) pairs must be explained by one threshold of its own
(``cross.alarm.threshold-consistent``, inferred).  Which threshold it is stays a choice
(``cross.alarm.result-matches-score``, assumed: 50).  Scores are integers, so the thresholds
that matter are the integers 1..99: a real threshold in (k - 1, k] splits the scores as k does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from pytest_idclassify._tables import documented_tables
from pytest_idclassify.validation._violation import Violation

CLAUSE = "cross.alarm.threshold-consistent"
#: the lowest and highest threshold the page leaves possible: (0, 99] over integer scores.
LOWEST, HIGHEST = 1, 99


@lru_cache(maxsize=1)
def alarm_names() -> tuple[tuple[str, str], ...]:
    """Each alarm as (Table 6 flag name, Table 7 score name), in table order."""
    return tuple((row.name, str(row.constraints["score"])) for row in documented_tables()["Table 6"].rows)


def alarm_pairs(body: Any) -> dict[str, tuple[bool, int]]:
    """The well-typed (flag, score) pair of each alarm of a 200 body, by score name (empty when there are none)."""
    result = body.get("result") if isinstance(body, Mapping) else None
    if not isinstance(result, Mapping):
        return {}
    flags, scores = result.get("alarm_result"), result.get("alarm_confidence")
    if not (isinstance(flags, Mapping) and isinstance(scores, Mapping)):
        return {}
    out = {}
    for flag_name, score_name in alarm_names():
        flag, score = flags.get(flag_name), scores.get(score_name)
        if isinstance(flag, bool) and type(score) is int:
            out[score_name] = (flag, score)
    return out


def explaining(pairs: Iterable[tuple[bool, int]], low: int = LOWEST, high: int = HIGHEST) -> range:
    """The integer thresholds in [low, high] under which every flag is ``score >= threshold`` (maybe empty)."""
    for flag, score in pairs:
        if flag:
            high = min(high, score)
        else:
            low = max(low, score + 1)
    return range(low, high + 1)


def explains(flag: bool, score: int, low: int, high: int) -> bool:
    """Whether some integer threshold in [low, high] gives ``flag`` for ``score``: ``explaining`` for one pair."""
    return low <= min(high, score) if flag else max(low, score + 1) <= high


@cache
def flag_name(score_name: str) -> str:
    """The Table 6 flag of a Table 7 score (looked up for every alarm of every answer: kept once found)."""
    return next(flag for flag, score in alarm_names() if score == score_name)


@dataclass(frozen=True)
class AlarmAnswer:
    """The alarm pairs of one answer of a run, with where it came from (case and request id)."""

    case: str
    request_id: str | None
    pairs: Mapping[str, tuple[bool, int]]

    def to_json(self) -> dict[str, Any]:
        """The JSON-able form kept in case records: ``{"request_id": ..., "pairs": {score: [flag, score]}}``."""
        return {"request_id": self.request_id, "pairs": {k: [f, s] for k, (f, s) in self.pairs.items()}}

    @classmethod
    def from_json(cls, case: str, data: Mapping[str, Any]) -> AlarmAnswer:
        """Read the form :meth:`to_json` writes."""
        pairs = {str(k): (bool(v[0]), int(v[1])) for k, v in dict(data.get("pairs", {})).items()}
        return cls(case, data.get("request_id"), pairs)


def _where(answer: AlarmAnswer) -> str:
    # A request id only when the answer had one: "request id -" read as if the server sent none.
    return f"{answer.case}, request id {answer.request_id}" if answer.request_id else answer.case


def run_violations(answers: Iterable[AlarmAnswer]) -> list[Violation]:
    """One violation per alarm whose flags over all ``answers`` no single threshold in (0, 99] explains.

    The message names the two answers that conflict: the lowest score with its alarm on and the
    highest with it off (or the one answer that no threshold in range can explain).
    """
    lowest_on: dict[str, tuple[int, AlarmAnswer]] = {}
    highest_off: dict[str, tuple[int, AlarmAnswer]] = {}
    for answer in answers:
        for name, (raised, score) in answer.pairs.items():
            if raised and (name not in lowest_on or score < lowest_on[name][0]):
                lowest_on[name] = (score, answer)
            elif not raised and (name not in highest_off or score > highest_off[name][0]):
                highest_off[name] = (score, answer)
    out = []
    for _, name in alarm_names():
        on, off = lowest_on.get(name), highest_off.get(name)
        flag = flag_name(name)
        if on is not None and off is not None and off[0] >= on[0]:
            message = (f"no threshold explains {name}: {on[0]} came with {flag} true ({_where(on[1])}) but "
                       f"{off[0]} with false ({_where(off[1])})")  # fmt: skip
        elif on is not None and on[0] < LOWEST:
            message = f"no threshold in (0, 99] explains {name} {on[0]} with {flag} true ({_where(on[1])})"
        elif off is not None and off[0] >= HIGHEST:
            message = f"no threshold in (0, 99] explains {name} {off[0]} with {flag} false ({_where(off[1])})"
        else:
            continue
        out.append(Violation(CLAUSE, f"/result/alarm_confidence/{name}", message))
    return out


def answer_violations(pairs: Mapping[str, tuple[bool, int]]) -> list[Violation]:
    """The pairs of one answer that no threshold in (0, 99] explains: a score of 0 on, or 99 off."""
    # Every answer passes here, and almost every one is explained: only a pair out of range pays for
    # the run's bookkeeping and its messages.
    if all(explains(raised, score, LOWEST, HIGHEST) for raised, score in pairs.values()):
        return []
    return run_violations([AlarmAnswer("this answer", None, pairs)])
