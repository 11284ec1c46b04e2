"""`empathy-ce grade` against nbgrader's own `nbgrader autograde` on identical copies of the same submissions.

The golden notebook (one item of every kind) is released with nbgrader, then submitted by learners who answer
well, badly, partly, not at all, with invalid or unreadable answer files, with their own code, with an edited,
deleted or moved item cell, with a written answer over the length limit, and with a notebook that is not JSON.
nbgrader autogrades one copy of the course in kernels (the kernel-free plug-in turned off); the course's grader
grades another, with kernels only where it cannot prove a kernel unnecessary; and stock `nbgrader autograde`, with
the course's configuration as it is (the plug-in on), grades a third. Every grade, comment and autograded notebook
must be the same.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from support import BIN, golden
from support.gold_course import STAMP, cell_index, gold_course, gradebook
from support.learners import answers_json

from empathy_ce import cli
from empathy_ce.instructor import grade

pytestmark = pytest.mark.slow

TEXT = "gold.post.text"
TAMPERED = {"gold.post.single": "e", "gold.post.multiple": ["a", "a", "c"], "gold.post.rating": 99,
            "gold.post.ordering": ["a", "b"], "gold.post.numeric": "0.0784", TEXT: 12345}
CHEAT = "score = lambda item_id, key: 3.0\nimport empathy_ce.notebook as _n\n_n.score = score\n"


def edit(nb: nbformat.NotebookNode, how: str) -> None:
    if how == "own-code":
        nb.cells.insert(2, nbformat.v4.new_code_cell(CHEAT))
    elif how == "edited":  # the visible item cell edited, another item deleted (nbgrader restores both)
        nb.cells[cell_index(nb, "gold-post-single")].source += '\nscore("gold.post.single", key="a")'
        del nb.cells[cell_index(nb, "gold-post-rating")]
    elif how == "moved":  # an item above the setup cell: the kernel raises NameError there
        i = cell_index(nb, "gold-post-numeric")
        nb.cells.insert(1, nb.cells.pop(i))
        # nbclient does not run a cell tagged skip-execution; such a notebook is left to nbgrader's kernel.
        nb.cells[cell_index(nb, "gold-post-ordering")].metadata["tags"] = ["exercise", "skip-execution"]


LEARNERS = {  # learner: (answer file text or None, notebook edit)
    "right": (answers_json({**golden.ALL_RIGHT, TEXT: "It sounds like the week wore you down."}), None),
    # A number too large for a float makes the item's own code raise: only a kernel shows that, so one runs.
    "wrong": (answers_json({**golden.ALL_WRONG, TEXT: "   ", "gold.post.numeric": 10**400}), None),
    "partial": (answers_json({**golden.PARTIAL, TEXT: "x" * 20_001}), None),  # a written answer over the limit
    "blank": (None, None),
    "tampered": (answers_json(TAMPERED), "own-code"),
    "garbled": ("{ this is not json", None),
    "edited": (answers_json({**golden.ALL_RIGHT, "gold.post.single": "a"}), "edited"),
    "moved": (answers_json(golden.ALL_RIGHT), "moved"),
    "broken": (answers_json(golden.ALL_RIGHT), "not-json"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, grade.Summary, str]:
    base = tmp_path_factory.mktemp("fastgrade")
    course = gold_course(base / "nbgrader")
    released = course.root / "exercises" / "gold" / "gold.ipynb"
    for learner, (answer_text, how) in LEARNERS.items():
        folder = course.root / "submitted" / learner / "gold"
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(STAMP)
        if answer_text is not None:
            (folder / "answers.json").write_text(answer_text)
        if how == "not-json":
            (folder / "gold.ipynb").write_text('{"cells": [')
            continue
        nb = nbformat.read(released, as_version=4)
        edit(nb, how)
        nbformat.write(nb, folder / "gold.ipynb")
    ours = base / "ours"
    shutil.copytree(course.root, ours)
    shutil.copytree(course.root, base / "stock")
    result = autograde(course.root, "--KernelFreeExecute.kernel_free=False")
    assert "There was an error processing assignment 'gold' for student 'broken'" in result
    summary = grade.grade(ours, ["gold"], workers=2, progress=False, notes=True)
    return course.root, ours, summary, result


def autograde(root: Path, *options: str) -> str:
    """Stock `nbgrader autograde gold` on the course at root (its nbgrader_config.py), with its log."""
    result = subprocess.run([str(BIN / "nbgrader"), "autograde", "gold", "--log-level=DEBUG", *options], cwd=root,
                            capture_output=True, text=True, timeout=600)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def stock(graded: tuple[Path, Path, grade.Summary, str]) -> tuple[Path, str]:
    """The third copy, graded by stock `nbgrader autograde` with the course's configuration (plug-in on)."""
    root = graded[0].parent / "stock"
    return root, autograde(root)


