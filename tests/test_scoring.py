"""Scoring rules: worked examples, bounds for any answer, and the front end agreeing with Python."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import golden, learners

from empathy_ce.items import InvalidAnswer, check_value
from empathy_ce.scoring import fraction, points

SPECS = {spec["id"]: spec for spec, _ in golden.ITEMS}
ITEM_JS = Path(__file__).resolve().parents[1] / "src" / "empathy_ce" / "static" / "item.js"


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


def answers_for(spec: dict, rng: random.Random):
    """Random valid answers, including unanswered."""
    return None if rng.random() < 0.1 else learners.random_answer(spec, rng)


def test_front_end_scores_like_python(tmp_path):
    """The practice feedback in item.js computes the same fractions as scoring.py."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the front end's scoring cannot be run")
    rng = random.Random(7)
    cases = []
    for spec, key in golden.GRADED.values():
        for _ in range(150):
            variant = dict(spec, tolerance=rng.choice([0, 1, 2])) if spec["kind"] == "rating" else spec
            cases.append({"spec": variant, "value": answers_for(spec, rng), "key": key})
    module = tmp_path / "item.mjs"
    shutil.copy(ITEM_JS, module)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = ("import {fraction} from './item.mjs'; import fs from 'fs';"
              "const cases = JSON.parse(fs.readFileSync('cases.json'));"
              "console.log(JSON.stringify(cases.map(c => fraction(c.spec, c.value, c.key))));")
    out = subprocess.run([node, "--input-type=module", "-e", script], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    for case, js in zip(cases, json.loads(out), strict=True):
        assert js == pytest.approx(fraction(case["spec"], case["value"], case["key"])), case


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
