"""nbgrader configuration for the therapeutic-empathy CE course.

Instructor folders (submitted/, autograded/, feedback/, gradebook.db, exchange/) are created at run time
and git-ignored. Override them with environment variables for a shared server:
EMPATHY_CE_EXCHANGE (the exchange folder) and EMPATHY_CE_DB_URL (e.g. a postgresql:// URL).
"""

import os
from pathlib import Path

from empathy_ce.grading.config import configure

here = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.root = str(here)
c.CourseDirectory.course_id = "therapeutic-empathy"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = os.environ.get("EMPATHY_CE_DB_URL", f"sqlite:///{here / 'gradebook.db'}")
c.Exchange.root = os.environ.get("EMPATHY_CE_EXCHANGE", str(here / "exchange"))
c.Exchange.path_includes_course = True
c.Execute.timeout = 120
# Unanswered coding cells must not stop "Run All": no raise in the learner's stub.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}

# Our preprocessors in nbgrader's pipelines, and a check that stops every nbgrader command on a misspelt
# option anywhere in this file (nbgrader itself only logs those and carries on with defaults).
configure(c, here)
# Learner notebooks start with the Run All instruction (empathy_ce/grading/learner_view.py).
from empathy_ce.grading.learner_view import RunAllFirst  # noqa: E402

c.GenerateAssignment.preprocessors = [*c.GenerateAssignment.preprocessors, RunAllFirst]
# Retake forms (form B of each post-test) are released only to the learners who retake it: an exchange plug-in
# that keeps nbgrader's file-system exchange and adds personal copies (README, "Attempts and retakes").
_PLUGIN = "empathy_ce.grading.retake_exchange."
c.ExchangeFactory.release_assignment = _PLUGIN + "PersonalReleaseAssignment"
c.ExchangeFactory.fetch_assignment = _PLUGIN + "PersonalFetchAssignment"
c.ExchangeFactory.submit = _PLUGIN + "PersonalSubmit"
c.ExchangeFactory.list = _PLUGIN + "PersonalList"
