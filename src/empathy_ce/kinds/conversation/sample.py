"""A small conversation for the kind's examples (tests, benchmarks): three turns, every rating, a written turn.

Kept in Python rather than read from course/conversations, so that kernels and the benchmark find it wherever the
package is installed. Fictional and deliberately plain: it exercises the rule, it is not course content.
"""

from __future__ import annotations

from typing import Any


def _reply(key: str, text: str, code: str, rating: int, nxt: str) -> dict[str, Any]:
    return {"key": key, "text": text, "code": code, "rating": rating, "feedback": f"Feedback for reply {key}.",
            "rationale": f"Why reply {key} is coded {code} and rated {rating}.", "next": nxt}


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
    "nodes": {
        "n1": {"client": "This week was too much.", "replies": [
            _reply("a", "It has been an exhausting week.", "complex-reflection", 5, "n2a"),
            _reply("b", "What happened?", "open-question", 3, "n2a"),
            _reply("c", "You should rest more.", "premature-advice", 1, "n2b"),
        ]},
        "n2a": {"client": "Yes. I barely slept.", "replies": [
            _reply("a", "Sleep has been hard to come by.", "simple-reflection", 4, "n3a"),
            _reply("b", "Did you take a nap?", "closed-question", 2, "n3b"),
            _reply("c", "I never sleep well either.", "self-focused-or-judging", 1, "n3b"),
        ]},
        "n2b": {"client": "Easy to say.", "replies": [
            _reply("a", "It sounds as if rest feels out of reach.", "complex-reflection", 4, "n3a"),
            _reply("b", "Everyone gets tired.", "premature-advice", 1, "end1"),
            _reply("c", "You must try harder.", "self-focused-or-judging", 1, "n3b"),
        ]},
        "n3a": {"client": "I am scared I will make a mistake.", "replies": [
            _reply("a", "You are afraid tiredness could hurt someone.", "complex-reflection", 5, "end2"),
            _reply("b", "You are scared.", "simple-reflection", 3, "end2"),
            _reply("c", "Mistakes happen to everyone.", "premature-advice", 1, "end1"),
        ]},
        "n3b": {"client": "Never mind.", "replies": [
            _reply("a", "It sounds like it is hard to say more.", "simple-reflection", 3, "end1"),
            _reply("b", "Okay.", "self-focused-or-judging", 1, "end1"),
            _reply("c", "Let us move on.", "self-focused-or-judging", 1, "end1"),
        ]},
        "end1": {"client": "I should go.", "end": True},
        "end2": {"client": "Thank you for hearing that.", "end": True},
    },
}
