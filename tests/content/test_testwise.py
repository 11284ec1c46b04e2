"""Test-wise learners: surface strategies must not pass a post-test or do well on a practice set.

A learner who reads none of the course and answers by surface cues (the longest or shortest option, the most
or least hedged option, avoiding absolute words, always the same position, the longest half of a multiple-
select list, an ordering left as shown) is simulated on every post-test and practice set, and scored with the
project's own scoring code (`empathy_ce.scoring.points`). Where a strategy leaves a tie (two options equally
long, three options free of absolute words), the learner is credited with the expected score of guessing among
them.

Limits, from issue 10: every strategy scores under 50% of a post-test's points, and no single-choice strategy
scores over 40% of the post-test's single-choice points; practice sets stay under 60%.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean
from typing import Any

import nbformat
import pytest
from support import ROOT
from support.testwise import ABSOLUTES, HEDGES, count_words

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.scoring import points

COURSE = course_model.load(ROOT)

POSTTEST_LIMIT = 0.50
SINGLE_LIMIT = 0.40
PRACTICE_LIMIT = 0.60

Item = tuple[dict[str, Any], Any]  # (spec, key)


def items_of(module: course_model.Module, notebook: str, form: course_model.Form | None = None) -> list[Item]:
    """Every item of a source notebook with its key (hidden test for assessments, answer for practice)."""
    found = []
    path = COURSE.form_source(form) if form else COURSE.source(module, notebook)
    for cell in nbformat.read(path, as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec:
            key = cells.keys(cell.source).get(spec["id"], spec.get("answer"))
            found.append((spec, key))
    return found


def sets() -> list[tuple[str, list[Item], float]]:
    """(set name, items, limit) for every post-test form and practice set of the course (form A is <module>.post)."""
    found = []
    for module in COURSE.modules:
        found.append((f"{module.id}.post", items_of(module, module.posttest), POSTTEST_LIMIT))
        for form in module.retakes():
            found.append((f"{module.id}.post-{form.name}", items_of(module, form.posttest, form), POSTTEST_LIMIT))
        practice = [item for name in module.practice for item in items_of(module, name)]
        for set_id in dict.fromkeys(spec["id"].split(".")[1] for spec, _ in practice):
            chosen = [item for item in practice if item[0]["id"].split(".")[1] == set_id]
            found.append((f"{module.id}.{set_id}", chosen, PRACTICE_LIMIT))
    return found


def expected(spec: dict[str, Any], key: Any, choices: list[Any]) -> float:
    """Mean points over equally likely answers (a guess among tied options)."""
    return mean(points(spec, choice, key) for choice in choices) if choices else 0.0


def labels(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["key"], o["label"]) for o in spec["options"]]


def best(spec: dict[str, Any], measure: Callable[[str], float]) -> list[str]:
    """Option keys with the highest measure (all tied options)."""
    scored = [(measure(label), key) for key, label in labels(spec)]
    top = max(s for s, _ in scored)
    return [key for s, key in scored if s == top]


def by_length_half(spec: dict[str, Any], measure: Callable[[str], float]) -> list[str]:
    ranked = sorted(labels(spec), key=lambda kl: -measure(kl[1]))
    return [key for key, _ in ranked[: (len(ranked) + 1) // 2]]


def fallback(spec: dict[str, Any], key: Any) -> float:
    """What a surface strategy earns on items without options: the scale midpoint for ratings, else nothing."""
    if spec["kind"] == "rating":
        scale = spec["scale"]
        middle = (scale["min"] + scale["max"]) / 2
        return expected(spec, key, sorted({int(middle), int(middle + 0.5)}))
    if spec["kind"] == "ordering":
        return points(spec, [o["key"] for o in spec["options"]], key)  # left in the order shown
    return 0.0


def longest(spec: dict[str, Any], key: Any) -> float:
    if spec["kind"] == "single":
        return expected(spec, key, best(spec, len))
    if spec["kind"] == "multiple":
        return points(spec, by_length_half(spec, len), key)
    return fallback(spec, key)


def most_hedged(spec: dict[str, Any], key: Any) -> float:
    if spec["kind"] == "single":
        return expected(spec, key, best(spec, lambda text: count_words(text, HEDGES)))
    if spec["kind"] == "multiple":
        return points(spec, by_length_half(spec, lambda text: count_words(text, HEDGES)), key)
    return fallback(spec, key)


def shortest(spec: dict[str, Any], key: Any) -> float:
    """The reverse cue: once keys stop being the longest option, a rewrite can overshoot to the shortest."""
    if spec["kind"] == "single":
        return expected(spec, key, best(spec, lambda text: -len(text)))
    if spec["kind"] == "multiple":
        return points(spec, by_length_half(spec, lambda text: -len(text)), key)
    return fallback(spec, key)


def least_hedged(spec: dict[str, Any], key: Any) -> float:
    """The plain, unqualified option: the cue left when distractors are the hedged ones."""
    if spec["kind"] == "single":
        return expected(spec, key, best(spec, lambda text: -count_words(text, HEDGES)))
    if spec["kind"] == "multiple":
        return points(spec, by_length_half(spec, lambda text: -count_words(text, HEDGES)), key)
    return fallback(spec, key)


def no_absolutes(spec: dict[str, Any], key: Any) -> float:
    if spec["kind"] in ("single", "multiple"):
        free = [k for k, label in labels(spec) if count_words(label, ABSOLUTES) == 0]
        if spec["kind"] == "multiple":
            return points(spec, free or None, key)
        return expected(spec, key, free or [k for k, _ in labels(spec)])
    return fallback(spec, key)


def position(index: int) -> Callable[[dict[str, Any], Any], float]:
    def strategy(spec: dict[str, Any], key: Any) -> float:
        if spec["kind"] in ("single", "multiple"):
            shown = [k for k, _ in labels(spec)]
            choice = shown[min(index, len(shown) - 1)]
            return points(spec, choice if spec["kind"] == "single" else [choice], key)
        return fallback(spec, key)
    return strategy


STRATEGIES: dict[str, Callable[[dict[str, Any], Any], float]] = {
    "longest": longest, "shortest": shortest, "most hedged": most_hedged, "least hedged": least_hedged,
    "no absolute words": no_absolutes,
    **{f"always position {i + 1}": position(i) for i in range(4)},
}

# Sets that failed on the course as it stood when this test was written (issue 10); each mark goes as the
# set is rewritten, so the history shows the test failing first.
# Failing in commit 6e58c03: all four post-tests, m1-trust.p2, m4-boundaries.p1 and m4-boundaries.p2.
# Second pass (reviewer's read): the "shortest" strategy, added then, failed in commit c9972cb on
# m1-trust.p2, m2-outcomes.post, m3-cultivation.post, m4-boundaries.post and m4-boundaries.p1
# ("least hedged" failed none).
FAILING_BEFORE: set[str] = set()


def scores(items: list[Item]) -> dict[str, tuple[float, float]]:
    """Strategy -> (share of all points, share of single-choice points)."""
    graded = [(spec, key) for spec, key in items if spec["kind"] != "text"]
    total = sum(spec.get("points", 1) for spec, _ in items)
    singles = [(spec, key) for spec, key in graded if spec["kind"] == "single"]
    single_total = sum(spec.get("points", 1) for spec, _ in singles)
    result = {}
    for name, strategy in STRATEGIES.items():
        def earned(subset: list[Item], strategy=strategy) -> float:
            # practice items carry no points: score each as one point
            return sum(strategy({**spec, "points": spec.get("points", 1)}, key) for spec, key in subset)
        result[name] = (earned(graded) / total, earned(singles) / single_total if single_total else 0.0)
    return result


SETS = sets()


def _param(name: str, items: list[Item], limit: float):
    marks = [pytest.mark.xfail(strict=True, reason="surface cues pass (issue 10)")] if name in FAILING_BEFORE else []
    return pytest.param(name, items, limit, id=name, marks=marks)


@pytest.mark.parametrize(("name", "items", "limit"), [_param(*s) for s in SETS])
def test_surface_strategies_do_not_pass(name: str, items: list[Item], limit: float):
    results = scores(items)
    report = {s: f"{total:.0%} of points, {single:.0%} of single-choice" for s, (total, single) in results.items()}
    too_high = {s: report[s] for s, (total, single) in results.items()
                if total >= limit or (limit == POSTTEST_LIMIT and single > SINGLE_LIMIT)}
    assert not too_high, f"{name}: test-wise strategies score too well: {too_high}"


def test_every_set_is_checked():
    names = {name for name, _, _ in SETS}
    assert all(f"{m.id}.post" in names for m in COURSE.modules)
    assert all(f"{m.id}.post-{f.name}" in names for m in COURSE.modules for f in m.retakes())
    assert all(len(m.retakes()) >= 1 for m in COURSE.modules), "every post-test has a second form (issue 11)"
    assert sum(1 for name in names if ".post" not in name) >= 2 * len(COURSE.modules)
    assert FAILING_BEFORE <= names


def test_the_strategies_catch_a_cued_item():
    """A set whose key is always the longest, hedged, first option fails every matching strategy."""
    spec = {"id": "x.post.q1", "kind": "single", "mode": "assessment", "objective": "x-1", "points": 1,
            "prompt": "?", "options": [{"key": "a", "label": "It may often tend to be associated, partly."},
                                       {"key": "b", "label": "Always."}, {"key": "c", "label": "Never."}]}
    results = scores([(spec, "a")])
    assert results["longest"] == (1.0, 1.0)
    assert results["most hedged"] == (1.0, 1.0)
    assert results["no absolute words"] == (1.0, 1.0)
    assert results["always position 1"] == (1.0, 1.0)
    assert results["always position 2"] == (0.0, 0.0)
    assert results["shortest"] == (0.0, 0.0)
    assert results["least hedged"] == (0.0, 0.0)


def test_the_reverse_cues_are_caught_too():
    """A key that is always the shortest, plainest option is as much a give-away as the longest."""
    spec = {"id": "x.post.q1", "kind": "single", "mode": "assessment", "objective": "x-1", "points": 1,
            "prompt": "?", "options": [{"key": "a", "label": "It is so."},
                                       {"key": "b", "label": "It may often be so, although it depends."},
                                       {"key": "c", "label": "It could perhaps be so, in some cases."}]}
    results = scores([(spec, "a")])
    assert results["shortest"] == (1.0, 1.0)
    assert results["least hedged"] == (1.0, 1.0)
