"""Numeric: full credit within the tolerance of the key, otherwise 0."""

from __future__ import annotations

import html
import math
import random
from typing import Any

from ..base import InvalidAnswer, Kind


class Numeric(Kind):
    name = "numeric"
    hint = "Type a number."

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidAnswer(f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise InvalidAnswer(f"{value!r} is not a finite number")
        return float(value)

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        return 1.0 if abs(value - key) <= spec.get("tolerance", 0) + 1e-12 else 0.0

    def describe(self, spec: dict[str, Any], value: Any) -> str:
        return f"{value:g}" + (f" {spec['unit']}" if spec.get("unit") else "")

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        unit = f" {html.escape(view['unit'])}" if view.get("unit") else ""
        field = f'<input type="text" inputmode="decimal" name="{name}" disabled>'
        return [f"<p><label>Your answer: {field}{unit}</label></p>"]

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        return [f"Unit: {spec['unit']}", ""] if spec.get("unit") else []

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        return [({"id": "kinds.numeric.q1", "kind": "numeric", "mode": "assessment", "objective": "kinds-3",
                  "points": 1, "tolerance": 0.005, "prompt": "Compute r squared for r = .28."}, 0.0784),
                ({"id": "kinds.numeric.q2", "kind": "numeric", "mode": "assessment", "objective": "kinds-3",
                  "points": 1, "prompt": "How many?"}, 3)]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        tolerance = spec.get("tolerance", 0)
        return {"right": [key, key + tolerance / 2, int(key) if key == int(key) else key], "partial": [],
                "wrong": [key + tolerance + 0.5, -key - 1, 0 if key else 1],
                "invalid": [str(key), True, [key], {"value": key}, "0.1"]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return round(rng.uniform(-1, 10), 3)


KIND = Numeric()
