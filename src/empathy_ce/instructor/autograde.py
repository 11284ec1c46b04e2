"""nbgrader's Autograde converter as ``empathy-ce grade`` runs it for one learner's submission.

``CourseAutograde`` is nbgrader's ``Autograde`` with the course's configuration, recording what happened to
each notebook. Bad submissions and interrupted runs:

- A notebook nbformat cannot read (not JSON, empty, not a notebook, an unknown nbformat version) fails that
  learner's submission with the reason in plain words (``notebook_files.notebook_problem``); the rest are graded.
- A newer submission replacing an earlier grading is first checked: readable, and through nbgrader's
  sanitising pass in memory (which only reads the gradebook). If it fails, the earlier grading stays as it
  was (autograded notebooks, grades, submission time): nbgrader would delete the autograded notebooks before
  finding out. A failure later on (in the grading pass) removes them as nbgrader does, and the report says so.
- A grading run killed midway leaves ``autograded/<learner>/<assignment>/`` holding ``timestamp.txt`` and
  nbgrader's sanitised (not yet graded) notebook, or a half-written one, which nbgrader's own re-run skips as
  done. Each submission is therefore marked in progress (``in_progress_marker``) from the moment nbgrader may
  write its destination until it has finished with it; a destination with that mark, or without a readable
  autograded notebook for every submitted notebook of the assignment, is graded again. The gradebook is
  updated in place, so nothing is counted twice.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import Exporter, NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import rwbase
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.utils import rmtree

from . import transactions
from .notebook_files import describe, notebook_problem, parses_as_notebook


class CourseAutograde(Autograde):
    """nbgrader's Autograde as configured, recording what happened to each notebook.

    It also resumes interrupted work and keeps an earlier grading when a newer submission cannot be graded
    (see the module docstring).
    """

    expected_notebooks: frozenset[str] | None = None  # the assignment's notebooks in the gradebook, if known
    # empathy-ce grade's workers: each pass's preprocessors, made for the worker's first notebook and used for the
    # rest (nbconvert makes every one anew for each pass of each notebook, a tenth of a notebook's grading time).
    # Safe because each sets what it works with from the notebook and resources at the start of preprocess() and
    # logs to the one logger every converter shares. Keyed by "sanitising pass?"; None: nbgrader's own way.
    kept_preprocessors: dict[bool, list[Any]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures: list[tuple[str, str]] = []
        self.skipped = False
        self.resumed = False  # an interrupted earlier grading was found and is graded again
        self.replacing = False  # an earlier grading is being replaced (newer submission or --force)
        self._markers: list[Path] = []

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        excluded = student_id in (self.coursedir.student_id_exclude or "").split(",")
        dest = Path(os.path.normpath(self._format_dest(assignment_id, student_id)))
        marker = in_progress_marker(dest)
        # A marker without its folder: the run was killed after marking, before nbgrader made the folder.
        if (dest.exists() or marker.exists()) and not excluded:
            newer = dest.exists() and self.newer(dest, assignment_id, student_id)
            if marker.exists() or not (newer or self.complete(dest, assignment_id)):
                self.log.warning("grading of learner %s's %s was interrupted; grading it again",
                                 student_id, assignment_id)
                self.resumed = True
                if dest.exists():
                    rmtree(str(dest))
            else:
                # A newer submission replaces the earlier grading: first make sure nbgrader can grade it, since it
                # removes the earlier autograded notebooks before it finds out. (The same submission regraded with
                # --force was graded before, so it can be.)
                graded = self.graded_names(assignment_id) if newer else frozenset()
                broken = [(path, problem) for path in self.notebooks if Path(path).stem in graded
                          and (problem := notebook_problem(path) or self.sanitising_problem(path))]
                if broken:
                    when = self.coursedir.get_existing_timestamp(str(dest))
                    kept = (f"not graded; the earlier submission{f' of {when:%Y-%m-%d %H:%M:%S} UTC' if when else ''}"
                            " stays graded, its grades and autograded notebooks kept")
                    self.failures.extend((path, f"{problem}; {kept}") for path, problem in broken)
                    self.log.error("%s's %s cannot be graded; the earlier grading is kept", student_id, assignment_id)
                    return False
                self.replacing = newer or self.force
        go = super().init_destination(assignment_id, student_id)
        self.skipped = not go
        if go:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            self._markers.append(marker)
        return go

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        super().init_assignment(assignment_id, student_id)
        transactions.commit_so_far()  # the submission's rows: see transactions.commit_so_far

    def _init_preprocessors(self) -> None:
        kept = None if self.kept_preprocessors is None else self.kept_preprocessors.get(self._sanitizing)
        if kept is not None:
            self.exporter._preprocessors = list(kept)
            return
        super()._init_preprocessors()
        if not self._sanitizing:  # after the grading pass's steps: its grades are saved, the rest does not write
            self.exporter.register_preprocessor(_commit_saved_grades, enabled=True)
        if self.kept_preprocessors is not None:
            self.kept_preprocessors[self._sanitizing] = list(self.exporter._preprocessors)

    def graded_names(self, assignment_id: str) -> frozenset[str]:
        """The assignment's notebooks in the gradebook: nbgrader skips any other notebook a learner submits."""
        if self.expected_notebooks is None:
            with contextlib.suppress(MissingEntry), Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                return frozenset(notebook.name for notebook in gb.find_assignment(assignment_id).notebooks)
            return frozenset()
        return self.expected_notebooks

    def complete(self, dest: Path, assignment_id: str) -> bool:
        """Every submitted notebook of the assignment has an autograded notebook that parses as one."""
        names = {Path(path).stem for path in self.notebooks} & self.graded_names(assignment_id)
        return all(parses_as_notebook(dest / f"{name}.ipynb") for name in names)

    def sanitising_problem(self, notebook_filename: str) -> str | None:
        """Why nbgrader's sanitising pass fails on this notebook, tried in memory (it only reads the gradebook)."""
        logger = self.log if isinstance(self.log, logging.Logger) else getattr(self.log, "logger", None)
        disabled = logger.disabled if logger else False
        try:
            if logger:
                logger.disabled = True  # its warnings come again in the real pass
            self._sanitizing = True
            self._init_preprocessors()
            self.exporter.from_filename(notebook_filename, resources=self.init_single_notebook_resources(
                notebook_filename))
        except Exception as err:
            return describe(err)
        finally:
            if logger:
                logger.disabled = disabled
        return None

    def newer(self, dest: Path, assignment_id: str, student_id: str) -> bool:
        """Whether the submission is newer than the one graded in dest (nbgrader then grades it anew)."""
        new = self.coursedir.get_existing_timestamp(self._format_source(assignment_id, student_id))
        old = self.coursedir.get_existing_timestamp(str(dest))
        return new is not None and old is not None and new > old

    def convert_notebooks(self) -> None:
        try:
            super().convert_notebooks()
        finally:  # finished: graded, or failed and removed by nbgrader; only a killed run leaves a mark
            for marker in self._markers:
                with contextlib.suppress(OSError):
                    marker.unlink()
            self._markers.clear()

    def convert_single_notebook(self, notebook_filename: str) -> None:
        before = os.environ.get("NBGRADER_EXECUTION")
        try:
            if (type(self.exporter).from_notebook_node is NotebookExporter.from_notebook_node
                    and type(self.exporter)._preprocess is Exporter._preprocess):
                self._both_passes(notebook_filename)
            else:  # an exporter configured in its place: nbgrader's own way
                super().convert_single_notebook(notebook_filename)
        except Exception as err:
            self.failures.append((notebook_filename, notebook_problem(notebook_filename) or describe(err)))
            raise
        finally:
            # nbgrader sets NBGRADER_EXECUTION=autograde with utils.setenv, which does not restore it when the
            # notebook raises: every later kernel of this process would then behave as at autograde.
            if before is None:
                os.environ.pop("NBGRADER_EXECUTION", None)
            else:
                os.environ["NBGRADER_EXECUTION"] = before

    def _both_passes(self, notebook_filename: str) -> None:
        """nbgrader's Autograde.convert_single_notebook, with the sanitised notebook handed over in memory.

        nbgrader writes the sanitised notebook to autograded/ and reads it back for the grading pass: a serialising,
        a parse, two validations and a copy for a notebook it has just validated. Here the grading pass gets the
        sanitising pass's own copy, as nbformat would read it back (``_as_read_back``), with the resources nbgrader
        makes for the autograded file (its folder is where a kernel runs and answers.json is read). Each pass works on
        a notebook made for it (``_preprocessed``).
        """
        self.log.info("Sanitizing %s", notebook_filename)
        self._sanitizing = True
        self._init_preprocessors()
        resources = self.init_single_notebook_resources(notebook_filename)
        nb, resources = _exported_node(self.exporter, notebook_filename, resources)
        graded_filename = os.path.join(
            self._format_dest(resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]),
            os.path.basename(notebook_filename))
        self.log.info("Autograding %s", graded_filename)
        self._sanitizing = False
        self._init_preprocessors()
        try:
            os.environ["NBGRADER_EXECUTION"] = "autograde"  # restored by convert_single_notebook, as nbgrader sets it
            resources = self.init_single_notebook_resources(graded_filename)
            resources["metadata"] = _file_metadata(graded_filename, modified=dt.datetime.now(dt.UTC))
            graded, resources = _preprocessed(self.exporter, _as_read_back(nb), resources)
            # What NotebookExporter.from_notebook_node adds to its parent's: the text, and the suffix it names.
            output = nbformat.writes(graded, version=self.exporter.nbformat_version)
            if not output.endswith("\n"):
                output += "\n"
            resources["output_suffix"] = (".nbconvert" if self.exporter.nbformat_version == graded.nbformat
                                          else f".v{self.exporter.nbformat_version}")
            self.write_single_notebook(output, resources)
        finally:
            self._sanitizing = True


