"""The group's paths through one conversation, turn by turn, for the report's item analysis.

For every client line the group reached: how many learners reached it, which reply each of them chose, and
whether the group split there (two or more replies chosen). A path that does not fit the script is counted
and listed with its reason, never silently dropped; its learner appears in no turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .path import InvalidAnswer, check_path, walk


def per_turn(script: dict[str, Any], paths: Mapping[str, Any]) -> dict[str, Any]:
    """paths: learner id -> stored answer. Returns {"turns": [...], "unanswered": [...], "invalid": {...}}.

    Each turn row: turn number, node, client line, learners who reached it, and per reply (in script order) its
    key, text, code, rating and the learners who chose it; ``diverged`` when two or more replies were chosen.
    """
    reached: dict[tuple[int, str], list[str]] = {}
    chosen: dict[tuple[int, str], dict[str, list[str]]] = {}
    unanswered: list[str] = []
    invalid: dict[str, str] = {}
    for learner, value in sorted(paths.items()):
        try:
            path = check_path(script, value)
        except InvalidAnswer as err:
            invalid[learner] = str(err)
            continue
        if not path:
            unanswered.append(learner)
            continue
        for turn, (node, reply) in enumerate(walk(script, path).turns, start=1):
            reached.setdefault((turn, node), []).append(learner)
            chosen.setdefault((turn, node), {}).setdefault(reply["key"], []).append(learner)
    order = list(script["nodes"])
    rows = []
    for turn, node in sorted(reached, key=lambda tn: (tn[0], order.index(tn[1]))):
        picks = chosen[(turn, node)]
        rows.append({
            "turn": turn, "node": node, "client": script["nodes"][node]["client"],
            "learners": reached[(turn, node)],
            "replies": [{"key": r["key"], "text": r["text"], "code": r.get("code"), "rating": r.get("rating"),
                         "learners": picks.get(r["key"], [])} for r in script["nodes"][node]["replies"]],
            "diverged": sum(1 for learners in picks.values() if learners) > 1,
        })
    return {"turns": rows, "unanswered": unanswered, "invalid": invalid}