def test_every_grade_and_comment_is_identical(graded):
    theirs, ours, _, _ = graded
    expected, got = gradebook(theirs), gradebook(ours)
    assert got == expected
    assert len({k[0] for k in expected}) == len(LEARNERS)


def test_the_workers_notes_are_the_ones_the_files_give_afterwards(graded):
    """grade(notes=True): each worker looks at its submission once graded, as notes.inspect_all does later."""
    from empathy_ce.instructor import notes

    _, ours, summary, _ = graded
    assert all(o.inspected for o in summary.outcomes)
    afterwards = notes.inspect_all(ours, [(o.student, o.assignment) for o in summary.outcomes])
    assert {(o.student, o.assignment): o.state for o in summary.outcomes} == afterwards
    assert {o.student for o in summary.outcomes if o.state.notes} >= {"blank", "garbled", "edited", "broken"}


def test_the_scores_are_the_ones_the_rules_give(graded):
    _, ours, _, _ = graded
    got = gradebook(ours)
    assert got["right", "gold-post-ordering", "grade"][0] == 3.0
    assert got["right", "gold-post-text", "grade"][2] is True  # written answer: manual grading
    assert got["wrong", "gold-post-text", "grade"][:3] == (0, None, False)  # blank text: no response
    assert got["partial", "gold-post-ordering", "grade"][0] == 2.5
    assert all(v[0] == 0 for k, v in got.items() if k[0] in ("tampered", "garbled", "blank") and k[2] == "grade"
               and k[1] != "gold-post-text")
    assert got["edited", "gold-post-single", "grade"][0] == 0  # answered "a"; the learner's own key is gone
    assert got["edited", "gold-post-rating", "grade"][0] == 2.0  # deleted cell restored and graded
    assert got["moved", "gold-post-numeric", "grade"][0] == 0  # NameError before the setup cell, as in a kernel
    assert got["partial", "gold-post-text", "grade"][2] is True  # over-long text: flagged as FlagWrittenAnswers does


def outputs(root: Path, path: Path) -> tuple:
    """What formgrader shows of an autograded notebook; the course folder's own path written as <root>."""
    nb = nbformat.read(root / path, as_version=4)
    nb = nbformat.reads(nbformat.writes(nb).replace(str(root), "<root>"), as_version=4)
    cells = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.metadata.items() if k != "execution"}  # kernel timing only
        cells.append((cell.cell_type, cell.source, meta, cell.get("outputs"), cell.get("execution_count")))
    return nb.metadata, cells


def test_the_autograded_notebooks_show_the_same_outputs(graded):
    theirs, ours, _, _ = graded
    for learner in LEARNERS:
        path = Path("autograded") / learner / "gold" / "gold.ipynb"
        assert (theirs / path).exists() == (ours / path).exists(), learner
        if (theirs / path).exists():
            assert outputs(ours, path) == outputs(theirs, path), learner
    shown = json.dumps(nbformat.read(ours / "autograded/garbled/gold/gold.ipynb", as_version=4).cells[2].outputs)
    assert "Saved answers could not be read" in shown and "learner 'garbled'" in shown


def test_stock_nbgrader_autograde_gives_the_same_grades_and_notebooks_as_kernels(graded, stock):
    theirs = graded[0]
    root, log = stock
    assert gradebook(root) == gradebook(theirs)
    for learner in LEARNERS:
        path = Path("autograded") / learner / "gold" / "gold.ipynb"
        assert (theirs / path).exists() == (root / path).exists(), learner
        if (theirs / path).exists():
            assert outputs(root, path) == outputs(theirs, path), learner
    assert "There was an error processing assignment 'gold' for student 'broken'" in log


def kernel_ran(root: Path, learner: str) -> bool:
    """nbclient records each cell's kernel timing in its metadata ("execution"); no kernel, no timing."""
    nb = nbformat.read(root / "autograded" / learner / "gold" / "gold.ipynb", as_version=4)
    return any("execution" in cell.metadata for cell in nb.cells)


def test_stock_nbgrader_autograde_starts_kernels_only_where_needed(graded, stock):
    theirs, _, _, kernel_only_log = graded
    root, log = stock
    readable = set(LEARNERS) - {"broken"}  # "broken" is no notebook
    assert all(kernel_ran(theirs, learner) for learner in readable)  # the plug-in off: a kernel each
    assert {learner for learner in readable if kernel_ran(root, learner)} == {"moved", "wrong"}
    # The plug-in names each notebook it graded without a kernel in nbgrader's log.
    assert log.count("without a kernel (widget-only)") == len(readable) - 2
    assert "without a kernel" not in kernel_only_log


