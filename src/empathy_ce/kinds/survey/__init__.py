"""Survey question (the course evaluation): an opinion, never scored, with no key and no feedback.

One kind for every survey question; `response` says which control the learner gets: `scale` (a point on the
item's scale, like a rating without a key), `choice` (one option), `number` (a whole number from 0 to `maximum`,
minutes say) or `text` (free text). Survey items carry zero points and sit in cells that are not graded, so
nbgrader never counts them; the answers go to answers.json like any post-test answer and are summarised,
without names, by `instructor/evaluation.py`. `manual` means here: no key, never scored (fraction None).
"""

from __future__ import annotations

import html
import math
import random
from collections.abc import Callable
from typing import Any

from ..base import InvalidAnswer, Kind
from ..choices import option_list
from ..rating import scale_lines
from ..text import TEXT_LIMIT, check_text

DEFAULT_MAXIMUM = 100_000


def _whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) \
        and value == int(value)


class Survey(Kind):
    name = "survey"
    hint = "Give your view; this question is not scored."
    manual = True  # no key: never scored

    def check_item(self, spec: dict[str, Any]) -> str | None:
        response = spec["response"]
        if spec.get("points", 0) != 0:
            return "a survey question carries no points"
        if (response == "scale") != ("scale" in spec):
            return "a scale question, and only a scale question, has a scale"
        if (response == "choice") != ("options" in spec):
            return "a choice question, and only a choice question, has options"
        if response == "scale" and spec["scale"]["min"] >= spec["scale"]["max"]:
            return "scale min must be below max"
        return super().check_item(spec)

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        response = spec["response"]
        if response == "text":
            return check_text(value)
        if response == "choice":
            keys = [o["key"] for o in spec["options"]]
            if not isinstance(value, str) or value not in keys:
                raise InvalidAnswer(f"expected one of the option keys {keys}, got {value!r}")
            return value
        if not _whole(value):
            raise InvalidAnswer(f"expected a whole number, got {value!r}")
        low, high = (spec["scale"]["min"], spec["scale"]["max"]) if response == "scale" else \
            (0, spec.get("maximum", DEFAULT_MAXIMUM))
        if not low <= value <= high:
            raise InvalidAnswer(f"{value} is outside {low}..{high}")
        return int(value)

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        raise TypeError("survey answers are never scored")

    def summary_html(self, spec: dict[str, Any], value: Any, markdown: Callable[..., str],
                     described: str) -> list[str]:
        return [f"<p><strong>Learner's answer (not scored):</strong> {html.escape(described)}</p>"]

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        response = view["response"]
        if response == "choice":
            return option_list(view, name, "radio")
        if response == "scale":
            labels = view["scale"].get("labels", {})
            points = [f'<li><label><input type="radio" name="{name}" value="{p}" disabled> {p}'
                      + (f": {labels[str(p)]}" if str(p) in labels else "") + "</label></li>"
                      for p in range(view["scale"]["min"], view["scale"]["max"] + 1)]
            return ['<ul class="ece-static-options ece-static-scale">', *points, "</ul>"]
        if response == "number":
            unit = f" {html.escape(view['unit'])}" if view.get("unit") else ""
            return [f'<p><label>Your answer: <input type="number" name="{name}" min="0" disabled>{unit}</label></p>']
        return [f'<p><label>Your answer:<br><textarea name="{name}" rows="4" disabled></textarea></label></p>']

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        if spec["response"] == "choice":
            return [f"- {o['label']}" for o in spec["options"]] + [""]
        if spec["response"] == "scale":
            return scale_lines(spec["scale"])
        return []

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        base = {"kind": "survey", "mode": "assessment", "objective": "kinds-1", "points": 0}
        scale = {"min": 1, "max": 5, "labels": {"1": "not at all", "5": "fully"}}
        options = [{"key": "no", "label": "No"}, {"key": "yes", "label": "Yes"}]
        return [({**base, "id": "kinds.survey.scale", "response": "scale", "prompt": "How well?", "scale": scale},
                 None),
                ({**base, "id": "kinds.survey.choice", "response": "choice", "prompt": "Any bias?",
                  "options": options}, None),
                ({**base, "id": "kinds.survey.number", "response": "number", "prompt": "How long?",
                  "unit": "minutes", "maximum": 6000}, None),
                ({**base, "id": "kinds.survey.text", "response": "text", "prompt": "Comments?"}, None)]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        response = spec["response"]
        if response == "scale":
            low, high = spec["scale"]["min"], spec["scale"]["max"]
            return {"right": [low, high, float(high)], "partial": [], "wrong": [],
                    "invalid": [low - 1, high + 1, 2.5, True, "3", [3], {"v": 3}]}
        if response == "choice":
            keys = [o["key"] for o in spec["options"]]
            return {"right": keys, "partial": [], "wrong": [], "invalid": ["maybe", [keys[0]], 1, True, {"k": 1}]}
        if response == "number":
            top = spec.get("maximum", DEFAULT_MAXIMUM)
            return {"right": [0, 90, top], "partial": [], "wrong": [],
                    "invalid": [-1, top + 1, 1.5, True, "90", [90]]}
        return {"right": ["Clear and useful."], "partial": [], "wrong": [],
                "invalid": [42, ["a"], {"text": "x"}, True, "x" * (TEXT_LIMIT + 1)]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return rng.choice(self.samples(spec, None, rng)["right"])


KIND = Survey()
