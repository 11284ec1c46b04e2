"""Scoring rules: worked examples, bounds for any answer, and the front end agreeing with Python."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import golden
from support.node import run_module

from empathy_ce import kinds
from empathy_ce.items import InvalidAnswer, check_key, check_value, validate_item
from empathy_ce.kinds import QUALITIES, front
from empathy_ce.scoring import fraction, grade_item, points

SPECS = {spec["id"]: spec for spec, _ in golden.ITEMS}


@pytest.mark.parametrize(("answers", "expected"), [
    (golden.ALL_RIGHT, {i: s["points"] for i, (s, _) in golden.GRADED.items()}),
    (golden.ALL_WRONG, {"gold.post.single": 0, "gold.post.multiple": 0, "gold.post.rating": 0,
                        "gold.post.ordering": 0, "gold.post.numeric": 0}),
    (golden.PARTIAL, golden.PARTIAL_SCORES),
    ({}, {i: 0 for i in golden.GRADED}),
])
def test_worked_examples(answers, expected):
    for item_id, (spec, key) in golden.GRADED.items():
        assert points(spec, answers.get(item_id), key) == pytest.approx(expected[item_id]), item_id


def test_documented_partial_credit_rules():
    multiple = SPECS["gold.post.multiple"]  # key a, c; 2 points
    assert points(multiple, ["a"], ["a", "c"]) == 1.0  # one of two right
    assert points(multiple, ["a", "c", "b"], ["a", "c"]) == 1.0  # (2 - 1) / 2
    assert points(multiple, ["a", "b", "d"], ["a", "c"]) == 0.0  # floored at 0
    rating = SPECS["gold.post.rating"]  # key 3, tolerance 1, 2 points
    assert [points(rating, v, 3) for v in (1, 2, 3, 4, 5)] == [0.0, 1.0, 2.0, 1.0, 0.0]
    ordering = SPECS["gold.post.ordering"]  # 3 points, 6 pairs
    assert points(ordering, ["b", "a", "c", "d"], ["a", "b", "c", "d"]) == 2.5
    assert points(ordering, ["d", "c", "b", "a"], ["a", "b", "c", "d"]) == 0.0


def node_scores(tmp_path: Path, cases: list[dict]) -> list:
    """What the widget's front end (item.js with every registered kind bundled in, as JupyterLab gets it) says
    for each case: the fraction, or "invalid" where its check refuses the answer or the key."""
    (tmp_path / "item.mjs").write_text(front.bundle())
    return run_module(tmp_path, cases, "import {checkKey, checkValue, fraction} from './item.mjs';",
                      "cases.map((c) => { try { const key = checkKey(c.spec, c.key);"
                      " return fraction(c.spec, checkValue(c.spec, c.value), key); }"
                      " catch (e) { return 'invalid'; } })")


def python_score(case: dict) -> float | str | None:
    try:
        key = check_key(case["spec"], case["key"])
        return fraction(case["spec"], check_value(case["spec"], case["value"]), key)
    except InvalidAnswer:
        return "invalid"


def strict_json(value: object) -> bool:
    """NaN and infinities have no JSON spelling node can read (Python's own tests cover them)."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


def kind_cases(rng: random.Random) -> list[dict]:
    """Every registered kind's example items, with its samples of each quality, its guesses, unanswered, and
    invalid keys (a key of another item's sample)."""
    cases = []
    for kind in kinds.all_kinds():
        for spec, key in kind.examples():
            if kind.manual:
                key = "x"  # manual kinds have no key; anything valid stands in, the fraction is None
            samples = kind.samples(spec, key, rng)
            assert set(samples) == set(QUALITIES), kind.name
            values = [v for quality in QUALITIES for v in samples[quality]]
            values += [kind.guess(spec, rng) for _ in range(30)] + [None]
            cases += [{"spec": spec, "value": v, "key": key, "kind": kind.name} for v in values if strict_json(v)]
            cases += [{"spec": spec, "value": key, "key": bad, "kind": kind.name}
                      for bad in samples["invalid"][:2] if strict_json(bad)]
    return cases


def test_front_end_scores_like_python(tmp_path):
    """item.js (JupyterLab's bundle) computes the same fractions as scoring.py, and refuses the same answers,
    on every kind's generated samples (right, partial, wrong, invalid), guesses and the golden items."""
    rng = random.Random(7)
    cases = kind_cases(rng)
    for spec, key in golden.GRADED.values():
        for _ in range(50):
            variant = dict(spec, tolerance=rng.choice([0, 1, 2])) if spec["kind"] == "rating" else spec
            value = None if rng.random() < 0.1 else kinds.get(spec["kind"]).guess(spec, rng)
            cases.append({"spec": variant, "value": value, "key": key, "kind": spec["kind"]})
    assert {c["kind"] for c in cases} == set(kinds.names())
    assert sum(python_score(c) == "invalid" for c in cases) >= 5 * len(kinds.names())
    for case, js in zip(cases, node_scores(tmp_path, cases), strict=True):
        expected = python_score(case)
        if expected == "invalid" or js == "invalid" or expected is None:
            assert js == expected, case
        else:
            assert js == pytest.approx(expected), case


@pytest.mark.parametrize("name", kinds.names())
def test_samples_are_what_they_say(name):
    """Each kind's generator: right answers earn full credit, partial ones some, wrong ones none, invalid ones
    are refused (the benchmark and the tests rely on it)."""
    kind = kinds.get(name)
    for spec, key in kind.examples():
        validate_item(spec)
        samples = kind.samples(spec, key, random.Random(3))
        for value in samples["invalid"]:
            with pytest.raises(InvalidAnswer):
                check_value(spec, value)
        if kind.manual:
            assert all(check_value(spec, v) is not None for v in samples["right"])
            continue
        assert samples["right"] and samples["wrong"], name
        assert all(fraction(spec, check_value(spec, v), key) == 1 for v in samples["right"])
        assert all(0 < fraction(spec, check_value(spec, v), key) < 1 for v in samples["partial"])
        assert all(fraction(spec, check_value(spec, v), key) == 0 for v in samples["wrong"])
        assert all(check_value(spec, kind.guess(spec, random.Random(i))) is not None or name == "multiple"
                   for i in range(10))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5) | st.sampled_from(["a", "b", "c", "d"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.hardening
@given(item=st.sampled_from(sorted(golden.GRADED)), value=json_values)
def test_any_stored_value_scores_within_bounds_or_is_rejected(item, value):
    spec, key = golden.GRADED[item]
    try:
        checked = check_value(spec, value)
    except InvalidAnswer:
        return
    earned = points(spec, checked, key)
    assert 0 <= earned <= spec["points"]


def test_grade_item_is_points_after_validation():
    """The grader's pure entry point: points for a stored answer, InvalidAnswer for one that does not fit."""
    for spec, key in golden.GRADED.values():
        kind = kinds.get(spec["kind"])
        samples = kind.samples(spec, key, random.Random(5))
        assert grade_item(spec, samples["right"][0], key) == spec["points"]
        assert grade_item(spec, None, key) == 0
        with pytest.raises(InvalidAnswer):
            grade_item(spec, samples["invalid"][0], key)
    text, _ = golden.ITEMS[5]
    with pytest.raises(InvalidAnswer, match="key"):
        grade_item(text, "A reflection.", None)  # a written item has no key: it is graded by hand
