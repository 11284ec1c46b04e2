"""Bad submissions and a killed grading batch, against the real nbgrader pipeline on the golden course.

- Notebooks nbformat cannot read (not JSON, empty, not a notebook, another nbformat major version) are reported
  per learner in plain words and everyone else is graded; an older nbformat version is graded as usual.
- A broken resubmission never costs the learner the grading of their earlier submission.
- Folders of submitted/ and exchange submissions for assignments the course does not have are reported per
  learner; the rest are graded and collected.
- Of several submissions of one learner, collect takes the newest, says so, and a newer one replaces it.
- Interrupted gradings (crafted, then a real SIGKILL of the whole process group) are graded again on the next
  run: every submission graded once, every grade as in a clean run, and no kernel left running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import temp_attrs
from support import BIN, golden
from support.cli import run
from support.course import Course
from support.hardening import tried
from support.instructor_course import as_learner
from support.learners import answers_json

from empathy_ce.grading.execute import KernelFreeExecute
from empathy_ce.instructor import configuration, grade, release

pytestmark = [pytest.mark.slow, pytest.mark.hardening]

STAMP = "2026-03-02 10:00:00.000000 UTC"
COURSE_YML = """title: Golden course
delivery: home study
pass_mark: 0.75
provider: {name: "", approval_statement: "", approval_number: ""}
modules: [gold]
"""
MODULE_YML = """id: {id}
title: Golden module
contact_hours: 1.0
objectives: {{gold-1: One, gold-2: Two, gold-3: Three}}
notebooks: {{practice: [], posttest: gold}}
"""
NB = Path("gold") / "gold.ipynb"
RIGHT = {"gold-post-single": 1.0, "gold-post-multiple": 2.0, "gold-post-rating": 2.0, "gold-post-ordering": 3.0,
         "gold-post-numeric": 1.0}
PARTIAL = {k.replace(".", "-"): v for k, v in golden.PARTIAL_SCORES.items()}
ANSWERS = [golden.ALL_RIGHT, golden.ALL_WRONG, golden.PARTIAL, {}, {**golden.PARTIAL, "gold.post.single": "c"}]


@pytest.fixture(scope="module", autouse=True)
def own_exchange_and_gradebook() -> Iterator[None]:
    """Each course copy uses its own exchange and gradebook, whatever the environment says."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("EMPATHY_CE_EXCHANGE", raising=False)
        mp.delenv("EMPATHY_CE_DB_URL", raising=False)
        yield


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden course, released with nbgrader (exercises/, gradebook, the exchange's outbound folder)."""
    root = tmp_path_factory.mktemp("robustness") / "course"
    root.mkdir()
    course = Course(root)
    course.add_source("gold", "gold", golden.notebook())
    (root / "course" / "modules").mkdir(parents=True)
    (root / "course" / "course.yml").write_text(COURSE_YML)
    (root / "course" / "modules" / "gold.yml").write_text(MODULE_YML.format(id="gold"))
    assert all(step.ok for step in release.release(root, ["gold"], exchange=True))
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "course", symlinks=True)
    return tmp_path / "course"


def released(root: Path) -> nbformat.NotebookNode:
    return nbformat.read(root / "exercises" / NB, as_version=4)


def submit(root: Path, learner: str, values: dict | None = None, *, text: str | bytes | None = None,
           stamp: str = STAMP, assignment: str = "gold") -> Path:
    """A collected submission: timestamp.txt, answers.json and the released notebook (or the given file text)."""
    folder = root / "submitted" / learner / assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "answers.json").write_text(answers_json(values if values is not None else golden.ALL_RIGHT))
    path = folder / "gold.ipynb"
    if text is None:
        nbformat.write(released(root), path)
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return folder



def grades(root: Path) -> dict[tuple[str, str], tuple]:
    """(learner, grade cell) -> (auto score, manual score, needs manual grade); (learner, '') -> submission time."""
    found: dict[tuple[str, str], tuple] = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                found[submission.student.id, ""] = (assignment.name, submission.timestamp)
                for notebook in submission.notebooks:
                    for g in notebook.grades:
                        found[submission.student.id, g.name] = (g.auto_score, g.manual_score, g.needs_manual_grade)
    return found


