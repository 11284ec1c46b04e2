"""A learner's path through a conversation: validation and the scoring rule.

A path is the list of reply keys the learner chose, from the first turn on: ``["b", "a", "c"]``. ``None`` or
``[]`` is unanswered.

Scoring rule (the front end applies the same one for practice feedback):

- Each reply's rating r on the five-level scale becomes a score (r - 1) / 4: level 1 earns 0, level 3
  (interchangeable) 0.5, level 5 earns 1.
- The best path is the complete path (start to an end) with the highest mean score; the expert path is one.
- A finished path earns its mean score over the best path's mean, capped at 1.
- An unfinished path is scored as if every turn it did not take earned 0, counting as many missing turns as
  the longest way from where it stopped to an end: stopping early never earns more than finishing would.
- Unanswered earns 0. Points = that fraction x the item's points, rounded to 4 places (like scoring.points).

A path that does not fit the script (not a list, a key that is not a reply at that turn, a turn skipped with
null or a number, a reply after the conversation ended, more turns than ``max_turns``) raises ``InvalidAnswer``
with a message naming the turn: it earns nothing and is reported, never silently cut short.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from ..items import InvalidAnswer

__all__ = ["InvalidAnswer", "Steps", "best_path", "check_path", "fraction", "mean_score", "points", "walk"]


@dataclass
class Steps:
    """The turns a valid path took: (node id, chosen reply) in order, and the node it stopped at."""

    turns: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    last: str = ""
    end: bool = False  # the node it stopped at is an end line: the conversation is finished


def show(value: Any) -> str:
    """A value as JSON, as the learner's answer file holds it (path.js shows it the same way)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def kind_of(value: Any) -> str:
    """JSON's name for a value's type, in plain words (path.js uses the same names)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "an object" if isinstance(value, dict) else type(value).__name__


def score_of(rating: int) -> float:
    return (rating - 1) / 4


def check_path(script: dict[str, Any], value: Any) -> list[str] | None:
    """The path normalised (a list of reply keys), None for unanswered, or raise InvalidAnswer."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise InvalidAnswer(f"a conversation answer must be a list of reply keys, one per turn, got "
                            f"{kind_of(value)}")
    limit = script["max_turns"]
    if len(value) > limit:
        raise InvalidAnswer(f"the path has {len(value)} replies, but this conversation has at most {limit} turns")
    if not value:
        return None
    node = script["start"]
    for turn, key in enumerate(value, start=1):
        here = script["nodes"][node]
        if here.get("end"):
            raise InvalidAnswer(f"turn {turn}: the conversation had already ended after turn {turn - 1}, "
                                f"so there is no reply {show(key)} to choose")
        if not isinstance(key, str):
            raise InvalidAnswer(f"turn {turn}: expected a reply key, got {show(key)} (a path cannot skip a turn)")
        replies = {r["key"]: r for r in here["replies"]}
        if key not in replies:
            raise InvalidAnswer(f"turn {turn}: {show(key)} is not one of the replies at this point "
                                f"({', '.join(replies)})")
        node = replies[key]["next"]
    return list(value)


def walk(script: dict[str, Any], path: list[str] | None) -> Steps:
    """The turns of a path already passed through check_path."""
    node = script["start"]
    steps = Steps()
    for key in path or []:
        reply = next(r for r in script["nodes"][node]["replies"] if r["key"] == key)
        steps.turns.append((node, reply))
        node = reply["next"]
    steps.last = node
    steps.end = bool(script["nodes"][node].get("end"))
    return steps


def complete_paths(script: dict[str, Any]) -> list[list[str]]:
    """Every path from the start to an end (the authoring check guarantees there are no loops)."""
    found: list[list[str]] = []
    todo: list[tuple[str, list[str]]] = [(script["start"], [])]
    while todo:
        node, keys = todo.pop()
        here = script["nodes"][node]
        if here.get("end"):
            found.append(keys)
            continue
        if len(keys) >= script["max_turns"]:  # a script that failed the check: never loop forever
            continue
        todo.extend((r["next"], [*keys, r["key"]]) for r in reversed(here["replies"]))
    return found


def mean_score(script: dict[str, Any], path: list[str]) -> float:
    return fmean(score_of(reply["rating"]) for _, reply in walk(script, path).turns) if path else 0.0


def best_path(script: dict[str, Any]) -> tuple[float, list[str]]:
    """(mean score, keys) of the best complete path; the expert path wins a tie."""
    scored = [(mean_score(script, p), p) for p in complete_paths(script)]
    best = max((s for s, _ in scored), default=0.0)
    expert = script.get("expert_path")
    for score, keys in scored:
        if keys == expert and score >= best - 1e-12:
            return score, keys
    return next(((s, p) for s, p in scored if s == best), (0.0, []))


def _longest_to_end(script: dict[str, Any], node: str) -> int:
    here = script["nodes"][node]
    if here.get("end"):
        return 0
    return 1 + max(_longest_to_end(script, r["next"]) for r in here["replies"])


def fraction(script: dict[str, Any], value: Any) -> float:
    """Share of full credit for a path (validated here; InvalidAnswer if it does not fit the script)."""
    path = check_path(script, value)
    if not path:
        return 0.0
    steps = walk(script, path)
    best, _ = best_path(script)
    if best <= 0:
        return 0.0
    total = sum(score_of(reply["rating"]) for _, reply in steps.turns)
    turns = len(path) + (0 if steps.end else _longest_to_end(script, steps.last))
    return min(1.0, total / turns / best)


def points(script: dict[str, Any], value: Any) -> float:
    """Points for the chosen replies (an assessment's written turn is graded by hand, separately)."""
    return round(fraction(script, value) * script.get("points", 0), 4)
