"""Running the instructor's command line and a learner's nbgrader exchange steps in the test process."""

from __future__ import annotations

from contextlib import chdir
from pathlib import Path
from typing import Any

import pytest

from empathy_ce import cli

from .instructor_course import COURSE_ID

RETAKE_PLUGIN = "empathy_ce.grading.retake_exchange."


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    """`empathy-ce --root ROOT ARGS...`: (exit code, stdout, stderr)."""
    code = cli.main(["--root", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def learner_step(step: str, exchange: Path, home: Path, learner: str, assignment: str) -> Any:
    """nbgrader fetch, submit or list in-process, as a learner whose nbgrader config names the retake plug-in
    (what `empathy-ce start` sets up through the course's nbgrader_config.py)."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.Exchange.root = str(exchange)
    c.Exchange.path_includes_course = True
    for name, cls in (("fetch_assignment", "PersonalFetchAssignment"), ("submit", "PersonalSubmit"),
                      ("list", "PersonalList")):
        setattr(c.ExchangeFactory, name, RETAKE_PLUGIN + cls)
    home.mkdir(parents=True, exist_ok=True)
    with chdir(home):
        coursedir = CourseDirectory(config=c, root=str(home))
        coursedir.assignment_id = assignment
        coursedir.student_id = learner
        factory = ExchangeFactory(config=c)
        cls = {"fetch": factory.FetchAssignment, "submit": factory.Submit, "list": factory.List}[step]
        app = cls(coursedir=coursedir, authenticator=Authenticator(config=c), config=c)
        return app.start()