def auto_scores(root: Path, learner: str) -> dict[str, float | None]:
    return {name: value[0] for (who, name), value in grades(root).items() if who == learner and name
            and name != "gold-post-text"}


def rows(root: Path) -> dict[str, int]:
    """Rows of nbgrader's gradebook tables that grading writes, and any duplicated submission or grade."""
    with sqlite3.connect(root / "gradebook.db") as db:
        counts = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")}
        counts["duplicate submissions"] = len(db.execute(
            "SELECT student_id, assignment_id FROM submitted_assignment GROUP BY 1, 2 HAVING COUNT(*) > 1").fetchall())
        counts["duplicate grades"] = len(db.execute(
            "SELECT notebook_id, cell_id FROM grade GROUP BY 1, 2 HAVING COUNT(*) > 1").fetchall())
    return counts


def notebook_view(root: Path, path: Path) -> list[tuple]:
    """What formgrader shows of an autograded notebook, without kernel timings and with the course path as <root>."""
    nb = nbformat.reads((root / path).read_text().replace(str(root), "<root>"), as_version=4)
    return [(c.cell_type, c.source, {k: v for k, v in c.metadata.items() if k != "execution"}, c.get("outputs"),
             c.get("execution_count")) for c in nb.cells]


def as_v3(nb: nbformat.NotebookNode) -> str:
    """The notebook written in nbformat 3 (worksheets, 'input'), as an old Jupyter would save it."""
    cells = [{"cell_type": "code", "input": c.source, "language": "python", "outputs": [], "collapsed": False,
              "metadata": dict(c.metadata)} if c.cell_type == "code" else
             {"cell_type": c.cell_type, "source": c.source, "metadata": dict(c.metadata)} for c in nb.cells]
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": dict(nb.metadata),
                       "worksheets": [{"cells": cells, "metadata": {}}]})


def test_unreadable_notebooks_are_reported_in_plain_words_and_the_rest_graded(
        root: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    good = nbformat.writes(released(root))
    bad = {  # learner: (file text, what the report must say after "<file>: ")
        "notjson": ('{"cells": [', "NotJSONError: not valid JSON (line 1, column 12: Expecting value)"),
        "empty": ("", "NotJSONError: the file is empty, so not a notebook"),
        "blank": ("  \n\n", "NotJSONError: the file holds only white space, so not a notebook"),
        "bom": ("\ufeff" + good, "NotJSONError: not valid JSON (line 1, column 1: Unexpected UTF-8 BOM"),
        "list": ("[]", "not a Jupyter notebook: the file holds a JSON list, not a notebook"),
        "nonotebook": ('{"cells": 3}', "not a Jupyter notebook: JSON without the 'nbformat' version"),
        "cellsnumber": (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 3}),
                        "not a Jupyter notebook: its 'cells' is a number, not a list"),
        "future": (json.dumps({"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}),
                   f"a notebook of nbformat version 5, which nbgrader cannot read (nbformat {nbformat.__version__} "
                   "reads versions 1 to 4)"),
        "textversion": (good.replace('"nbformat": 4', '"nbformat": "4"'),
                        "a notebook of nbformat version '4', which nbgrader cannot read"),
        "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a Jupyter notebook: not UTF-8 text (byte 0x89 at "
                                                           "position 0)"),
        # Readable, but with an nbgrader cell format from the future.
        "schema": (good.replace('"schema_version": 3', '"schema_version": 99'),
                   "SchemaTooNewError: Schema version is too new: 99 (expected 3)"),
    }
    for learner, (text, _) in bad.items():
        submit(root, learner, text=text)
    submit(root, "right")
    submit(root, "old", text=as_v3(released(root)))  # nbformat 3: nbformat converts it, so it is graded
    submit(root, "partial", golden.PARTIAL)
    # Every cell deleted: the course's RestoreCells puts the instructor's cells back (nbgrader's OverwriteCells
    # failed with a KeyError), and the answers in answers.json are graded.
    submit(root, "nocells", text=json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))

    code, out, err = run(capsys, root, "grade", "gold", "--no-progress")
    assert code == 1
    assert f"{len(bad) + 4} submissions: 4 graded, 0 already graded (use --force to regrade), {len(bad)} failed" in out
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert len(failed) == len(bad), err
    for learner, (_, reason) in bad.items():
        assert any(line.startswith(f"FAILED learner '{learner}', gold: submitted/{learner}/gold/gold.ipynb: {reason}")
                   for line in failed), (learner, err)
    assert "Traceback" not in err
    assert auto_scores(root, "right") == auto_scores(root, "old") == auto_scores(root, "nocells") == RIGHT
    assert auto_scores(root, "partial") == PARTIAL
    assert not list((root / "autograded").glob(".*")) and not list((root / "autograded").glob("*/.*"))
    # Run again: the good ones are done, the bad ones fail the same way.
    code, out, err = run(capsys, root, "grade", "gold", "--no-progress")
    assert code == 1 and f"0 graded, 4 already graded (use --force to regrade), {len(bad)} failed" in out
    assert err.count("FAILED") == len(bad)
    tried(request, bad_inputs=len(bad) + 2)


