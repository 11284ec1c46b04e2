"""Counting the hardening suite: each test records the bad inputs and attacks it tried against the pipeline.

A test calls ``tried(request, bad_inputs=..., attacks=...)`` after its assertions hold; the counts travel with
the test report (also from xdist workers) and conftest's terminal summary prints their totals.
"""

from __future__ import annotations

import pytest

KEY = "empathy-ce-hardening"


def tried(request: pytest.FixtureRequest, *, bad_inputs: int = 0, attacks: int = 0) -> None:
    """Record what this test tried; counted only if the test passes."""
    if bad_inputs < 0 or attacks < 0 or not bad_inputs + attacks:
        raise ValueError("record at least one bad input or attack")
    request.node.user_properties.append((KEY, {"bad_inputs": bad_inputs, "attacks": attacks}))


def totals(reports: list[pytest.TestReport]) -> tuple[int, int, int]:
    """(tests, bad inputs, attacks) over passed call reports."""
    tests = bad = attacks = 0
    for report in reports:
        if report.when != "call" or not report.passed:
            continue
        counts = [value for key, value in report.user_properties if key == KEY]
        if counts:
            tests += 1
            bad += sum(c["bad_inputs"] for c in counts)
            attacks += sum(c["attacks"] for c in counts)
    return tests, bad, attacks
