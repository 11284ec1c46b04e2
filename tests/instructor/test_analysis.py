"""Item analysis, pass rules and certificate guards, checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from empathy_ce.instructor import analysis
from empathy_ce.instructor.certificates import placeholders

# Six learners, five items. q1-q3 and q5 are worth 1 point, q4 is worth 2 (partial credit).
# q5 is answered right only by the two weakest learners, q3 by nobody and q6 by everybody.
MATRIX = {
    "l1": {"q1": 1, "q2": 1, "q3": 0, "q4": 2, "q5": 0, "q6": 1},
    "l2": {"q1": 1, "q2": 1, "q3": 0, "q4": 1, "q5": 0, "q6": 1},
    "l3": {"q1": 1, "q2": 0, "q3": 0, "q4": 2, "q5": 0, "q6": 1},
    "l4": {"q1": 0, "q2": 1, "q3": 0, "q4": 1, "q5": 0, "q6": 1},
    "l5": {"q1": 0, "q2": 0, "q3": 0, "q4": 0, "q5": 1, "q6": 1},
    "l6": {"q1": 1, "q2": 0, "q3": 0, "q4": 0, "q5": 1, "q6": 1},
}
TOPS = {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 1, "q6": 1}


def group_means_point_biserial(item: str) -> float:
    """The textbook point-biserial for a right/wrong item: (M1 - M0) / s * sqrt(p q), s the population SD of the
    rest-of-test totals. A different formula from the Pearson correlation the code uses."""
    rest = {lr: sum(v for k, v in row.items() if k != item) for lr, row in MATRIX.items()}
    right = [rest[lr] for lr, row in MATRIX.items() if row[item] == TOPS[item]]
    wrong = [rest[lr] for lr, row in MATRIX.items() if row[item] != TOPS[item]]
    everyone = list(rest.values())
    mean = sum(everyone) / len(everyone)
    s = math.sqrt(sum((x - mean) ** 2 for x in everyone) / len(everyone))
    p = len(right) / len(everyone)
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / s * math.sqrt(p * (1 - p))


def test_difficulty_is_the_mean_share_of_points():
    stats = analysis.item_analysis(MATRIX, TOPS)
    assert stats["q1"].difficulty == pytest.approx(4 / 6)
    assert stats["q4"].difficulty == pytest.approx((1 + 0.5 + 1 + 0.5 + 0 + 0) / 6)  # 2/2, 1/2, ... = 0.5
    assert stats["q3"].difficulty == 0 and stats["q6"].difficulty == 1


def test_point_biserial_matches_a_hand_computation():
    # q1 by hand. Rest-of-test totals (q2..q6): l1 4, l2 3, l3 3, l4 3, l5 2, l6 2; mean 17/6.
    # Right (l1, l2, l3, l6): mean rest 12/4 = 3.0; wrong (l4, l5): mean 2.5. Population SD of the rest totals:
    # deviations 7/6, 1/6, 1/6, 1/6, -5/6, -5/6 -> squares sum 102/36 -> variance 102/216 -> s = 0.6872.
    # p = 4/6, q = 2/6: r = (3.0 - 2.5) / 0.6872 * sqrt(8/36) = 0.3430.
    r_hand = (3.0 - 2.5) / math.sqrt(102 / 216) * math.sqrt(8 / 36)
    stats = analysis.item_analysis(MATRIX, TOPS)
    assert r_hand == pytest.approx(0.3430, abs=1e-4)
    assert stats["q1"].discrimination == pytest.approx(r_hand)
    for item in ("q1", "q2", "q5"):
        assert stats[item].discrimination == pytest.approx(group_means_point_biserial(item)), item


def test_partial_credit_items_correlate_their_points_with_the_rest():
    # q4 (0, 1 or 2 points) against rest totals l1..l6 = 3, 3, 3, 2, 2, 3: Pearson by hand.
    item, rest = [2, 1, 2, 1, 0, 0], [3, 3, 2, 2, 2, 3]
    assert rest == [sum(v for k, v in row.items() if k != "q4") for row in MATRIX.values()]
    mx, my = sum(item) / 6, sum(rest) / 6
    r = sum((a - mx) * (b - my) for a, b in zip(item, rest, strict=True)) / math.sqrt(
        sum((a - mx) ** 2 for a in item) * sum((b - my) ** 2 for b in rest))
    assert analysis.item_analysis(MATRIX, TOPS)["q4"].discrimination == pytest.approx(r)


def test_misbehaving_items_are_flagged():
    stats = analysis.item_analysis(MATRIX, TOPS)
    assert stats["q5"].discrimination < 0 and analysis.FLAG_NEGATIVE in stats["q5"].flags
    assert stats["q3"].flags == [analysis.FLAG_NOBODY] and stats["q3"].discrimination is None
    assert stats["q6"].flags == [analysis.FLAG_EVERYBODY] and stats["q6"].discrimination is None
    assert stats["q1"].flags == [] and stats["q4"].full_credit == 2


def test_ungraded_answers_are_left_out_not_counted_as_zero():
    matrix = {**MATRIX, "l7": {"q1": None, "q2": 1, "q3": 0, "q4": None, "q5": 0, "q6": 1}}
    stats = analysis.item_analysis(matrix, TOPS)
    assert stats["q1"].n == 6 and stats["q2"].n == 7
    assert stats["q1"].difficulty == pytest.approx(4 / 6)


def test_objective_mastery():
    objectives = {"q1": "obj-a", "q2": "obj-a", "q4": "obj-b"}
    mastery = analysis.objective_mastery(MATRIX, objectives, TOPS, pass_mark=0.75)
    # obj-a shares: l1 1, l2 1, l3 .5, l4 .5, l5 0, l6 .5 -> mean 3.5/6; at least .75: l1, l2.
    assert mastery["obj-a"].mean_percent == pytest.approx(100 * 3.5 / 6)
    assert (mastery["obj-a"].mastered, mastery["obj-a"].learners) == (2, 6)
    # obj-b (q4 of 2 points): 1, .5, 1, .5, 0, 0 -> mastered by l1 and l3.
    assert mastery["obj-b"].mastered == 2 and mastery["obj-b"].mastered_share == pytest.approx(1 / 3)


def test_pass_rules_and_eligibility():
    assert analysis.passed(6, 8, 0.75) and not analysis.passed(5.999, 8, 0.75)
    assert analysis.module_status(True, 8, 11, 0, 0.75) == analysis.FAIL  # 72.7%: the data notebook never helps
    assert analysis.module_status(True, 11, 11, 1, 0.75) == analysis.PENDING
    assert analysis.module_status(False, 0, 11, 0, 0.75) == analysis.MISSING
    P, F, W, M = analysis.PASS, analysis.FAIL, analysis.PENDING, analysis.MISSING
    assert analysis.learner_status([P, P, P, P]) == analysis.ELIGIBLE
    assert analysis.learner_status([P, W, P, P]) == analysis.PENDING
    assert analysis.learner_status([P, W, M, P]) == analysis.INCOMPLETE
    assert analysis.learner_status([F, W, M, P]) == analysis.NOT_ELIGIBLE


def test_a_newest_submission_not_graded_holds_a_pass():
    """Issue 16: an earlier pass does not count while the newest submission is not graded; certificates held."""
    assert analysis.module_status(True, 11, 11, 0, 0.75, needs_attention=True) == analysis.NEEDS_ATTENTION
    assert analysis.module_status(False, 0, 11, 0, 0.75, needs_attention=True) == analysis.NEEDS_ATTENTION
    P, F, A = analysis.PASS, analysis.FAIL, analysis.NEEDS_ATTENTION
    assert analysis.learner_status([P, P, A, P]) == analysis.NEEDS_ATTENTION
    assert analysis.learner_status([F, P, A, P]) == analysis.NEEDS_ATTENTION  # what to act on comes first


def test_score_distribution_bins():
    bins = analysis.distribution([0, 9.9, 10, 75, 100, 100])
    assert bins[0] == (0, 10, 2) and bins[1][2] == 1 and bins[7][2] == 1 and bins[9] == (90, 100, 2)


def test_placeholder_provider_details_are_recognised():
    from support import ROOT
    from support.instructor_course import PROVIDER

    from empathy_ce import course as course_model
    from empathy_ce.instructor.certificates import PROVIDER_FIELDS

    assert placeholders(course_model.load(ROOT).provider) == [f"provider.{name}" for name in PROVIDER_FIELDS]
    assert placeholders(PROVIDER) == []
    assert placeholders({**PROVIDER, "approval_statement": "", "approval_number": "TBD"}) == [
        "provider.approval_statement", "provider.approval_number"]
    assert placeholders({k: v for k, v in PROVIDER.items() if k != "refund_policy"}) == ["provider.refund_policy"]
