"""All four modules through real nbgrader with simulated learners: expert, novice and blank."""

from __future__ import annotations

import random
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook
from support import ROOT, learners
from support.course import Course

from empathy_ce import cells, kinds
from empathy_ce import course as course_model
from empathy_ce.authoring import grade_id
from empathy_ce.scoring import points

pytestmark = pytest.mark.slow

COURSE = course_model.load(ROOT)
LEARNERS = ("expert", "novice", "blank")


def answers_for(learner: str, items: list[tuple[dict, object]], rng: random.Random) -> dict:
    if learner == "blank":
        return {}
    if learner == "expert":
        # The kind's own right answer (the key itself for most kinds; a conversation's key is its scores, its
        # right answer the best path).
        return {s["id"]: ("A careful, tentative reflection." if k is None else
                          kinds.get(s["kind"]).samples(s, k, random.Random(0))["right"][0]) for s, k in items}
    return {s["id"]: learners.random_answer(s, rng) for s, _ in items}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("course-e2e") / "course"
    root.mkdir()
    course = Course(root)
    shutil.copytree(ROOT / "solutions", root / "solutions")
    course.nbgrader("generate_assignment", "*", "--force")
    rng = random.Random(2026)
    expected: dict[tuple[str, str, str], tuple[float | None, bool]] = {}
    for module in COURSE.modules:
        items = []
        for name in module.notebooks():
            for cell in nbformat.read(COURSE.source(module, name), as_version=4).cells:
                spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
                if spec:
                    items.append((spec, cells.keys(cell.source).get(spec["id"]), name))
        for learner in LEARNERS:
            folder = root / "submitted" / learner / module.id
            shutil.copytree(root / "exercises" / module.id, folder)
            values = answers_for(learner, [(s, k) for s, k, _ in items], rng)
            if values:
                (folder / "answers.json").write_text(learners.answers_json(values))
            for spec, key, _ in items:
                if spec["mode"] != "assessment" or not spec.get("points"):
                    continue  # practice items, and the attestation (not graded)
                if spec["kind"] == "conversation" and spec["conversation"].get("written_turn", {}).get("points"):
                    # its written turn: a task cell of its own, always graded by hand
                    expected[learner, module.id, f"{grade_id(spec['id'])}-written"] = (None, True)
                if spec["kind"] == "text":
                    expected[learner, module.id, grade_id(spec["id"])] = (None, True) if values else (0, False)
                else:
                    expected[learner, module.id, grade_id(spec["id"])] = (points(spec, values.get(spec["id"]), key),
                                                                          False)
            if module.data:
                solutions = learners.coding_solutions(COURSE.source(module, module.data))
                if learner == "expert":
                    learners.write_code_answers(folder / f"{module.data}.ipynb", solutions)
                for gid in solutions:
                    expected[learner, module.id, f"{gid}-test"] = (1.0 if learner == "expert" else 0.0, False)
        course.nbgrader("autograde", module.id)
    return course, expected


def test_every_graded_cell_scores_as_expected(graded):
    course, expected = graded
    got = {}
    with Gradebook(course.db_url) as gb:
        for module in COURSE.modules:
            for learner in LEARNERS:
                submission = gb.find_submission(module.id, learner)
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        got[learner, module.id, grade.name] = (grade.auto_score, grade.needs_manual_grade)
    assert got == expected


def test_the_expert_earns_every_autograded_point_and_the_blank_learner_none(graded):
    course, _ = graded
    with Gradebook(course.db_url) as gb:
        for module in COURSE.modules:
            expert = gb.find_submission(module.id, "expert")
            blank = gb.find_submission(module.id, "blank")
            manual = sum(g.max_score for nb in expert.notebooks for g in nb.grades if g.needs_manual_grade)
            assert expert.score == pytest.approx(expert.max_score - manual), module.id
            assert blank.score == 0, module.id


def test_every_notebook_runs_top_to_bottom_in_a_fresh_kernel(graded):
    """Autograde ran each learner's whole notebook in a fresh kernel: nothing failed but hidden tests."""
    course, _ = graded
    for notebook in sorted((course.root / "autograded").rglob("*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors:
                meta = cell.metadata.get("nbgrader", {})
                learner = notebook.relative_to(course.root / "autograded").parts[0]
                assert meta.get("grade") and not meta.get("solution") and learner != "expert", (notebook, cell.source)