def test_a_broken_resubmission_keeps_the_earlier_grading(root: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        request: pytest.FixtureRequest) -> None:
    submit(root, "kim")
    submit(root, "lee", golden.PARTIAL)
    assert run(capsys, root, "grade", "gold", "--no-progress")[0] == 0
    graded = root / "autograded" / "kim" / NB
    before, notebook = grades(root), graded.read_bytes()
    kept = "not graded; the earlier submission of 2026-03-02 10:00:00 UTC stays graded, its grades and autograded " \
           "notebooks kept"

    later = [("2026-03-03 09:00:00.000000 UTC", '{"cells": [', ()),  # not JSON: nbformat cannot read it
             ("2026-03-03 09:00:00.000000 UTC", '{"cells": [', ("--force",)),  # a forced regrade neither
             # readable, but nbgrader refuses it (tried in memory first, before anything is removed)
             ("2026-03-04 09:00:00.000000 UTC",
              nbformat.writes(released(root)).replace('"schema_version": 3', '"schema_version": 99'), ())]
    for stamp, text, flags in later:
        submit(root, "kim", text=text, stamp=stamp)
        code, out, err = run(capsys, root, "grade", "gold", "--no-progress", *flags)
        assert code == 1 and "1 failed" in out
        line = next(x for x in err.splitlines() if x.startswith("FAILED"))
        assert line.startswith("FAILED learner 'kim', gold: submitted/kim/gold/gold.ipynb: ") and line.endswith(kept)
        assert grades(root) == before  # grades, and the submission time of the graded submission
        assert graded.read_bytes() == notebook

    # A submission that fails in the grading pass itself (here: its kernel dies): nbgrader has already removed the
    # earlier autograded notebooks by then, and the message says so; the gradebook's grades are the earlier ones.
    submit(root, "kim", golden.PARTIAL, stamp="2026-03-05 09:00:00.000000 UTC")

    def dies(self: KernelFreeExecute, nb: nbformat.NotebookNode, resources: dict, km: object = None) -> None:
        raise RuntimeError("Kernel died before replying")

    monkeypatch.setattr(KernelFreeExecute, "preprocess", dies)
    code, out, err = run(capsys, root, "grade", "gold", "--no-progress", "--workers", "1")
    assert code == 1
    assert ("FAILED learner 'kim', gold: submitted/kim/gold/gold.ipynb: RuntimeError: Kernel died before replying; "
            "as nbgrader does, the earlier autograded notebooks were removed (the gradebook keeps the grades it "
            "had)") in err
    assert auto_scores(root, "kim") == RIGHT and not graded.exists()
    monkeypatch.undo()
    code, out, err = run(capsys, root, "grade", "gold", "--no-progress")
    assert code == 0 and "1 graded, 1 already graded" in out
    assert auto_scores(root, "kim") == PARTIAL and auto_scores(root, "lee") == PARTIAL
    assert rows(root)["submitted_assignment"] == 2 and rows(root)["duplicate grades"] == 0
    tried(request, bad_inputs=len(later) + 1)


