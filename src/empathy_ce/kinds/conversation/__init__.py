"""Conversation with a simulated client (issue 13): the learner chooses a reply at each turn of a scripted
conversation; the client's next line depends on the reply.

The item's `conversation` field is the learner script (`empathy_ce.conversation.split.learner_script`: client
lines, reply texts and the branching, never codes, ratings or feedback). The key is the script's
`answer_key` (codes, ratings, feedback, rationales, the expert path, the written turn's examples): in the
hidden tests of a graded item, as the `answer` of a practice item. The stored answer is
`{"path": [reply keys, one per turn], "written": "the learner's own reply at the written turn"}`.

Scoring is `empathy_ce.conversation.path`'s documented rule (the mean of the chosen replies' scores over the
best path's, unfinished turns counted as 0). The written turn is not scored here: it is graded by hand against
its rubric in a task cell of its own (written.py), the learner's reply shown in this cell's output
(summary_html). front.js applies the same rule in JavaScript: it imports conversation/path.js, which
kinds/front.py inlines (the scoring equality test runs both on this kind's samples).
"""

from __future__ import annotations

import copy
import html
import random
from collections.abc import Callable
from typing import Any, ClassVar

from ...conversation import path as paths
from ...conversation.profile import CAUTION
from ...conversation.script import CODES
from ...conversation.split import answer_key, join, learner_script
from ..base import InvalidAnswer, Kind
from ..text import TEXT_LIMIT
from .sample import SCRIPT

ANSWER_FIELDS = {"path", "written"}


def _graph_problem(conv: dict[str, Any]) -> str | None:
    nodes = conv["nodes"]
    if conv["start"] not in nodes:
        return f"the start line {conv['start']!r} is not among the lines"
    for name, node in nodes.items():
        if not isinstance(node, dict) or "client" not in node:
            return f"line {name!r} has no client text"
        if not node.get("end") and not node.get("replies"):
            return f"line {name!r} is neither an end nor followed by replies"
        for reply in node.get("replies", []):
            if reply.get("next") not in nodes:
                return f"line {name!r}, reply {reply.get('key')!r} leads to a line that does not exist"
    written = conv.get("written_turn")
    if written and written.get("node") not in nodes:
        return f"the written turn's line {written.get('node')!r} does not exist"
    return None


