"""The end-of-conversation profile: transcript, the learner's replies coded, and two MITI summary scores.

The reflection-to-question ratio (R:Q) and the share of reflections that are complex (%CR) are set beside the
MITI 4 thresholds (facts sheet 3.6): R:Q 1:1 "fair" and 2:1 "good"; %CR 40% "fair" and 50% "good". The
manual proposes them for a coded 20-minute segment of a real session, as expert judgments without normative
data, so the profile presents them as training heuristics, never as a verdict on the learner's skill.
"""

from __future__ import annotations

from typing import Any

from .path import check_path, fraction, walk
from .script import CODES

REFLECTIONS = ("simple-reflection", "complex-reflection")
QUESTIONS = ("open-question", "closed-question")
THRESHOLDS = {"R:Q": (1.0, 2.0), "%CR": (0.40, 0.50)}  # (fair, good), MITI 4.2.1 [@moyers2014]
CAUTION = ("The MITI 4 manual proposes these thresholds for a coded 20-minute segment of a real session, as expert "
           "judgments that do not yet rest on normative or validity evidence [@moyers2014]. A few scripted turns "
           "are far from that: use the comparison as a training heuristic for reflecting on your replies, not as "
           "a verdict on your skill. Only replies coded as reflections count as reflections here: validating "
           "replies, which also give back what the client feels and would often be coded as reflections in a "
           "full session, are left out of both measures, so the measures may understate how much you reflected.")


def transcript(script: dict[str, Any], path: list[str] | None) -> list[dict[str, Any]]:
    """One row per turn: the client's line, the chosen reply and its code, rating and feedback."""
    rows = []
    for turn, (node, reply) in enumerate(walk(script, path).turns, start=1):
        rows.append({"turn": turn, "node": node, "client": script["nodes"][node]["client"], "key": reply["key"],
                     "reply": reply["text"], "code": reply["code"], "code_label": CODES[reply["code"]],
                     "rating": reply["rating"], "feedback": reply["feedback"], "rationale": reply["rationale"]})
    return rows


def _band(measure: str, value: float | None) -> str:
    fair, good = THRESHOLDS[measure]
    if value is None:
        return "not computed"
    if value >= good:
        return "at or above good"
    return "at or above fair" if value >= fair else "below fair"


def summary(codes: list[str]) -> dict[str, Any]:
    """Counts, R:Q and %CR for a list of codes, each measure with its thresholds and band."""
    reflections = sum(c in REFLECTIONS for c in codes)
    questions = sum(c in QUESTIONS for c in codes)
    complex_ = codes.count("complex-reflection")
    # R:Q with reflections but no questions is above any threshold; with neither it says nothing.
    ratio = reflections / questions if questions else None
    share = complex_ / reflections if reflections else None
    rq_band = "at or above good" if not questions and reflections else _band("R:Q", ratio)
    return {
        "counts": {code: codes.count(code) for code in CODES if code in codes},
        "reflections": reflections, "questions": questions, "complex_reflections": complex_,
        "measures": [
            {"measure": "R:Q", "label": "reflections per question", "value": ratio, "fair": THRESHOLDS["R:Q"][0],
             "good": THRESHOLDS["R:Q"][1], "band": rq_band},
            {"measure": "%CR", "label": "share of reflections that are complex", "value": share,
             "fair": THRESHOLDS["%CR"][0], "good": THRESHOLDS["%CR"][1], "band": _band("%CR", share)},
        ],
        "caution": CAUTION,
    }


def profile(script: dict[str, Any], value: Any) -> dict[str, Any]:
    """Everything the end screen shows; InvalidAnswer for a path that does not fit the script."""
    path = check_path(script, value)
    steps = walk(script, path)
    rows = transcript(script, path)
    expert = transcript(script, script["expert_path"])
    return {
        "finished": steps.end and bool(path),
        "closing": script["nodes"][steps.last]["client"] if steps.end and path else None,
        "transcript": rows,
        "fraction": fraction(script, path),
        **summary([r["code"] for r in rows]),
        "expert": {"transcript": expert, **summary([r["code"] for r in expert])},
    }
