"""The survey kind (the course evaluation): no key, no points, never scored; each response type checks its answer."""

from __future__ import annotations

import pytest

from empathy_ce import kinds, scoring
from empathy_ce.items import InvalidAnswer, ItemError, check_value, validate_item

SURVEY = kinds.get("survey")
BASE = {"kind": "survey", "mode": "assessment", "objective": "evaluation-1", "points": 0, "prompt": "How well?"}
SCALE = {**BASE, "id": "e.s.scale", "response": "scale", "scale": {"min": 1, "max": 5}}


@pytest.mark.parametrize(("change", "message"), [
    ({"points": 1}, "points"),
    ({"response": "choice", "scale": None}, "only a choice question"),
    ({"scale": {"min": 3, "max": 3}}, "scale min"),
    ({"response": "text"}, "only a scale question"),
    ({"rubric": [{"criterion": "x", "points": 0}]}, "rubric"),
    ({"response": "sometimes"}, "response"),
])
def test_a_survey_item_that_breaks_the_contract_is_refused(change: dict, message: str):
    spec = {k: v for k, v in {**SCALE, **change}.items() if v is not None}
    with pytest.raises(ItemError, match=message):
        validate_item(spec)


def test_survey_answers_are_checked_and_never_scored():
    validate_item(SCALE)
    assert check_value(SCALE, 4) == 4 and check_value(SCALE, 4.0) == 4
    for bad in (0, 6, 2.5, True, "4"):
        with pytest.raises(InvalidAnswer):
            check_value(SCALE, bad)
    minutes = validate_item({**BASE, "id": "e.s.minutes", "response": "number", "maximum": 600})
    assert check_value(minutes, 600) == 600
    with pytest.raises(InvalidAnswer, match=r"outside 0\.\.600"):
        check_value(minutes, 601)
    comments = validate_item({**BASE, "id": "e.s.text", "response": "text"})
    assert check_value(comments, "  ") is None and check_value(comments, "Clear.") == "Clear."
    assert SURVEY.manual and scoring.fraction(SCALE, 4, None) is None
    assert "not scored" in "".join(SURVEY.summary_html(SCALE, 4, lambda t, **_: t, "4"))


def test_the_evaluation_items_have_no_grade_cell_and_no_key_in_the_authoring_helper():
    from empathy_ce.authoring import item_source

    source = item_source(SCALE)
    assert "score(" not in source and "HIDDEN TESTS" not in source
    with pytest.raises(ValueError, match="only graded assessment items take a hidden key"):
        item_source(SCALE, key=3)
