"""Written answer: graded by hand against the rubric (no key; the fraction is None)."""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from typing import Any

from ..base import InvalidAnswer, Kind

TEXT_LIMIT = 20_000  # characters; the front end shows the count and refuses to save more


def check_text(value: Any) -> str | None:
    """Free text within the limit, None if blank (unanswered), or InvalidAnswer (survey's text questions too)."""
    if not isinstance(value, str):
        raise InvalidAnswer(f"expected text, got {type(value).__name__}")
    if len(value) > TEXT_LIMIT:
        raise InvalidAnswer(f"text is {len(value)} characters, the limit is {TEXT_LIMIT}")
    return value if value.strip() else None


class Text(Kind):
    name = "text"
    hint = "Write a short answer in your own words."
    preview_hint = "Write a short answer in your own words; your instructor grades it against the criteria below."
    manual = True

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        return check_text(value)

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        raise TypeError("written answers are graded by hand")

    def summary_html(self, spec: dict[str, Any], value: Any, markdown: Callable[..., str],
                     described: str) -> list[str]:
        shown = html.escape(value) if value else "<em>No answer.</em>"
        rubric = "".join(f"<li>{markdown(r['criterion'], inline=True)} ({r['points']:g} pt)</li>"
                         for r in spec.get("rubric", []))
        return ["<p><strong>Learner's answer:</strong></p>",
                f'<blockquote style="white-space: pre-wrap">{shown}</blockquote>',
                f"<p><strong>Rubric for the grader:</strong></p><ul>{rubric}</ul>"]

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        return [f'<p><label>Your answer:<br><textarea name="{name}" rows="4" disabled></textarea></label></p>']

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        if not spec.get("rubric"):
            return []
        return [f"- {r['criterion']} ({r['points']:g} point{'' if r['points'] == 1 else 's'})"
                for r in spec["rubric"]] + [""]

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        rubric = [{"criterion": "Names the feeling", "points": 1}, {"criterion": "Captures the meaning", "points": 1}]
        return [({"id": "kinds.text.q1", "kind": "text", "mode": "assessment", "objective": "kinds-3", "points": 2,
                  "prompt": "Write a reflection.", "rubric": rubric}, None)]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        return {"right": ["It sounds as if the week wore you down."], "partial": [], "wrong": ["Try harder."],
                "invalid": [42, ["a"], {"text": "x"}, True, "x" * (TEXT_LIMIT + 1)]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return rng.choice(["It sounds as if the week wore you down.", "Try harder.", "   "])


KIND = Text()
