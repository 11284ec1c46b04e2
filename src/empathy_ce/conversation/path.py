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

__all__ = ["InvalidAnswer", "Steps", "best_mean", "best_path", "check_path", "fraction", "mean_score", "points",
           "walk"]


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
    """(mean score, keys) of a best complete path, read back from totals(); the expert path wins a tie."""
    table = totals(script)
    means = {turns: total / turns for turns, total in table[script["start"]].items() if turns}
    if not means:
        return 0.0, []
    best = max(means.values())
    expert = script.get("expert_path") or []
    if expert and mean_score(script, expert) >= best - 1e-12:
        try:
            if walk(script, check_path(script, expert)).end:
                return best, list(expert)
        except InvalidAnswer:
            pass
    turns = next(k for k, m in means.items() if m == best)
    node, keys = script["start"], []
    while turns:
        here = script["nodes"][node]
        reply = next(r for r in here["replies"] if turns - 1 in table[r["next"]]
                     and table[r["next"]][turns - 1] + score_of(r["rating"]) == table[node][turns])
        keys.append(reply["key"])
        node, turns = reply["next"], turns - 1
    return best, keys


def totals(script: dict[str, Any]) -> dict[str, dict[int, float]]:
    """Per node: {turns to an end: the highest total score of a path of that many turns}. Dynamic programming,
    so scoring stays quick however many paths a script has (path.js computes it the same way, in the same
    order, so that both sum the same floating-point numbers)."""
    memo: dict[str, dict[int, float]] = {}
    active: set[str] = set()

    def of(node: str) -> dict[int, float]:
        if node in memo:
            return memo[node]
        if node in active:
            raise ValueError(f"the script loops at node {node!r}: run the authoring check first")
        active.add(node)
        here = script["nodes"][node]
        best: dict[int, float] = {0: 0.0} if here.get("end") else {}
        replies = [] if here.get("end") else here.get("replies", [])
        for reply in replies:
            for turns, total in of(reply["next"]).items():
                candidate = total + score_of(reply["rating"])
                if turns + 1 not in best or candidate > best[turns + 1]:
                    best[turns + 1] = candidate
        active.discard(node)
        memo[node] = best
        return best

    of(script["start"])
    return memo


def best_mean(script: dict[str, Any]) -> float:
    """The best complete path's mean score."""
    return max((total / turns for turns, total in totals(script)[script["start"]].items() if turns), default=0.0)


def fraction(script: dict[str, Any], value: Any) -> float:
    """Share of full credit for a path (validated here; InvalidAnswer if it does not fit the script)."""
    path = check_path(script, value)
    if not path:
        return 0.0
    steps = walk(script, path)
    table = totals(script)
    best = max((total / turns for turns, total in table[script["start"]].items() if turns), default=0.0)
    if best <= 0:
        return 0.0
    total = 0.0
    for _, reply in steps.turns:
        total += score_of(reply["rating"])
    turns = len(path) + (0 if steps.end else max(table[steps.last]))
    return min(1.0, total / turns / best)


def points(script: dict[str, Any], value: Any) -> float:
    """Points for the chosen replies (an assessment's written turn is graded by hand, separately)."""
    return round(fraction(script, value) * script.get("points", 0), 4)
