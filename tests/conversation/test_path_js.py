"""The front end's path rule (conversation/path.js) agrees with Python's (path.py) on the same paths.

Every prefix of every course conversation, plus random tampered values (wrong types, unknown keys, skipped
turns, over-long paths, replies after the end): both must reject the same values, give the same message, and
score the rest identically.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import ROOT
from support.node import run_module

from empathy_ce.conversation import path as paths
from empathy_ce.conversation import profile, script
from empathy_ce.items import InvalidAnswer

PATH_JS = ROOT / "src" / "empathy_ce" / "conversation" / "path.js"
COURSE = script.load_all(ROOT)


def prefixes(item: dict[str, Any]) -> list[list[str]]:
    found, todo = [], [(item["start"], [])]
    while todo:
        node, keys = todo.pop()
        found.append(keys)
        todo.extend((r["next"], [*keys, r["key"]]) for r in item["nodes"][node].get("replies", []))
    return found


def tampered(rng: random.Random) -> Any:
    atoms = ["a", "b", "c", "d", "z", "", None, 1, 2.5, True, ["a"], {"k": "a"}]
    shape = rng.randrange(6)
    if shape == 0:
        return rng.choice(atoms)
    if shape == 1:
        return [rng.choice(atoms) for _ in range(rng.randrange(1, 6))]
    if shape == 2:
        return [rng.choice("abcd") for _ in range(rng.randrange(1, 6))]
    if shape == 3:
        return {"0": "a", "1": "b"}
    if shape == 4:
        return "abc"
    return ["a"] * rng.randrange(4, 12)


def python_verdict(item: dict[str, Any], value: Any) -> dict[str, Any]:
    try:
        return {"fraction": paths.fraction(item, value)}
    except InvalidAnswer as err:
        return {"error": str(err)}


def test_front_end_scores_and_rejects_like_python(tmp_path: Path) -> None:
    rng = random.Random(13)
    cases = []
    for item in COURSE.values():
        values: list[Any] = [None, [], *prefixes(item)]
        values += [tampered(rng) for _ in range(150)]
        longer = dict(item, max_turns=item["max_turns"] + 2)   # room for replies after the end line
        cases += [{"script": item, "value": v} for v in values]
        cases += [{"script": longer, "value": [*item["expert_path"], "a"]}]
    shutil.copy(PATH_JS, tmp_path / "path.mjs")
    results = run_module(tmp_path, cases, "import {fraction} from './path.mjs';",
                         "cases.map(c => { try { return {fraction: fraction(c.script, c.value)}; }"
                         " catch (e) { if (e.name !== 'InvalidAnswer') throw e; return {error: e.message}; } })")
    assert len(results) == len(cases)
    rejected = 0
    for case, js in zip(cases, results, strict=True):
        expected = python_verdict(case["script"], case["value"])
        if "error" in expected:
            rejected += 1
            assert js.get("error") == expected["error"], case["value"]
        else:
            assert js.get("fraction") == pytest.approx(expected["fraction"], abs=1e-12), case["value"]
    assert rejected > 100, "the cases include many tampered paths"


def test_front_end_summary_matches_python(tmp_path: Path) -> None:
    """R:Q, %CR, their labels and bands on the end screen: the same in the browser as in Python."""
    rng = random.Random(5)
    codes = list(script.CODES)
    cases = [[], ["validation"], ["open-question"], ["simple-reflection"] * 2 + ["open-question"] * 2]
    cases += [[rng.choice(codes) for _ in range(rng.randrange(1, 9))] for _ in range(300)]
    shutil.copy(PATH_JS, tmp_path / "path.mjs")
    out = run_module(tmp_path, cases, "import {summary} from './path.mjs';", "cases.map(summary)")
    bands = set()
    for codes_, js in zip(cases, out, strict=True):
        py = profile.summary(codes_)
        assert js["counts"] == py["counts"]
        for key in ("reflections", "questions", "complex_reflections"):
            assert js[key] == py[key]
        for mine, theirs in zip(js["measures"], py["measures"], strict=True):
            assert {k: mine[k] for k in ("measure", "label", "value", "fair", "good", "band")} == \
                   {k: theirs[k] for k in ("measure", "label", "value", "fair", "good", "band")}, codes_
            bands.add(theirs["band"])
    assert bands == {"not computed", "below fair", "at or above fair", "at or above good"}
