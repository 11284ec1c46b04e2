"""Rating on a scale: full credit at the key; within the tolerance 1 - distance / (tolerance + 1); else 0."""

from __future__ import annotations

import math
import random
from typing import Any

from ..base import InvalidAnswer, Kind


def scale_lines(scale: dict[str, Any]) -> list[str]:
    """The scale's points with their labels, for the site's preview (the survey's scale questions too)."""
    labels = scale.get("labels", {})
    return [f"- **{v}**" + (f" {labels[str(v)]}" if str(v) in labels else "")
            for v in range(scale["min"], scale["max"] + 1)] + [""]


class Rating(Kind):
    name = "rating"
    hint = "Choose one point on the scale."

    def check_item(self, spec: dict[str, Any]) -> str | None:
        scale = spec["scale"]
        return "scale min must be below max" if scale["min"] >= scale["max"] else None

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value != int(value):
            raise InvalidAnswer(f"a rating must be a whole number, got {value!r}")
        scale = spec["scale"]
        if not scale["min"] <= value <= scale["max"]:
            raise InvalidAnswer(f"rating {value} is outside {scale['min']}..{scale['max']}")
        return int(value)

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        distance = abs(value - key)
        tolerance = spec.get("tolerance", 0)
        if distance == 0:
            return 1.0
        return 1.0 - distance / (tolerance + 1) if distance <= tolerance else 0.0

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        scale = view["scale"]
        labels = scale.get("labels", {})
        points = []
        for point in range(scale["min"], scale["max"] + 1):
            label = labels.get(str(point))
            text = f"{point}" + (f": {label}" if label else "")
            points.append(f'<li><label><input type="radio" name="{name}" value="{point}" disabled> {text}</label></li>')
        return ['<ul class="ece-static-options ece-static-scale">', *points, "</ul>"]

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        return scale_lines(spec["scale"])

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        scale = {"min": 1, "max": 5, "labels": {"1": "low", "5": "high"}}
        base = {"kind": "rating", "mode": "assessment", "objective": "kinds-2", "points": 2,
                "prompt": "Rate the reply.", "scale": scale}
        return [({**base, "id": f"kinds.rating.t{t}", "tolerance": t}, 2) for t in (0, 1, 2)]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        low, high = spec["scale"]["min"], spec["scale"]["max"]
        tolerance = spec.get("tolerance", 0)
        near = [v for v in range(low, high + 1) if 0 < abs(v - key) <= tolerance]
        far = [v for v in range(low, high + 1) if abs(v - key) > tolerance]
        return {"right": [key, float(key)], "partial": near, "wrong": far,
                "invalid": [low - 1, high + 1, key + 0.5, True, str(key), [key], {"v": key}]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return rng.randint(spec["scale"]["min"], spec["scale"]["max"])


KIND = Rating()
