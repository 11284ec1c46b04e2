"""`empathy-ce grade` (cli/grading.py): the notes it prints come from the workers, or are worked out afterwards.

The golden course, graded in the test process with one worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from support import golden
from support.cli import run
from support.gold_course import STAMP, gold_course
from support.learners import answers_json

from empathy_ce.instructor import grade


def _submit(root: Path, learner: str, answers: dict | None) -> None:
    folder = root / "submitted" / learner / "gold"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(STAMP)
    if answers is not None:
        (folder / "answers.json").write_text(answers_json(answers))
    nbformat.write(nbformat.read(root / "exercises" / "gold" / "gold.ipynb", as_version=4), folder / "gold.ipynb")


@pytest.mark.slow
def test_notes_a_worker_could_not_work_out_are_worked_out_afterwards(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    course = gold_course(tmp_path / "course")
    _submit(course.root, "ana", golden.ALL_RIGHT)
    _submit(course.root, "bo", None)  # no answers.json: a note
    again = tmp_path / "again"
    shutil.copytree(course.root, again)
    code, out, err = run(capsys, course.root, "grade", "gold", "--no-progress", "--workers", "1")
    assert code == 0
    from_workers = [line for line in err.splitlines() if line.startswith("NOTE")]
    assert len(from_workers) == 1 and "learner 'bo'" in from_workers[0] and "missing answers" in from_workers[0]

    looked: list[str] = []
    monkeypatch.setattr(grade, "_inspect", lambda coursedir, notes_for, unit, outcome: looked.append(
        unit.student))
    code, out_again, err_again = run(capsys, again, "grade", "gold", "--no-progress", "--workers", "1")
    assert code == 0 and sorted(looked) == ["ana", "bo"]  # the workers were asked, and said nothing
    assert [line for line in err_again.splitlines() if line.startswith("NOTE")] == from_workers
    assert out_again.splitlines()[-1] == out.splitlines()[-1]  # the counts line
