"""Scoring rules: the fraction of an item's points an answer earns.

The rules, also applied by the widget's front end for practice feedback:

- single: all or nothing.
- multiple: right minus wrong, floored at 0: (correct picks - wrong picks) / number of correct options.
- rating: full credit at the key; within the tolerance, 1 - distance / (tolerance + 1); beyond it, 0.
- ordering: the share of option pairs placed in the same relative order as the key.
- numeric: full credit within the tolerance of the key, otherwise 0.
- text: graded by hand (None).

An unanswered item earns 0. Every fraction lies in [0, 1].
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from .items import check_key, check_value


def fraction(spec: dict[str, Any], value: Any, key: Any) -> float | None:
    """Fraction of full credit for an answer that has already passed check_value."""
    kind = spec["kind"]
    if kind == "text":
        return None
    if value is None:
        return 0.0
    if kind == "single":
        return 1.0 if value == key else 0.0
    if kind == "multiple":
        right = len(set(value) & set(key))
        wrong = len(set(value) - set(key))
        return max(0.0, (right - wrong) / len(key))
    if kind == "rating":
        distance = abs(value - key)
        tolerance = spec.get("tolerance", 0)
        if distance == 0:
            return 1.0
        return 1.0 - distance / (tolerance + 1) if distance <= tolerance else 0.0
    if kind == "ordering":
        rank = {k: i for i, k in enumerate(value)}
        pairs = list(combinations(key, 2))
        return sum(rank[a] < rank[b] for a, b in pairs) / len(pairs)
    if kind == "numeric":
        return 1.0 if abs(value - key) <= spec.get("tolerance", 0) + 1e-12 else 0.0
    raise ValueError(f"unknown item kind {kind!r}")


def points(spec: dict[str, Any], value: Any, key: Any) -> float | None:
    """Points earned, rounded to 4 places so that sums stay exact enough to compare."""
    key = check_key(spec, key)
    value = check_value(spec, value)
    share = fraction(spec, value, key)
    return None if share is None else round(share * spec.get("points", 0), 4)
