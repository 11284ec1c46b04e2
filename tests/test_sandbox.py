"""Learner code at autograde: limits and no planted modules; one bad cell never stops the batch."""

from __future__ import annotations

import shutil

import golden
import nbformat
import pytest
from conftest import Course
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow

ATTACKS = {
    "loop": "while True:\n    pass",
    "memory": "hog = bytearray(6 * 1024 ** 3)",
    "output": "for _ in range(20000):\n    print('flood ' * 20)",
    "disk": "open('big.bin', 'wb').write(bytes(200 * 1024 ** 2))",
}


def code_cell(source: str, grade_id: str, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "task": False, "locked": False,
                                 "grade": False, "solution": False, **flags}
    return cell


def attack_notebook() -> nbformat.NotebookNode:
    """One answer cell and one hidden-test cell (1 point) per attack, then an honest question."""
    cells = [nbformat.v4.new_markdown_cell("# Sandbox check")]
    for name in [*ATTACKS, "honest"]:
        cells.append(code_cell(f"{name} = None\n### BEGIN SOLUTION\n{name} = 42\n### END SOLUTION", name,
                               solution=True))
        cells.append(code_cell(f"### BEGIN HIDDEN TESTS\nassert {name} == 42\n### END HIDDEN TESTS", f"{name}-test",
                               grade=True, locked=True, points=1))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("sandbox") / "course"
    root.mkdir()
    course = Course(root)
    course.add_source("attack", "attack", attack_notebook())
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "attack", "--force")
    course.nbgrader("generate_assignment", "gold", "--force")
    for learner in ("attacker", "honest"):
        folder = root / "submitted" / learner / "attack"
        shutil.copytree(root / "exercises" / "attack", folder)
        nb = nbformat.read(folder / "attack.ipynb", as_version=4)
        for cell in nb.cells:
            name = cell.metadata.get("nbgrader", {}).get("grade_id")
            if learner == "attacker" and name in ATTACKS:
                cell.source = ATTACKS[name]
            elif cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = f"{name} = 42"
        nbformat.write(nb, folder / "attack.ipynb")
    planted = root / "submitted" / "planter" / "gold"
    shutil.copytree(root / "exercises" / "gold", planted)
    (planted / "empathy_ce").mkdir()
    (planted / "empathy_ce" / "__init__.py").write_text(
        "def ask(**spec): pass\ndef progress(): pass\ndef score(item_id, key): return 1.0\n")
    result = course.nbgrader("autograde", "attack", "--Execute.timeout=10", check=False)
    course.nbgrader("autograde", "gold")
    return course, result.stdout + result.stderr


def scores(course: Course, assignment: str, learner: str) -> dict[str, float]:
    with Gradebook(course.db_url) as gb:
        return {g.name: g.auto_score for nb in gb.find_submission(assignment, learner).notebooks for g in nb.grades}


def test_each_attack_costs_only_its_own_item(graded):
    course, log = graded
    attacker = scores(course, "attack", "attacker")
    for name in ATTACKS:
        assert attacker[f"{name}-test"] == 0, (name, log[-3000:])
    assert attacker["honest-test"] == 1  # the cells after the attacks still ran
    assert scores(course, "attack", "honest") == {f"{n}-test": 1.0 for n in [*ATTACKS, "honest"]}


def test_output_is_capped(graded):
    course, _ = graded
    notebook = course.root / "autograded" / "attacker" / "attack" / "attack.ipynb"
    assert notebook.stat().st_size < 2_000_000


def test_a_planted_module_cannot_replace_the_grader(graded):
    course, _ = graded
    assert all(score == 0 for name, score in scores(course, "gold", "planter").items() if name != "gold-post-text")