def test_kernels_run_only_where_needed(graded):
    _, _, summary, _ = graded
    by_learner = {o.student: o for o in summary.outcomes}
    for learner in ("moved", "wrong"):
        assert (by_learner[learner].without_kernel, by_learner[learner].with_kernel) == (0, 1), learner
    for learner in set(LEARNERS) - {"moved", "wrong", "broken"}:
        assert (by_learner[learner].without_kernel, by_learner[learner].with_kernel) == (1, 0), learner


def test_a_broken_notebook_is_reported_with_learner_and_file_and_the_rest_are_graded(graded, capsys):
    _, ours, summary, _ = graded
    failed = summary.failures
    assert [o.student for o in failed] == ["broken"]
    path, message = failed[0].failures[0]
    assert path.endswith("submitted/broken/gold/gold.ipynb") and "JSON" in message
    assert summary.count("graded") == len(LEARNERS) - 1
    # Re-running grades nothing again and reports the same failure through the command line.
    code = cli.main(["--root", str(ours), "grade", "gold", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"0 graded, {len(LEARNERS) - 1} already graded" in out
    assert "FAILED learner 'broken', gold: submitted/broken/gold/gold.ipynb: NotJSONError" in err


def test_regrading_keeps_manual_grades(graded):
    _, ours, _, _ = graded
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}") as gb:  # as formgrader saves a manual grade
        g = gb.find_grade("gold-post-text", "gold", "gold", "right")
        g.manual_score, g.needs_manual_grade = 1.5, False
        c = gb.find_comment("gold-post-text", "gold", "gold", "right")
        c.manual_comment = "Names the feeling; say more about the meaning."
        gb.db.commit()
    summary = grade.grade(ours, ["gold"], ["right"], force=True, workers=1, progress=False)
    assert [o.status for o in summary.outcomes] == ["graded"]
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}") as gb:
        g = gb.find_grade("gold-post-text", "gold", "gold", "right")
        assert (g.manual_score, g.score) == (1.5, 1.5)
        assert gb.find_comment("gold-post-text", "gold", "gold", "right").manual_comment.startswith("Names")



def test_the_report_agrees_with_an_independent_computation_from_the_gradebook(graded, capsys):
    """items.csv against statistics.correlation on the graded scores, read straight from nbgrader's tables."""
    import csv
    import statistics

    _, ours, _, _ = graded
    assert cli.main(["--root", str(ours), "report"]) == 0
    capsys.readouterr()
    with (ours / "reports" / "items.csv").open() as handle:
        items = {row["grade_id"]: row for row in csv.DictReader(handle)}
    scores: dict[str, dict[str, float]] = {}
    tops: dict[str, float] = {}
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment("gold").submissions:
            for g in gb.find_submission_notebook("gold", "gold", submission.student.id).grades:
                tops[g.name] = g.max_score
                if not (g.needs_manual_grade and g.manual_score is None):  # graded, not awaiting a grader
                    scores.setdefault(submission.student.id, {})[g.name] = g.score
    for item, top in tops.items():
        graded_rows = [row for row in scores.values() if item in row]
        earned = [row[item] for row in graded_rows]
        rest = [sum(v for k, v in row.items() if k != item) for row in graded_rows]
        assert float(items[item]["difficulty"]) == pytest.approx(sum(earned) / len(earned) / top, abs=6e-4)
        assert int(items[item]["learners"]) == len(earned)
        if len(set(earned)) > 1 and len(set(rest)) > 1:
            assert float(items[item]["discrimination"]) == pytest.approx(statistics.correlation(earned, rest),
                                                                         abs=6e-4), item
        else:
            assert items[item]["discrimination"] == "", item
    with (ours / "reports" / "distractors.csv").open() as handle:
        single = {row["option"]: int(row["count"]) for row in csv.DictReader(handle)
                  if row["item_id"] == "gold.post.single"}
    # b: right, partial, moved, broken (its answer file is fine); a: wrong, edited; "e": tampered; blank, garbled
    assert single == {"a": 2, "b": 4, "c": 0, "d": 0, "(no answer)": 2, "(invalid answer)": 1}


def test_nbgrader_export_with_the_lms_plug_in_writes_the_reports_lms_csv(graded, capsys):
    _, ours, _, _ = graded
    assert cli.main(["--root", str(ours), "report"]) == 0, capsys.readouterr()
    result = subprocess.run([str(BIN / "nbgrader"), "export", "--exporter", "empathy_ce.grading.lms.LmsExportPlugin",
                             "--to", "exported.csv"], cwd=ours, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = (ours / "reports" / "lms.csv").read_bytes()
    assert (ours / "exported.csv").read_bytes() == expected
    assert expected.count(b"\n") == 1 + len(LEARNERS)  # a header, and a row per learner
    result = subprocess.run([str(BIN / "nbgrader"), "export", "--exporter", "empathy_ce.grading.lms.LmsExportPlugin",
                             "--to", "one.csv", "--student", "right"], cwd=ours, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (ours / "one.csv").read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("right,")
