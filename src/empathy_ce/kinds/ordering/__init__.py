"""Ordering: every option once, first to last; the share of pairs in the key's relative order."""

from __future__ import annotations

import random
from itertools import combinations
from typing import Any

from ..base import InvalidAnswer, option_keys
from ..choices import OPTIONS, Options, check_keys


class Ordering(Options):
    name = "ordering"
    hint = "Put the statements in order, first to last."
    preview_hint = "Put the statements in order (they start in the order shown here)."

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        check_keys(spec, value)
        if sorted(value) != sorted(option_keys(spec)):
            raise InvalidAnswer(f"an order must list every option once, got {value!r}")
        return value

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        rank = {k: i for i, k in enumerate(value)}
        pairs = list(combinations(key, 2))
        return sum(rank[a] < rank[b] for a, b in pairs) / len(pairs)

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        return ['<ol class="ece-static-options">'] + [f"<li>{o['label']}</li>" for o in view["options"]] + ["</ol>"]

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        return [({"id": "kinds.ordering.q1", "kind": "ordering", "mode": "assessment", "objective": "kinds-2",
                  "points": 3, "prompt": "Put the steps in order.",
                  "options": [OPTIONS[2], OPTIONS[0], OPTIONS[3], OPTIONS[1]]}, ["a", "b", "c", "d"])]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        partial = []
        for _ in range(3):
            shuffled = rng.sample(key, len(key))
            if shuffled not in (key, key[::-1]):
                partial.append(shuffled)
        swapped = [key[1], key[0], *key[2:]]
        return {"right": [list(key)], "partial": [swapped, *partial], "wrong": [key[::-1]],
                "invalid": [key[:-1], [*key, key[0]], [*key[:-1], "zz"], "a", [], {"0": key[0]}]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        keys = option_keys(spec)
        return rng.sample(keys, len(keys))


KIND = Ordering()
