"""What a learner may receive, and the key that stays with the grader.

In assessment mode the released notebook may carry the branching (which client line follows which reply, and
the reply texts) but never the key: codes, ratings, feedback, rationales, the expert path and the written
turn's example replies. ``learner_script`` keeps only allowed fields (an allow-list, so a field added to the
schema later stays out until someone decides it is safe); ``answer_key`` is the rest, for the hidden tests;
``join`` puts them back together for grading and refuses a key that does not fit the script.
"""

from __future__ import annotations

import copy
from typing import Any

SCRIPT_FIELDS = ("id", "title", "mode", "objective", "also_practices", "points", "max_turns", "content_note", "client",
                 "setting", "start")
NODE_FIELDS = ("client", "note", "end")
REPLY_FIELDS = ("key", "text", "next")
WRITTEN_FIELDS = ("node", "objective", "prompt", "rubric", "points")  # the rubric is shown, as for any written item
KEY_FIELDS = ("code", "rating", "feedback", "rationale")


def learner_script(script: dict[str, Any]) -> dict[str, Any]:
    """The script without its key: safe to put in a released notebook or a web page."""
    out = {name: copy.deepcopy(script[name]) for name in SCRIPT_FIELDS if name in script}
    out["nodes"] = {}
    for name, node in script["nodes"].items():
        shown = {f: node[f] for f in NODE_FIELDS if f in node}
        if "replies" in node:
            shown["replies"] = [{f: r[f] for f in REPLY_FIELDS} for r in node["replies"]]
        out["nodes"][name] = shown
    if "written_turn" in script:
        out["written_turn"] = {f: copy.deepcopy(script["written_turn"][f]) for f in WRITTEN_FIELDS
                               if f in script["written_turn"]}
        # The rule of the format, for the front end: the written reply is submitted and locked before the choices
        # at that line are shown, so no offered reply can model the learner's answer.
        out["written_turn"]["locked_before_choices"] = True
    return out


def answer_key(script: dict[str, Any]) -> dict[str, Any]:
    """Everything learner_script leaves out that grading and feedback need."""
    key: dict[str, Any] = {
        "id": script["id"],
        "replies": {name: {r["key"]: {f: r[f] for f in KEY_FIELDS} for r in node.get("replies", [])}
                    for name, node in script["nodes"].items() if node.get("replies")},
        "expert_path": list(script["expert_path"]),
    }
    if "written_turn" in script:
        key["written_examples"] = list(script["written_turn"]["examples"])
    return key


def join(learner: dict[str, Any], key: dict[str, Any]) -> dict[str, Any]:
    """The full script again, from a released learner script and its hidden key; ValueError if they differ."""
    if key.get("id") != learner.get("id"):
        raise ValueError(f"the key is for {key.get('id')!r}, the conversation is {learner.get('id')!r}")
    script = copy.deepcopy(learner)
    for name, node in script["nodes"].items():
        replies = node.get("replies", [])
        keyed = key["replies"].get(name, {})
        if sorted(r["key"] for r in replies) != sorted(keyed):
            raise ValueError(f"{learner['id']}: node {name!r} has replies {[r['key'] for r in replies]}, "
                             f"the key has {sorted(keyed)}")
        for reply in replies:
            reply.update(keyed[reply["key"]])
    extra = set(key["replies"]) - set(script["nodes"])
    if extra:
        raise ValueError(f"{learner['id']}: the key has replies for nodes the conversation lacks: {sorted(extra)}")
    script["expert_path"] = list(key["expert_path"])
    if "written_turn" in script:
        script["written_turn"].pop("locked_before_choices", None)   # added by learner_script, not authored
        script["written_turn"]["examples"] = list(key.get("written_examples", []))
    return script


def key_strings(script: dict[str, Any], shortest: int = 25) -> list[str]:
    """Distinctive texts of the key (feedback, rationales, written examples) that must never appear in anything a
    learner receives in assessment mode: for the release's key scan. Short texts are left out (they could occur
    by chance in a reply or a client line)."""
    found = [reply[field] for node in script["nodes"].values() for reply in node.get("replies", [])
             for field in ("feedback", "rationale")]
    found += script.get("written_turn", {}).get("examples", [])
    return sorted({text.strip() for text in found if len(text.strip()) >= shortest})
