"""The item contract: the schema and the checks a schema cannot express."""

from __future__ import annotations

import copy

import pytest
from support import golden

from empathy_ce.items import InvalidAnswer, ItemError, check_value, validate_item

SINGLE = copy.deepcopy(golden.ITEMS[0][0])
PRACTICE = copy.deepcopy(golden.ITEMS[-1][0])


def test_golden_items_are_valid():
    for spec, _ in golden.ITEMS:
        validate_item(copy.deepcopy(spec))


@pytest.mark.parametrize(("change", "message"), [
    ({"answer": "b"}, "answer"),  # an assessment item may not carry its key
    ({"rationale": "because"}, "rationale"),
    ({"options": [{"key": "a", "label": "A", "feedback": "yes"}, {"key": "b", "label": "B"}]}, "feedback"),
    ({"points": None}, "points"),
    ({"id": "Trust.Q1"}, "id"),
    ({"kind": "essay"}, "kind"),
    ({"options": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, "unique"),
    ({"scale": {"min": 1, "max": 5}}, "scale"),
    ({"colour": "red"}, "colour"),
])
def test_assessment_item_errors_are_named(change, message):
    spec = {**SINGLE, **change}
    with pytest.raises(ItemError, match=message) as err:
        validate_item({k: v for k, v in spec.items() if v is not None})
    assert "gold.post.single" in str(err.value) or "id" in str(err.value)


def test_practice_items_need_a_valid_answer_and_rationale():
    with pytest.raises(ItemError, match="rationale"):
        validate_item({k: v for k, v in PRACTICE.items() if k != "rationale"})
    with pytest.raises(ItemError, match="practice answer"):
        validate_item({**PRACTICE, "answer": "z"})


def test_rubric_points_must_add_up():
    text = copy.deepcopy(golden.ITEMS[5][0])
    with pytest.raises(ItemError, match="rubric points add to 2"):
        validate_item({**text, "points": 3})


@pytest.mark.parametrize(("index", "value"), [
    (0, "z"), (0, 1), (1, "a"), (1, ["a", "a"]), (1, ["a", "q"]), (2, 6), (2, 2.5), (2, True), (2, "3"),
    (3, ["a", "b"]), (3, ["a", "b", "c", "c"]), (4, float("nan")), (4, float("inf")), (4, "0.1"), (5, 42),
    (5, "x" * 20_001),
])
def test_invalid_answers_are_rejected(index, value):
    with pytest.raises(InvalidAnswer):
        check_value(golden.ITEMS[index][0], value)


def test_empty_answers_count_as_unanswered():
    assert check_value(golden.ITEMS[1][0], []) is None
    assert check_value(golden.ITEMS[5][0], "   ") is None