def _exported_node(exporter: Exporter, filename: str, resources: dict[str, Any]) -> tuple[NotebookNode,
                                                                                            dict[str, Any]]:
    """What exporter.from_filename does, up to the preprocessed notebook (not yet serialised)."""
    resources["metadata"] = _file_metadata(filename)
    with open(filename, encoding="utf-8") as stream:
        nb = nbformat.read(stream, as_version=4)
    return _preprocessed(exporter, nb, resources)


def _preprocessed(exporter: Exporter, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode,
                                                                                           dict[str, Any]]:
    """nbconvert's Exporter.from_notebook_node for a notebook nobody else holds (read for the pass, or handed over).

    nbconvert deep-copies the notebook twice before its preprocessors run (from_notebook_node, then _preprocess,
    "never safe enough"), to keep the caller's notebook as it was; then validation's normalising copies it once
    more. Both passes give it a notebook made for the pass alone, so here only the normalising copy is made. The
    rest is nbconvert's, step for step (tests/instructor/test_autograde_passes.py compares the two).
    """
    resources = exporter._init_resources(resources)
    if "language" in nb["metadata"]:
        resources["language"] = nb["metadata"]["language"].lower()
    resources = copy.deepcopy(resources)
    _, nbc = nbformat.validator.normalize(nb)
    preprocessor = None
    for preprocessor in exporter._preprocessors:
        nbc, resources = preprocessor(nbc, resources)
        if not exporter.optimistic_validation:
            exporter._validate_preprocessor(nbc, preprocessor)
    if exporter.optimistic_validation:
        exporter._validate_preprocessor(nbc, preprocessor)
    metadata = resources.get("metadata", {}) if resources is not None else {}
    exporter._nb_metadata[os.path.join(metadata.get("path", ""), metadata.get("name", ""))] = nbc.metadata
    return nbc, resources


