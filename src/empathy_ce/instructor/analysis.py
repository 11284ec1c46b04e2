"""Pass rules and item analysis, as plain functions on numbers (no gradebook, no files).

- A module is passed when its post-test score is at least the course pass mark (a share of the points).
  Written answers still awaiting a manual grade make it *pending*; a module never handed in is *missing*.
- A module whose newest submission cannot be graded *needs attention*, whatever an earlier submission scored
  (see ``notes``): the instructor must resolve it before it counts.
- A learner is *eligible* for a certificate when every module is passed; *needs attention* (certificates held)
  while any module needs attention; *not eligible* once any module is failed; otherwise *pending* (grades
  awaited) or *incomplete* (modules missing). One who passed every module but has not submitted the course
  evaluation, or lacks an attestation in a post-test, is *incomplete* too (``completion.apply``, with reasons).
- Item difficulty is the mean proportion of the item's points that learners earned (higher = easier).
- Discrimination is the point-biserial (Pearson) correlation between the item score and the rest-of-test
  total (the learner's other items), so the item does not correlate with itself.
- Flags: negative discrimination; nobody earned full credit; everybody earned full credit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PASS, FAIL, PENDING, MISSING = "pass", "fail", "pending", "not submitted"
NEEDS_ATTENTION = "needs attention"
ELIGIBLE, NOT_ELIGIBLE, INCOMPLETE = "eligible", "not eligible", "incomplete"
EPSILON = 1e-9

FLAG_NEGATIVE = "negative discrimination"
FLAG_NOBODY = "nobody right"
FLAG_EVERYBODY = "everybody right"


def passed(score: float, max_points: float, pass_mark: float) -> bool:
    return max_points > 0 and score / max_points + EPSILON >= pass_mark


def module_status(submitted: bool, score: float, max_points: float, awaiting: int, pass_mark: float,
                  needs_attention: bool = False) -> str:
    if needs_attention:
        return NEEDS_ATTENTION
    if not submitted:
        return MISSING
    if awaiting:
        return PENDING
    return PASS if passed(score, max_points, pass_mark) else FAIL


def learner_status(statuses: Sequence[str]) -> str:
    if statuses and all(s == PASS for s in statuses):
        return ELIGIBLE
    if NEEDS_ATTENTION in statuses:
        return NEEDS_ATTENTION
    if FAIL in statuses:
        return NOT_ELIGIBLE
    if MISSING in statuses:
        return INCOMPLETE
    return PENDING


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation; None when either variable is constant or fewer than two pairs."""
    if len(x) != len(y) or len(x) < 2:
        return None
    mx, my = math.fsum(x) / len(x), math.fsum(y) / len(y)
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    if sxx <= EPSILON or syy <= EPSILON:
        return None
    return math.fsum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / math.sqrt(sxx * syy)


@dataclass
class ItemStats:
    item: str
    max_points: float
    n: int = 0
    difficulty: float | None = None
    discrimination: float | None = None
    full_credit: int = 0
    flags: list[str] = field(default_factory=list)


def item_analysis(scores: Mapping[str, Mapping[str, float | None]], max_points: Mapping[str, float]
                  ) -> dict[str, ItemStats]:
    """Difficulty, point-biserial discrimination and flags for each item.

    scores: learner -> item -> points earned (None, or absent, when not graded yet: that learner is left out
    of that item's statistics, and the item adds nothing to the learner's rest-of-test totals).
    """
    stats = {}
    for item, top in max_points.items():
        earned, rest = [], []
        for row in scores.values():
            value = row.get(item)
            if value is None:
                continue
            earned.append(value)
            rest.append(math.fsum(v for k, v in row.items() if k != item and v is not None and k in max_points))
        s = ItemStats(item, top, n=len(earned))
        if earned and top > 0:
            s.difficulty = mean([v / top for v in earned])
            s.full_credit = sum(v + EPSILON >= top for v in earned)
            s.discrimination = pearson(earned, rest)
            if s.discrimination is not None and s.discrimination < 0:
                s.flags.append(FLAG_NEGATIVE)
            if s.full_credit == 0:
                s.flags.append(FLAG_NOBODY)
            elif s.full_credit == len(earned):
                s.flags.append(FLAG_EVERYBODY)
        stats[item] = s
    return stats


@dataclass
class Mastery:
    objective: str
    items: int
    points: float
    learners: int = 0
    mean_percent: float | None = None
    mastered: int = 0

    @property
    def mastered_share(self) -> float | None:
        return self.mastered / self.learners if self.learners else None


def objective_mastery(scores: Mapping[str, Mapping[str, float | None]], objectives: Mapping[str, str],
                      max_points: Mapping[str, float], pass_mark: float) -> dict[str, Mastery]:
    """Per objective: learners' mean share of its points, and how many reached the pass mark on it.

    objectives: item -> objective. A learner counts for an objective when every item of it is graded.
    """
    by_objective: dict[str, list[str]] = {}
    for item, objective in objectives.items():
        by_objective.setdefault(objective, []).append(item)
    found = {}
    for objective, items in by_objective.items():
        total = math.fsum(max_points[i] for i in items)
        m = Mastery(objective, len(items), total)
        shares = []
        for row in scores.values():
            values = [row.get(i) for i in items]
            if total <= 0 or any(v is None for v in values):
                continue
            share = math.fsum(values) / total  # type: ignore[arg-type]
            shares.append(share)
            m.mastered += share + EPSILON >= pass_mark
        m.learners = len(shares)
        m.mean_percent = None if not shares else 100 * math.fsum(shares) / len(shares)
        found[objective] = m
    return found


def distribution(percents: Sequence[float], width: float = 10.0) -> list[tuple[float, float, int]]:
    """(low, high, count) bins of width percent from 0 to 100; 100 falls in the last bin."""
    edges = [i * width for i in range(int(100 / width) + 1)]
    counts = [0] * (len(edges) - 1)
    for p in percents:
        counts[min(int(p // width), len(counts) - 1)] += 1
    return [(edges[i], edges[i + 1], counts[i]) for i in range(len(counts))]
