"""Scoring: the fraction of an item's points an answer earns, and the points.

Each kind's rule is in its folder (`kinds/<kind>/__init__.py`, mirrored by its `front.js` for practice
feedback; a test runs both on every kind's sample answers). For the course's kinds:

- single: all or nothing.
- multiple: right minus wrong, floored at 0: (correct picks - wrong picks) / number of correct options.
- rating: full credit at the key; within the tolerance, 1 - distance / (tolerance + 1); beyond it, 0.
- ordering: the share of option pairs placed in the same relative order as the key.
- numeric: full credit within the tolerance of the key, otherwise 0.
- text: graded by hand (None).

An unanswered item earns 0. Every fraction lies in [0, 1].
"""

from __future__ import annotations

from typing import Any

from . import kinds
from .items import check_key, check_value


def fraction(spec: dict[str, Any], value: Any, key: Any) -> float | None:
    """Fraction of full credit for an answer that has already passed check_value."""
    kind = kinds.get(spec["kind"])
    if kind.manual:
        return None
    if value is None:
        return 0.0
    return kind.fraction(spec, value, key)


def points(spec: dict[str, Any], value: Any, key: Any) -> float | None:
    """Points earned, rounded to 4 places so that sums stay exact enough to compare."""
    key = check_key(spec, key)
    value = check_value(spec, value)
    share = fraction(spec, value, key)
    return None if share is None else round(share * spec.get("points", 0), 4)


def grade_item(spec: dict[str, Any], value: Any, key: Any) -> float | None:
    """Points for one stored answer, pure: no session, no file, no kernel (what the grader calls per item).

    `value` is the raw stored answer (None: unanswered) and `key` the hidden test's key; an answer that does not
    fit the item raises InvalidAnswer (the caller decides what the learner is told and scores it 0), a bad key
    too. Manual kinds give None: their points come from a human grader.
    """
    return points(spec, value, key)
