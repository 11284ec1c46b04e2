"""Multiple choice: every option that applies; right minus wrong picks over the right ones, floored at 0."""

from __future__ import annotations

import random
from typing import Any

from ..base import option_keys
from ..choices import OPTIONS, Choice, check_keys


class Multiple(Choice):
    name = "multiple"
    hint = "Choose every answer that applies."
    input_type = "checkbox"

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        return check_keys(spec, value) or None  # nothing chosen is unanswered

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        right = len(set(value) & set(key))
        wrong = len(set(value) - set(key))
        return max(0.0, (right - wrong) / len(key))

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        return [({"id": "kinds.multiple.q1", "kind": "multiple", "mode": "assessment", "objective": "kinds-1",
                  "points": 2, "prompt": "Select all that apply.", "options": OPTIONS}, ["a", "c"])]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        others = [k for k in option_keys(spec) if k not in key]
        partial = [key[:1]] if len(key) > 1 else []
        if others and len(key) > 1:
            partial.append([*key, others[0]])
        wrong = [others[:1], others] if others else []
        if others:
            wrong.append([key[0], *others])
        return {"right": [list(key), list(reversed(key))], "partial": partial, "wrong": wrong,
                "invalid": ["a", [key[0], key[0]], [*key, "zz"], [1], {"a": 1}, [None]]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        keys = option_keys(spec)
        return rng.sample(keys, rng.randint(1, len(keys)))


KIND = Multiple()
