"""The committed learner notebooks match solutions/, and nothing a learner receives carries a key."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from support import BIN, ROOT

from empathy_ce import cells
from empathy_ce.widget import front_end_spec

RELEASED = sorted((ROOT / "exercises").rglob("*.ipynb"))
SOURCES = sorted((ROOT / "solutions").rglob("*.ipynb"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    result = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", "*", "--force"], cwd=root,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "exercises"


@pytest.mark.slow  # runs the release
def test_exercises_are_in_sync_with_solutions(regenerated: Path):
    hint = "exercises/ is out of date: run `.venv/bin/empathy-ce release` and commit the result"
    expected = {p.relative_to(regenerated) for p in regenerated.rglob("*") if p.is_file()}
    committed = {p.relative_to(ROOT / "exercises") for p in (ROOT / "exercises").rglob("*") if p.is_file()}
    assert committed == expected, hint
    for relative in sorted(expected):
        assert (ROOT / "exercises" / relative).read_bytes() == (regenerated / relative).read_bytes(), \
            f"{relative}: {hint}"


def test_every_source_notebook_is_released():
    assert [p.relative_to(ROOT / "solutions") for p in SOURCES] == [p.relative_to(ROOT / "exercises")
                                                                     for p in RELEASED]


def hidden_keys() -> dict[str, object]:
    keys: dict[str, object] = {}
    for path in SOURCES:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                keys.update(cells.keys(cell.source))
    return keys


def solution_lines() -> set[str]:
    """Lines inside solution regions of coding cells (longer than a trivial line)."""
    found = set()
    for path in SOURCES:
        for cell in nbformat.read(path, as_version=4).cells:
            for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                found.update(line.strip() for line in region.splitlines() if len(line.strip()) > 12)
    return found


def test_every_assessment_item_has_exactly_one_hidden_key():
    keys = hidden_keys()
    for path in SOURCES:
        for spec, meta in cells.notebook_items(path):
            scored = spec["mode"] == "assessment" and spec["points"] > 0  # not the survey and attestation items
            assert (spec["id"] in keys) == (scored and spec["kind"] != "text"), f"{path.name}: {spec['id']}"
            assert meta.get("grade", False) == scored, spec["id"]


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.name)
def test_nothing_a_learner_receives_carries_a_key(path: Path):
    text = path.read_text("utf-8")
    nb = nbformat.reads(text, as_version=4)
    for marker in ("HIDDEN TESTS", "BEGIN SOLUTION", "score(", "widget-state", "application/vnd.jupyter.widget"):
        assert marker not in text, f"{path.name} contains {marker!r}"
    assert "widgets" not in nb.metadata
    assert not any(c.get("outputs") for c in nb.cells), f"{path.name} carries outputs"
    for line in solution_lines():
        assert line not in text, f"{path.name} leaks solution code: {line}"
    for spec, _ in cells.notebook_items(path):
        if spec["mode"] == "assessment":
            sent = front_end_spec(spec)  # exactly what the widget model syncs to the learner's browser
            assert not {"answer", "rationale", "example"} & set(sent)
            assert not any("feedback" in o for o in sent.get("options", []))


def test_no_answer_files_are_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [f for f in tracked.splitlines() if re.search(r"(^|/)answers[^/]*\.json$", f)]


def test_non_trivial_keys_appear_nowhere_in_the_release():
    """List and number keys are distinctive enough to search for in every released file."""
    released = "\n".join(p.read_text("utf-8") for p in RELEASED)
    for item_id, key in hidden_keys().items():
        if isinstance(key, list) and len(key) > 2:
            assert json.dumps(key) not in released, item_id
