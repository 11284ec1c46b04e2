"""An nbgrader exchange plug-in that releases a retake form (form B of a post-test) only to named learners.

nbgrader has no per-learner assignments: ``release_assignment`` copies an assignment to the exchange's shared
``outbound/`` folder, which every learner of the course lists and fetches. A retake form released that way would
show its items to every learner before their first attempt. This plug-in keeps nbgrader's default (file-system)
exchange and adds one folder:

    <exchange>/<course>/personal/<learner>/<assignment>/

- ``PersonalReleaseAssignment`` copies a retake form there, once per learner named in ``learners``, and refuses to
  release a retake form to ``outbound/`` (for everyone); any other assignment is released as nbgrader does.
- ``PersonalFetchAssignment``, ``PersonalSubmit`` and ``PersonalList`` look in the learner's own personal folder
  first, then in ``outbound/`` as usual, so the retake appears in that learner's *Assignment List* only, and
  is fetched and submitted like any other assignment (submissions go to the usual ``inbound/``, so
  ``nbgrader collect`` and the gradebook need nothing new).

What this guarantees, and what it does not (README, "Attempts and retakes"): a learner sees a retake form only
when the instructor has released it to them, through nbgrader's own list, fetch and submit. ``personal/`` is
created without read permission for others (0711), so on a shared exchange with one account per learner nobody
can list who has a retake; a learner who knows another learner's id and the assignment name can still open that
folder, as with ``outbound/``. Nothing here protects the items from a learner who reads the course repository
(``solutions/`` holds every form and key) or from learners sharing what they saw.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from stat import S_IRGRP, S_IROTH, S_IRUSR, S_IWUSR, S_IXGRP, S_IXOTH, S_IXUSR

from nbgrader.exchange.default import (
    ExchangeFetchAssignment,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeSubmit,
)
from nbgrader.utils import get_username
from traitlets import List, Unicode

PERSONAL = "personal"
TRAVERSE_ONLY = S_IRUSR | S_IWUSR | S_IXUSR | S_IXGRP | S_IXOTH  # 0711: others may enter, not list
READABLE_DIR = S_IRUSR | S_IWUSR | S_IXUSR | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH  # 0755
READABLE_FILE = S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH  # 0644


def personal_path(root: str, course_id: str, learner: str, assignment: str = "") -> str:
    return os.path.join(root, course_id, PERSONAL, learner, assignment) if assignment else \
        os.path.join(root, course_id, PERSONAL, learner)


def retake_assignments(course_root: str) -> set[str]:
    """The course's retake assignment ids (course/modules/<id>.yml ``forms``); none when no course is found."""
    from .. import course as course_model

    try:
        return set(course_model.load(Path(course_root)).retake_assignments())
    except (OSError, KeyError, ValueError):
        return set()


def _learner(coursedir) -> str:  # nbgrader's CourseDirectory
    """Who is asking: the explicit student id (as nbgrader submit accepts it), else the account name."""
    student = coursedir.student_id
    return student if student and student != "*" and "+" not in student else get_username()


class PersonalReleaseAssignment(ExchangeReleaseAssignment):
    learners = List(Unicode(), help="Learners to release this retake form to (personal copies only)").tag(config=True)

    def init_dest(self) -> None:
        super().init_dest()  # the course, outbound and inbound folders, as nbgrader makes them
        self.personal_dests: list[str] = []
        retake = self.coursedir.assignment_id in retake_assignments(self.coursedir.root)
        if not retake:
            if self.learners:
                self.fail(f"{self.coursedir.assignment_id} is not a retake form: it is released to every learner, "
                          "not to named learners")
            return
        if not self.learners:
            self.fail(f"{self.coursedir.assignment_id} is a retake form: it is released only to the learners who "
                      f"retake the post-test (empathy-ce retake <module> <learner>...), never to every learner")
        bad = [name for name in self.learners if not name or any(c in name for c in "/\\+*") or name.startswith(".")]
        if bad:
            self.fail(f"not a learner id: {', '.join(map(repr, bad))}")
        personal = os.path.join(self.course_path, PERSONAL)
        self.ensure_directory(personal, TRAVERSE_ONLY)
        for learner in self.learners:
            self.ensure_directory(personal_path(self.root, self.coursedir.course_id, learner), READABLE_DIR)
            self.personal_dests.append(personal_path(self.root, self.coursedir.course_id, learner,
                                                     self.coursedir.assignment_id))

    def copy_files(self) -> None:
        if not self.personal_dests:
            return super().copy_files()
        for dest in self.personal_dests:
            if os.path.isdir(dest):
                if not self.force:
                    self.fail(f"Destination already exists, add --force to overwrite: {dest}")
                shutil.rmtree(dest)
            self.do_copy(self.src_path, dest)
            self.set_perms(dest, fileperms=READABLE_FILE, dirperms=READABLE_DIR)
            self.log.info("Released %s to %s only: %s", self.coursedir.assignment_id, Path(dest).parent.name, dest)
        return None


class PersonalFetchAssignment(ExchangeFetchAssignment):
    def init_src(self) -> None:
        own = personal_path(self.root, self.coursedir.course_id, _learner(self.coursedir), self.coursedir.assignment_id)
        if self.coursedir.course_id and os.path.isdir(own):
            if not self.authenticator.has_access(self.coursedir.student_id, self.coursedir.course_id):
                self.fail("You do not have access to this course.")
            self.course_path = os.path.join(self.root, self.coursedir.course_id)
            self.outbound_path = os.path.join(self.course_path, "outbound")
            self.src_path = own
            return
        super().init_src()


class PersonalSubmit(ExchangeSubmit):
    def init_release(self) -> None:
        own = personal_path(self.root, self.coursedir.course_id, _learner(self.coursedir), self.coursedir.assignment_id)
        if self.coursedir.course_id and os.path.isdir(own):
            self.release_path = own  # nbgrader compares the submitted notebooks with the released ones
            return
        super().init_release()


class PersonalList(ExchangeList):
    """The usual list, plus the retake forms released to this learner (as if they were in ``outbound/``)."""

    def init_dest(self) -> None:
        super().init_dest()
        if self.inbound or self.cached:
            return
        course_id = self.coursedir.course_id or "*"
        assignment_id = self.coursedir.assignment_id or "*"
        import glob

        own = sorted(glob.glob(personal_path(self.root, course_id, _learner(self.coursedir), assignment_id)))
        self.assignments = sorted(set(self.assignments) | set(own))

    def parse_assignment(self, assignment: str) -> dict[str, str]:
        parts = Path(assignment).parts
        if not (self.inbound or self.cached) and len(parts) >= 4 and parts[-3] == PERSONAL:
            return {"course_id": parts[-4], "assignment_id": parts[-1]}
        return super().parse_assignment(assignment)
