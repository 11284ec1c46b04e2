"""A small conversation for the kind's examples (tests, benchmarks): three turns, every rating, a written turn.

Kept in Python rather than read from course/conversations, so that kernels and the benchmark find it wherever the
package is installed. Fictional and deliberately plain: it exercises the rule, it is not course content.
"""

from __future__ import annotations

from typing import Any

# The client's lines, and every reply, one a row: the line it answers, its key, its text, its code (script.CODES),
# its empathy rating (1-5) and the line it leads to. A line no reply answers ends the conversation.
CLIENT = {"n1": "This week was too much.", "n2a": "Yes. I barely slept.", "n2b": "Easy to say.",
          "n3a": "I am scared I will make a mistake.", "n3b": "Never mind.",
          "end1": "I should go.", "end2": "Thank you for hearing that."}
REPLIES = [
    ("n1", "a", "It has been an exhausting week.", "complex-reflection", 5, "n2a"),
    ("n1", "b", "What happened?", "open-question", 3, "n2a"),
    ("n1", "c", "You should rest more.", "premature-advice", 1, "n2b"),
    ("n2a", "a", "Sleep has been hard to come by.", "simple-reflection", 4, "n3a"),
    ("n2a", "b", "Did you take a nap?", "closed-question", 2, "n3b"),
    ("n2a", "c", "I never sleep well either.", "self-focused-or-judging", 1, "n3b"),
    ("n2b", "a", "It sounds as if rest feels out of reach.", "complex-reflection", 4, "n3a"),
    ("n2b", "b", "Everyone gets tired.", "premature-advice", 1, "end1"),
    ("n2b", "c", "You must try harder.", "self-focused-or-judging", 1, "n3b"),
    ("n3a", "a", "You are afraid tiredness could hurt someone.", "complex-reflection", 5, "end2"),
    ("n3a", "b", "You are scared.", "simple-reflection", 3, "end2"),
    ("n3a", "c", "Mistakes happen to everyone.", "premature-advice", 1, "end1"),
    ("n3b", "a", "It sounds like it is hard to say more.", "simple-reflection", 3, "end1"),
    ("n3b", "b", "Okay.", "self-focused-or-judging", 1, "end1"),
    ("n3b", "c", "Let us move on.", "self-focused-or-judging", 1, "end1"),
]


def _nodes() -> dict[str, dict[str, Any]]:
    """The script's nodes from the two tables, with a stand-in feedback and rationale for each reply."""
    nodes: dict[str, dict[str, Any]] = {}
    for name, text in CLIENT.items():
        replies = [{"key": key, "text": reply, "code": code, "rating": rating, "feedback": f"Feedback for reply {key}.",
                    "rationale": f"Why reply {key} is coded {code} and rated {rating}.", "next": nxt}
                   for line, key, reply, code, rating, nxt in REPLIES if line == name]
        nodes[name] = {"client": text, "replies": replies} if replies else {"client": text, "end": True}
    return nodes


SCRIPT: dict[str, Any] = {
    "id": "kinds.conversation.sample",
    "title": "Sam: a long week",
    "mode": "assessment",
    "objective": "kinds-4",
    "points": 3,
    "max_turns": 3,
    "content_note": "This sample touches on tiredness at work.",
    "client": {"name": "Sam", "description": "Sam, 40, a nurse on night shifts."},
    "setting": "Second session.",
    "start": "n1",
    "expert_path": ["a", "a", "a"],
    "written_turn": {"node": "n1", "prompt": "Write your reply first.", "points": 1,
                     "examples": ["It has worn you down.", "You sound exhausted."],
                     "rubric": [{"criterion": "Reflects the tiredness.", "points": 1}]},
    "nodes": _nodes(),
}
