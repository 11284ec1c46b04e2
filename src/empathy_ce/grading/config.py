"""nbgrader configuration for the course: our preprocessors in nbgrader's pipelines, and a typo guard."""

from __future__ import annotations

import difflib
import fnmatch
import os
from pathlib import Path
from typing import Any

from nbconvert.exporters import Exporter
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.auth import NoAuthPlugin
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import CheckCellMetadata, ClearSolutions, Execute, OverwriteCells, SaveAutoGrades
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

from ..answers import FILENAME
from . import preprocessors as pp
from .engines import share_engines
from .execute import KernelFreeCheckCellMetadata, KernelFreeExecute
from .item_feedback import ItemFeedback
from .sandbox import LimitedKernelManager
from .save_grades import OneCommitSaveAutoGrades

OURS = (pp.RefuseAnswerFiles, pp.StripWidgetState, pp.KeepItemCells, pp.RestoreCells, pp.MirrorSubmission,
        pp.RemoveAddedCells, pp.ScreenLearnerCode, pp.FlagWrittenAnswers, ItemFeedback, KernelFreeExecute,
        KernelFreeCheckCellMetadata, OneCommitSaveAutoGrades)
# nbgrader's autograde steps replaced by ours: kernel-free execution and the metadata check that a notebook graded
# without a kernel does not need twice (execute.py), and grades saved in one commit per notebook (save_grades.py).
AUTOGRADE = {Execute: KernelFreeExecute, CheckCellMetadata: KernelFreeCheckCellMetadata,
             SaveAutoGrades: OneCommitSaveAutoGrades}


class ConfigTypoError(ValueError):
    """A mistake in nbgrader_config.py that nbgrader would only log, or not notice at all."""


class CheckedConfigAuthPlugin(NoAuthPlugin):
    """nbgrader's default authentication plugin, which also checks the fully loaded configuration.

    nbgrader creates its Authenticator in every command and in the formgrader once every config file
    has been read, so a misspelt option anywhere in nbgrader_config.py stops the command here.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        command_line = self.parent is not None and self.parent.parent is not None
        root = Path(self.config.get("CourseDirectory", {}).get("root") or Path.cwd())
        try:
            check_file(root / "nbgrader_config.py")
        except ConfigTypoError as err:
            if command_line:
                raise SystemExit(f"error: {err}") from None
            raise


def _default(cls: type[Configurable], name: str) -> list[Any]:
    return list(cls.class_traits()[name].default())


def configure(c: Config, root: str | Path) -> None:
    """Put the widget-exercise preprocessors into nbgrader's release and autograde pipelines."""
    release = [pp.KeepItemCells if p is ClearSolutions else p for p in _default(GenerateAssignment, "preprocessors")]
    c.GenerateAssignment.preprocessors = [pp.RefuseAnswerFiles, pp.StripWidgetState, *release]
    # nbgrader's OverwriteCells becomes RestoreCells, followed by the course's own sanitising steps.
    ours = [pp.RestoreCells, pp.MirrorSubmission, pp.RemoveAddedCells, pp.ScreenLearnerCode]
    c.Autograde.sanitize_preprocessors = [AUTOGRADE.get(q, q) for p in _default(Autograde, "sanitize_preprocessors")
                                          for q in (ours if p is OverwriteCells else [p])]
    grade = [AUTOGRADE.get(p, p) for p in _default(Autograde, "autograde_preprocessors")]
    i = grade.index(OneCommitSaveAutoGrades)
    c.Autograde.autograde_preprocessors = [*grade[:i], pp.FlagWrittenAnswers, *grade[i:]]
    # Feedback: right or not and why under each post-test item, and what to review for a module not passed.
    c.GenerateFeedback.preprocessors = [*_default(GenerateFeedback, "preprocessors"), ItemFeedback]
    # Learner kernels: CPU, memory and file-size limits, no planted modules, and at autograde a sandbox (sandbox.py).
    c.Execute.kernel_manager_class = LimitedKernelManager
    # nbconvert validates the notebook after every preprocessor; once, after the last, is enough: an invalid
    # submission still fails before a grade is written (nbgrader's sanitising pass, which saves no grade, ends
    # with that validation).
    c.Exporter.optimistic_validation = True
    c.Authenticator.plugin_class = CheckedConfigAuthPlugin
    # nbgrader's Gradebooks (about ten per submission at autograde) share one engine per database (engines.py).
    # EMPATHY_CE_SHARED_ENGINES=0 turns it off (the benchmark's baseline).
    if os.environ.get("EMPATHY_CE_SHARED_ENGINES", "1") != "0":
        share_engines()
    # Collect one learner at a time: a learner's unreadable submission is reported, the others collected.
    c.ExchangeFactory.collect = "empathy_ce.grading.collect.IsolatedCollect"
    # Restore deleted test cells, and never replace a learner's answer file by a source copy.
    c.OverwriteCells.add_missing_cells = True
    source = Path(root) / c.CourseDirectory.get("source_directory", "source")
    assignments = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    c.Autograde.exclude_overwriting = {a: [FILENAME] for a in assignments}


def known_options() -> dict[str, set[str]]:
    """Configurable class name -> its option names (several nbgrader classes share a name)."""
    from nbgrader.apps import NbGraderApp
    from nbgrader.exchange import default as exchange

    # The default exchange classes are loaded at run time, so nbgrader's class list omits them.
    exchange_classes = [v for v in vars(exchange).values() if isinstance(v, type) and issubclass(v, Configurable)]
    known: dict[str, set[str]] = {}
    from .collect import IsolatedCollect

    for cls in [NbGraderApp, ClearMetadataPreprocessor, Exporter, *NbGraderApp().all_configurable_classes(),
                *exchange_classes, *OURS, LimitedKernelManager, IsolatedCollect]:
        known.setdefault(cls.__name__, set()).update(cls.class_traits(config=True))
    return known


def check_file(path: Path) -> None:
    """Load a config file as nbgrader would, but let every error out, then check its names."""
    if not path.exists():
        return
    try:
        config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as err:
        raise ConfigTypoError(f"{path}: {type(err).__name__}: {err}") from err
    check(config, str(path))


def check(c: Config, filename: str = "nbgrader_config.py") -> None:
    """Stop with a clear message on names nbgrader does not know and on settings that lose answers."""
    known = known_options()
    problems = []
    for section, values in c.items():
        if not isinstance(values, Config):
            continue
        traits = known.get(section)
        if traits is None:
            hint = difflib.get_close_matches(section, known, n=1)
            problems.append(f"unknown section c.{section}" + (f" (did you mean c.{hint[0]}?)" if hint else ""))
            continue
        for name in values:
            if name not in traits:
                hint = difflib.get_close_matches(name, traits, n=1)
                suggestion = f" (did you mean {hint[0]}?)" if hint else ""
                problems.append(f"c.{section}.{name} is not an option{suggestion}")
    course = c.get("CourseDirectory", {})
    dropped = [p for p in course.get("ignore", []) if fnmatch.fnmatch(FILENAME, p)]
    if dropped or not any(fnmatch.fnmatch(FILENAME, p) for p in course.get("include", ["*"])):
        problems.append(f"CourseDirectory.ignore/include would leave out {FILENAME} ({dropped or 'not included'}), "
                        "silently dropping learners' answers from every submission")
    if problems:
        raise ConfigTypoError(f"{filename}: " + "; ".join(problems) + ". nbgrader would not stop for these.")
