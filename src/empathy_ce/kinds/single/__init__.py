"""Single choice: one option; all or nothing."""

from __future__ import annotations

import random
from typing import Any

from ..base import InvalidAnswer, option_keys
from ..choices import OPTIONS, Choice


class Single(Choice):  # radio buttons
    name = "single"
    hint = "Choose one answer."

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        keys = option_keys(spec)
        if not isinstance(value, str) or value not in keys:
            raise InvalidAnswer(f"{value!r} is not one of the options {keys}")
        return value

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        return 1.0 if value == key else 0.0

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        return [({"id": "kinds.single.q1", "kind": "single", "mode": "assessment", "objective": "kinds-1",
                  "points": 1, "prompt": "Pick the best option.", "options": OPTIONS}, "b")]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        keys = option_keys(spec)
        return {"right": [key], "partial": [], "wrong": [k for k in keys if k != key],
                "invalid": ["zz", 1, [key], key.upper() + "!", {"key": key}, True]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return rng.choice(option_keys(spec))


KIND = Single()