def test_submissions_for_unknown_assignments_are_reported_per_learner(
        root: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    # "extra" is a module of the course that has not been released; "foo" is nothing of this course.
    (root / "course" / "course.yml").write_text(COURSE_YML.replace("[gold]", "[gold, extra]"))
    (root / "course" / "modules" / "extra.yml").write_text(MODULE_YML.format(id="extra"))
    submit(root, "ann")
    submit(root, "dee", golden.PARTIAL)
    submit(root, "bob", assignment="foo")
    submit(root, "dee", assignment="foo")
    submit(root, "cy", assignment="extra")
    (root / "submitted" / "cy" / ".ipynb_checkpoints").mkdir()  # Jupyter's own folder: not a submission

    code, out, err = run(capsys, root, "grade", "--no-progress")
    assert code == 1
    assert "5 submissions: 2 graded, 0 already graded (use --force to regrade), 0 failed, 3 rejected" in out
    assert err.splitlines() == [
        "FAILED learner 'cy' submitted 'extra', which is not in the gradebook yet: not graded; release it first "
        "(empathy-ce release extra) (submitted/cy/extra)",
        "FAILED learner 'bob' submitted 'foo', which is not an assignment of this course: not graded "
        "(submitted/bob/foo)",
        "FAILED learner 'dee' submitted 'foo', which is not an assignment of this course: not graded "
        "(submitted/dee/foo)"]
    assert auto_scores(root, "ann") == RIGHT and auto_scores(root, "dee") == PARTIAL
    assert {key[0] for key in grades(root)} == {"ann", "dee"}
    assert not (root / "autograded" / "bob").exists()

    # Named assignments are graded as asked: no report of other folders, and an unreleased one is a setup error.
    code, out, err = run(capsys, root, "grade", "gold", "--no-progress")
    assert code == 0 and "0 graded, 2 already graded" in out and "foo" not in err
    with pytest.raises(SystemExit, match="not in the gradebook: extra; release them first"):
        run(capsys, root, "grade", "extra", "--no-progress")
    code, out, err = run(capsys, root, "grade", "--student", "ann", "--no-progress")
    assert code == 0 and "1 submissions: 0 graded, 1 already graded" in out and not err
    tried(request, bad_inputs=4)


def inbound(root: Path) -> Path:
    return root / "exchange" / "therapeutic-empathy" / "inbound"


def learner_submits(root: Path, learner: str, values: dict) -> str:
    """The learner fetches (once), answers and submits through nbgrader's exchange; the new inbound entry's name."""
    home = root.parent / "homes" / learner
    folder = home / "therapeutic-empathy" / "gold"
    if not folder.exists():
        as_learner("fetch", root / "exchange", home, learner, "gold")
    (folder / "answers.json").write_text(answers_json(values))
    before = set(os.listdir(inbound(root))) if inbound(root).exists() else set()
    time.sleep(0.01)  # nbgrader's submission times have microseconds; two submissions never share one
    as_learner("submit", root / "exchange", home, learner, "gold")
    (new,) = set(os.listdir(inbound(root))) - before
    return new


def test_collect_takes_the_newest_of_several_submissions_and_reports_strays(
        root: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    from nbgrader.utils import parse_utc

    learner_submits(root, "ann", golden.ALL_WRONG)
    second = learner_submits(root, "ann", golden.ALL_RIGHT)
    first_of_bob = learner_submits(root, "bob", golden.PARTIAL)
    stamp = second.split("+")[2]
    for name in (f"cy+foo+{stamp}+abc", f"cy+foo+{stamp}+def"):  # for an assignment the course does not have
        shutil.copytree(inbound(root) / second, inbound(root) / name)
    shutil.copytree(inbound(root) / first_of_bob, inbound(root) / "eve+gold+not-a-time+xyz")

    code, out, err = run(capsys, root, "collect")
    assert code == 1
    assert out.splitlines() == ["gold: 2 new or updated submissions collected",
                                f"gold: learner 'ann' submitted 2 times; collected the newest, of "
                                f"{parse_utc(stamp):%Y-%m-%d %H:%M:%S} UTC"]
    lines = err.splitlines()
    assert lines[0].startswith("FAILED learner 'eve', gold: exchange entry eve+gold+not-a-time+xyz has no "
                               "readable submission time in its name (") and lines[0].endswith("): not collected")
    assert lines[1:] == [f"FAILED learner 'cy' submitted 'foo', which is not an assignment of this course: not "
                         f"collected (cy+foo+{stamp}+abc, cy+foo+{stamp}+def in the exchange inbound)"]
    assert sorted(p.name for p in (root / "submitted").iterdir()) == ["ann", "bob"]
    assert json.loads((root / "submitted/ann/gold/answers.json").read_text()) == json.loads(
        answers_json(golden.ALL_RIGHT))
    assert run(capsys, root, "grade", "gold", "--no-progress")[0] == 0
    assert auto_scores(root, "ann") == RIGHT and auto_scores(root, "bob") == PARTIAL

    third = learner_submits(root, "ann", golden.PARTIAL)
    code, out, err = run(capsys, root, "collect", "gold")  # a named module: no report of other assignments
    assert code == 1 and "foo" not in err
    assert out.splitlines() == ["gold: 1 new or updated submissions collected",
                                f"gold: learner 'ann' submitted 3 times; collected the newest, of "
                                f"{parse_utc(third.split('+')[2]):%Y-%m-%d %H:%M:%S} UTC"]
    code, out, _ = run(capsys, root, "grade", "gold", "--no-progress")
    assert code == 0 and "1 graded, 1 already graded" in out
    assert auto_scores(root, "ann") == PARTIAL and auto_scores(root, "bob") == PARTIAL
    assert grades(root)["ann", ""][1] == parse_utc(third.split("+")[2])
    assert rows(root)["submitted_assignment"] == 2 and rows(root)["duplicate grades"] == 0
    code, out, _ = run(capsys, root, "collect", "gold")  # nothing newer: quiet about the choice
    assert out.splitlines() == ["gold: 0 new or updated submissions collected"]
    tried(request, bad_inputs=5)


def nbgrader_would_skip(root: Path, learner: str) -> bool:
    """What nbgrader's own Autograde decides for this learner's existing autograded folder."""
    config = configuration.load(root)
    coursedir = CourseDirectory(config=config)
    with temp_attrs(coursedir, assignment_id="gold", student_id=learner, notebook_id="*"):
        return not Autograde(coursedir=coursedir, config=config).init_destination("gold", learner)


def test_interrupted_gradings_are_graded_again(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               request: pytest.FixtureRequest) -> None:
    clean, crafted = tmp_path / "clean", tmp_path / "crafted"
    shutil.copytree(template, clean)
    for i, values in enumerate(ANSWERS):
        submit(clean, f"l{i}", values)
    shutil.copytree(clean, crafted)
    assert run(capsys, clean, "grade", "gold", "--no-progress")[0] == 0
    assert run(capsys, crafted, "grade", "gold", "--no-progress", "--student", "l1", "--student", "l3",
               "--student", "l4")[0] == 0

    def dest(learner: str) -> Path:
        return crafted / "autograded" / learner / "gold"

    # l0: nbgrader copied timestamp.txt, then the run died before any notebook was written.
    dest("l0").mkdir(parents=True)
    shutil.copy(crafted / "submitted/l0/gold/timestamp.txt", dest("l0"))
    # l1: its grades were saved, then the run died while writing the autograded notebook.
    text = (dest("l1") / "gold.ipynb").read_bytes()
    (dest("l1") / "gold.ipynb").chmod(0o644)
    (dest("l1") / "gold.ipynb").write_bytes(text[: len(text) // 2])
    # l2: the run died while executing: nbgrader's sanitised notebook (a readable notebook) sits at the output path.
    dest("l2").mkdir(parents=True)
    shutil.copy(crafted / "submitted/l2/gold/timestamp.txt", dest("l2"))
    shutil.copy(crafted / "submitted/l2/gold/gold.ipynb", dest("l2"))
    grade.in_progress_marker(dest("l2")).touch()
    # l4: the run died after writing everything, just before it could clear its mark.
    grade.in_progress_marker(dest("l4")).touch()
    interrupted = ["l0", "l1", "l2", "l4"]
    assert all(nbgrader_would_skip(crafted, learner) for learner in interrupted)  # the grades would be lost
    # Feedback is not made from a half-graded submission.
    code, out, err = run(capsys, crafted, "feedback", "gold", "--no-progress", "--student", "l2", "--student", "l3")
    assert code == 1 and "feedback written for 1" in out
    assert "FAILED learner 'l2', gold: " in err and "its grading was interrupted" in err
    assert not (crafted / "feedback" / "l2").exists()

    code, out, err = run(capsys, crafted, "grade", "gold", "--no-progress")
    assert code == 0 and "5 submissions: 4 graded, 1 already graded" in out
    assert err.splitlines() == [f"learner '{learner}', gold: an earlier grading run was interrupted while grading "
                                "this submission; graded again (graded)" for learner in interrupted]
    assert grades(crafted) == grades(clean)
    assert rows(crafted) == rows(clean) == {"student": 5, "submitted_assignment": 5, "submitted_notebook": 5,
                                            "grade": 30, "comment": 5, "duplicate submissions": 0,
                                            "duplicate grades": 0}
    for i in range(len(ANSWERS)):
        path = Path("autograded") / f"l{i}" / NB
        assert notebook_view(crafted, path) == notebook_view(clean, path), i
    assert not list((crafted / "autograded").glob("*/.*"))
    code, out, err = run(capsys, crafted, "grade", "gold", "--no-progress")
    assert code == 0 and "0 graded, 5 already graded" in out and not err
    tried(request, bad_inputs=len(interrupted))


def kernels_of(folder: Path) -> list[int]:
    """Live processes (kernels and their sandboxes) whose command line names a path in folder."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(folder) in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def test_a_killed_grading_run_resumes_without_losing_or_duplicating_grades(
        template: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    learners = [f"k{i}" for i in range(5)]
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    shutil.copytree(template, clean)
    for i, learner in enumerate(learners):
        submit(clean, learner, ANSWERS[i % len(ANSWERS)])
    shutil.copytree(clean, killed)
    temp = tmp_path / "tmp"  # the graders' temporary folders, kernel sandboxes included
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONUNBUFFERED": "1"}

    def command(root: Path, *extra: str) -> list[str]:
        return [str(BIN / "empathy-ce"), "--root", str(root), "grade", "gold", "--no-progress", "--workers", "2",
                *extra]

    done = subprocess.run(command(clean), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    def states() -> tuple[int, int]:
        finished = sum(1 for learner in learners if (killed / "autograded" / learner / NB).exists()
                       and not grade.in_progress_marker(killed / "autograded" / learner / "gold").exists())
        return finished, len(list((killed / "autograded").glob("*/.gold.grading")))

    # A kernel for every notebook: slow enough to be caught with some submissions graded and others half done.
    grader = subprocess.Popen(command(killed, "--kernel-only"), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while states()[0] < 1 or states()[1] < 1:  # some graded, some being graded
            assert grader.poll() is None, "the grader finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(grader.pid, signal.SIGKILL)
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
        grader.communicate()
    finished, marked = states()
    assert 1 <= finished < len(learners) and marked >= 1
    deadline = time.monotonic() + 30  # kernels die with their worker (bubblewrap's --die-with-parent)
    while kernels_of(temp) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert kernels_of(temp) == []

    # Resumed without --kernel-only: the grades are the same either way (see test_instructor_grading), and fast.
    resumed = subprocess.run(command(killed), env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(learners)} submissions: {len(learners) - finished} graded, {finished} already graded" in \
        resumed.stdout
    assert resumed.stderr.count("an earlier grading run was interrupted while grading this submission") == marked
    assert grades(killed) == grades(clean)
    assert rows(killed) == rows(clean) == {
        "student": len(learners), "submitted_assignment": len(learners), "submitted_notebook": len(learners),
        "grade": 6 * len(learners), "comment": len(learners), "duplicate submissions": 0, "duplicate grades": 0}
    for learner in learners:
        assert notebook_view(killed, Path("autograded") / learner / NB) == \
            notebook_view(clean, Path("autograded") / learner / NB), learner
    assert not list((killed / "autograded").glob("*/.*"))
    assert kernels_of(temp) == []
    tried(request, bad_inputs=1)


def test_a_run_killed_after_marking_but_before_copying_is_resumed(template: Path, tmp_path: Path) -> None:
    """The narrow window of the test above: the in-progress mark is written, the autograded folder not yet."""
    root = tmp_path / "course"
    shutil.copytree(template, root)
    submit(root, "k0", ANSWERS[0])
    marker = grade.in_progress_marker(root / "autograded" / "k0" / "gold")
    marker.parent.mkdir(parents=True)
    marker.touch()
    done = subprocess.run([str(BIN / "empathy-ce"), "--root", str(root), "grade", "gold", "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "learner 'k0', gold: an earlier grading run was interrupted while grading this submission" in done.stderr
    assert (root / "autograded" / "k0" / NB).exists() and not marker.exists()


@pytest.mark.parametrize("route", ["in memory", "nbgrader's own"])
def test_a_notebook_that_fails_at_autograde_leaves_no_autograde_flag(monkeypatch: pytest.MonkeyPatch, route: str
                                                                     ) -> None:
    """nbgrader's utils.setenv keeps NBGRADER_EXECUTION=autograde after a failure; kernels started later by the same
    process (formgrader's server, a grading worker) would all run as at autograde. The course's grader restores it,
    on both its routes: the sanitised notebook handed over in memory, and nbgrader's own two passes (taken when
    another exporter is configured)."""
    from nbconvert.exporters import NotebookExporter
    from nbconvert.writers import FilesWriter
    from nbgrader.converters.base import BaseConverter

    from empathy_ce.instructor import autograde

    def fail_at_autograde(*args: Any, **kwargs: Any) -> None:
        if os.environ.get("NBGRADER_EXECUTION") == "autograde":
            raise RuntimeError("the learner's notebook failed")

    class Other(NotebookExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            return super().from_notebook_node(nb, resources, **kw)

    monkeypatch.setattr(BaseConverter, "convert_single_notebook", fail_at_autograde)
    monkeypatch.setattr(NotebookExporter, "from_notebook_node", fail_at_autograde)
    monkeypatch.setattr(autograde, "_preprocessed", fail_at_autograde)  # the grading pass, in memory
    monkeypatch.setattr(grade.CourseAutograde, "_init_preprocessors", lambda self: None)  # no preprocessors needed
    monkeypatch.setattr(grade.CourseAutograde, "init_single_notebook_resources", lambda self, name: {
        "nbgrader": {"assignment": "m1-x", "student": "ana"}})
    monkeypatch.setattr(autograde, "_exported_node", lambda exporter, name, resources: (
        nbformat.v4.new_notebook(), resources))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    converter = grade.CourseAutograde(coursedir=CourseDirectory())
    converter.writer = FilesWriter()
    converter.exporter = NotebookExporter() if route == "in memory" else Other()
    with pytest.raises(RuntimeError):
        converter.convert_single_notebook("learner.ipynb")
    assert "NBGRADER_EXECUTION" not in os.environ