def _file_metadata(filename: str, modified: dt.datetime | None = None) -> ResourcesDict:
    """The resources["metadata"] nbconvert's from_filename makes: the notebook's name, folder and date."""
    path, basename = os.path.split(filename)
    when = modified or dt.datetime.fromtimestamp(os.path.getmtime(filename), tz=dt.UTC)
    return ResourcesDict(name=os.path.splitext(basename)[0], path=path,
                         modified_date=when.strftime("%B %d, %Y" if sys.platform == "win32" else "%B %-d, %Y"))


def _as_read_back(nb: NotebookNode) -> NotebookNode:
    """The notebook as nbformat.reads(nbformat.writes(nb)) returns it, without the text in between: every dict a
    NotebookNode, multi-line text joined, nbformat's transient keys dropped. It has just been validated."""
    return rwbase.strip_transient(rwbase.rejoin_lines(nbformat.from_dict(nb)))


def _commit_saved_grades(nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
    """The grading pass's last step in empathy-ce grade: commit the grades before nbconvert validates, serialises
    and writes the notebook, so that other workers wait for the write lock that much less."""
    transactions.commit_so_far()
    return nb, resources


def in_progress_marker(dest: str | Path) -> Path:
    """The hidden file beside an autograded folder that says its grading has started and not yet finished."""
    dest = Path(dest)
    return dest.parent / f".{dest.name}.grading"