class Conversation(Kind):
    name = "conversation"
    hint = "Choose a reply at each turn; the client answers what you chose."
    preview_hint = ("A conversation with a simulated client: at each turn you choose one of three or four replies, "
                    "and the client answers what you chose. No feedback until grading.")

    # ------------------------------------------------------------------------------------ the contract
    def check_item(self, spec: dict[str, Any]) -> str | None:
        conv = spec["conversation"]
        if conv["id"] != spec["id"] or conv["mode"] != spec["mode"]:
            return "the conversation's id and mode must be the item's"
        problem = _graph_problem(conv)
        if problem:
            return f"conversation: {problem}"
        try:
            shown = learner_script(conv)
        except (KeyError, TypeError) as err:
            return f"conversation: not a learner script ({err} is missing)"
        if shown != conv:
            # Only the allow-listed fields may travel with the item: the key stays in the hidden tests.
            return "conversation: carries fields a learner must not receive (codes, ratings, feedback or examples?)"
        if spec["mode"] == "assessment" and "points" in conv and conv["points"] != spec["points"]:
            return f"the item is worth {spec['points']} points, its conversation {conv['points']}"
        return None

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        if not isinstance(value, dict):
            raise InvalidAnswer(f"a conversation answer must be an object with the path of replies, got "
                                f"{paths.kind_of(value)}")
        extra = sorted(set(value) - ANSWER_FIELDS)
        if extra:
            raise InvalidAnswer(f"a conversation answer has only a path and a written reply, not {', '.join(extra)}")
        path = paths.check_path(spec["conversation"], value.get("path")) or []
        written = value.get("written")
        if written is not None:
            if "written_turn" not in spec["conversation"]:
                raise InvalidAnswer("this conversation has no written turn, so a written reply cannot be saved")
            if not isinstance(written, str):
                raise InvalidAnswer(f"the written reply must be text, got {paths.kind_of(written)}")
            if len(written) > TEXT_LIMIT:
                raise InvalidAnswer(f"the written reply is {len(written)} characters, the limit is {TEXT_LIMIT}")
        written = written if written and written.strip() else None
        if not path and written is None:
            return None
        return {"path": path, "written": written}

    def check_key(self, spec: dict[str, Any], key: Any) -> Any:
        if not isinstance(key, dict) or not isinstance(key.get("replies"), dict):
            raise InvalidAnswer("a conversation's key must be its answer key (replies per line, expert path)")
        try:
            script = join(spec["conversation"], key)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise InvalidAnswer(f"the key does not fit the conversation: {err}") from None
        for name, node in script["nodes"].items():
            for reply in node.get("replies", []):
                rating, code = reply.get("rating"), reply.get("code")
                if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
                    raise InvalidAnswer(f"the key rates line {name!r}, reply {reply['key']!r} {rating!r}, not 1-5")
                if code not in CODES:
                    raise InvalidAnswer(f"the key codes line {name!r}, reply {reply['key']!r} {code!r}, not a code")
        expert = paths.check_path(script, script["expert_path"])
        if not expert or not paths.walk(script, expert).end:
            raise InvalidAnswer("the key's expert path does not reach the end of the conversation")
        return key

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        return paths.fraction(join(spec["conversation"], key), value["path"])

    # ------------------------------------------------------------------------------------ the words
    def describe(self, spec: dict[str, Any], value: Any) -> str:
        if isinstance(value, dict) and "replies" in value:  # the key (the credited answer at autograde)
            return "the expert path: replies " + ", ".join(value.get("expert_path", []))
        parts = [f"replies {', '.join(value['path'])}" if value["path"] else "no reply chosen"]
        if value.get("written"):
            parts.append(f"written reply: {value['written']}")
        return "; ".join(parts)

    def mismatch_reason(self) -> str:
        return "the conversation changed"

    def summary_html(self, spec: dict[str, Any], value: Any, markdown: Callable[..., str],
                     described: str) -> list[str]:
        conv = spec["conversation"]
        if value is None:
            return ["<p><strong>Learner's answer:</strong> no answer.</p>"]
        rows = []
        for turn, (node, reply) in enumerate(paths.walk(conv, value["path"]).turns, start=1):
            rows.append(f"<li>Turn {turn}. {html.escape(conv['nodes'][node]['client'])}<br>"
                        f"<strong>Reply {html.escape(reply['key'])}:</strong> {html.escape(reply['text'])}</li>")
        parts = ["<p><strong>Learner's path:</strong></p>", f"<ol>{''.join(rows)}</ol>"]
        written = conv.get("written_turn")
        if written:
            shown = html.escape(value["written"]) if value.get("written") else "<em>No written reply.</em>"
            rubric = "".join(f"<li>{markdown(r['criterion'], inline=True)} ({r['points']:g} pt)</li>"
                             for r in written.get("rubric", []))
            parts += ["<p><strong>Written reply:</strong></p>",
                      f'<blockquote style="white-space: pre-wrap">{shown}</blockquote>']
            if rubric:
                parts.append(f"<p><strong>Rubric for the grader (written reply):</strong></p><ul>{rubric}</ul>")
        return parts

    # ------------------------------------------------------------------------------------ the report
    # The report's choice counts become the per-turn view: for each client line, how many learners chose each
    # reply there (where the counts split, the group's paths diverged); the expert path's replies are the "key".
    distractors: ClassVar[bool] = True

    def choices(self, spec: dict[str, Any]) -> list[tuple[str, str]]:
        conv = spec["conversation"]
        return [(f"{name}:{reply['key']}", f"line {name}, reply {reply['key']}: {reply['text']}")
                for name, node in conv["nodes"].items() for reply in node.get("replies", [])]

    def chosen(self, spec: dict[str, Any], value: Any) -> list[str]:
        return [f"{node}:{reply['key']}" for node, reply in paths.walk(spec["conversation"], value["path"]).turns]

    def credited(self, spec: dict[str, Any], key: Any) -> set[str]:
        return set(self.chosen(spec, {"path": key.get("expert_path", [])})) if isinstance(key, dict) else set()

    # ------------------------------------------------------------------------------------ the views
    def front_end_view(self, view: dict[str, Any], markdown: Callable[..., str]) -> dict[str, Any]:
        conv = copy.deepcopy(view["conversation"])
        for field in ("setting", "content_note"):
            if field in conv:
                conv[field] = markdown(conv[field])
        conv["client"]["description"] = markdown(conv["client"]["description"])
        for node in conv["nodes"].values():
            node["client"] = markdown(node["client"])
            if "note" in node:
                node["note"] = markdown(node["note"], inline=True)
            for reply in node.get("replies", []):
                reply["text"] = markdown(reply["text"], inline=True)
        written = conv.get("written_turn")
        if written:
            written["prompt"] = markdown(written["prompt"])
            for row in written.get("rubric", []):
                row["criterion"] = markdown(row["criterion"], inline=True)
        shown = {**view, "conversation": conv}
        key = view.get("answer")
        if isinstance(key, dict) and isinstance(key.get("replies"), dict):  # practice: the feedback, rendered
            key = copy.deepcopy(key)
            for replies in key["replies"].values():
                for reply in replies.values():
                    reply["feedback"] = markdown(reply["feedback"])
                    reply["rationale"] = markdown(reply["rationale"])
            key["written_examples"] = [markdown(e) for e in key.get("written_examples", [])]
            key["code_labels"] = dict(CODES)
            key["caution"] = markdown(CAUTION)
            shown["answer"] = key
        return shown

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        conv = view["conversation"]
        first = conv["nodes"][conv["start"]]
        parts = []
        if conv.get("content_note"):
            parts.append(f'<div class="ece-conv-note"><strong>Content note.</strong> {conv["content_note"]}</div>')
        parts += [f'<div class="ece-conv-setting">{conv["client"]["description"]}{conv["setting"]}</div>',
                  f'<blockquote class="ece-conv-client"><strong>{html.escape(conv["client"]["name"])}:</strong> '
                  f'{first["client"]}</blockquote>', '<ul class="ece-static-options">']
        parts += [f'<li><label><input type="radio" name="{name}" value="{html.escape(r["key"], quote=True)}" '
                  f'disabled> {r["text"]}</label></li>' for r in first["replies"]]
        return [*parts, "</ul>"]

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        conv = spec["conversation"]
        lines = [f"- A conversation with {conv['client']['name']}, up to {conv['max_turns']} turns."]
        if conv.get("written_turn"):
            points = conv["written_turn"].get("points")
            lines.append("- At one turn you first write your own reply; it is saved and locked before the choices "
                         "appear" + (f" and graded by hand ({points:g} points)." if points else "."))
        return [*lines, ""]

    # ------------------------------------------------------------------------------------ samples
    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        script = copy.deepcopy(SCRIPT)
        learner = learner_script(script)
        base = {"id": script["id"], "kind": "conversation", "objective": script["objective"],
                "prompt": "Talk with Sam: choose a reply at each turn."}
        graded = {**base, "mode": "assessment", "points": script["points"], "conversation": learner}
        practice_script = {**script, "mode": "practice"}
        practice_script.pop("points")
        practice_script["written_turn"] = {k: v for k, v in script["written_turn"].items()
                                           if k not in ("points", "rubric")}
        practice = {**base, "mode": "practice", "conversation": learner_script(practice_script),
                    "answer": answer_key(practice_script), "rationale": "The end screen shows the expert path."}
        return [(graded, answer_key(script)), (practice, practice["answer"])]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        script = join(spec["conversation"], key)
        _, best = paths.best_path(script)
        scored = [(paths.fraction(script, p), p) for p in paths.complete_paths(script)]
        scored += [(paths.fraction(script, p[:cut]), p[:cut]) for _, p in list(scored) for cut in (1, 2)
                   if 0 < cut < len(p)]
        scored = list({tuple(p): (share, p) for share, p in scored}.values())  # each path once
        written = "It sounds as if this has worn you down." if "written_turn" in spec["conversation"] else None
        right = [{"path": best, "written": written}, {"path": list(best)}]
        partial = [{"path": p} for share, p in scored if 0 < share < 1]
        wrong = [{"path": p} for share, p in scored if share == 0]
        first = script["nodes"][script["start"]]["replies"][0]["key"]
        invalid = [
            {"path": [*best, first]},                  # a reply after the end (over-long)
            {"path": ["zz"]},                          # a reply key that does not exist
            {"path": [None, *best[1:]]},               # a skipped turn
            {"path": [first] * (script["max_turns"] + 1)},
            {"path": "".join(best)}, best, "a", 3, True,
            {"path": best, "written": 42}, {"path": best, "score": 1},
            {"path": best, "written": "x" * (TEXT_LIMIT + 1)},
        ]
        return {"right": right, "partial": partial, "wrong": wrong, "invalid": invalid}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        conv = spec["conversation"]
        node, path = conv["start"], []
        while not conv["nodes"][node].get("end") and (not path or rng.random() < 0.85):  # stops early at times
            reply = rng.choice(conv["nodes"][node]["replies"])
            path.append(reply["key"])
            node = reply["next"]
        return {"path": path}


KIND = Conversation()
