"""`empathy-ce collect`: nbgrader's collect (``grading.collect.IsolatedCollect``) for each module, reported per
learner, and ``strays``: per learner, inbound submissions for assignments the course does not have."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from ..grading.collect import Choice, IsolatedCollect
from . import configuration


@dataclass
class CollectResult:
    module: str
    ok: bool
    collected: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (learner, message)
    message: str = ""
    choices: list[Choice] = field(default_factory=list)  # learners with more than one submission


@dataclass(frozen=True)
class Stray:
    """Submissions in the exchange inbound from one learner for an assignment that the course does not have."""

    learner: str
    assignment: str
    entries: tuple[str, ...]


def collect(root: Path, modules: list[str], config: Config | None = None) -> list[CollectResult]:
    """nbgrader collect --update for each module, reported per learner."""
    from nbgrader.auth import Authenticator
    from nbgrader.exchange import ExchangeFactory

    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    cls = ExchangeFactory(config=config).collect
    if not issubclass(cls, IsolatedCollect):
        raise configuration.SetupError(f"nbgrader_config.py sets c.ExchangeFactory.collect to {cls.__name__}; "
                                       f"empathy-ce collect needs {IsolatedCollect.__module__}.IsolatedCollect "
                                       "(set by empathy_ce.grading.config.configure) or a subclass")
    results = []
    for module in modules:
        with temp_attrs(coursedir, assignment_id=module):
            collector = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
            collector.update = True
            outcome = capture_log(collector)
        results.append(CollectResult(module, bool(outcome["success"]), sorted(collector.collected),
                                     collector.failures, "" if outcome["success"] else last_error(outcome),
                                     sorted(collector.choices, key=lambda c: c.learner)))
    return results


def strays(root: Path, known: list[str], config: Config | None = None) -> list[Stray]:
    """Submissions in nbgrader's exchange inbound for assignments not in known, grouped by learner and assignment.

    Only for nbgrader's own file-system exchange, whose inbound entries are named
    ``<student>+<assignment>+<timestamp>[+<random>]``; another exchange keeps them its own way and gives none.
    """
    from nbgrader.auth import Authenticator
    from nbgrader.exchange import ExchangeFactory

    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    cls = ExchangeFactory(config=config).collect
    if not issubclass(cls, ExchangeCollect):  # another exchange keeps its inbound its own way
        return []
    exchange = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    inbound = Path(exchange.root) / coursedir.course_id / "inbound"
    found: dict[tuple[str, str], list[str]] = {}
    for entry in sorted(inbound.iterdir()) if inbound.is_dir() else []:
        parts = entry.name.rsplit("+", 3)  # as nbgrader's ExchangeCollect splits them
        if entry.name.startswith(".") or len(parts) < 3 or parts[1] in known:
            continue
        found.setdefault((parts[0], parts[1]), []).append(entry.name)
    return [Stray(learner, assignment, tuple(entries)) for (learner, assignment), entries in sorted(found.items())]


def last_error(outcome: dict[str, Any]) -> str:
    """The most telling line of a failed nbgrader step captured with capture_log."""
    logged = [x for x in str(outcome.get("log", "")).splitlines() if x.startswith(("[ERROR]", "[CRITICAL]"))]
    if logged:
        return logged[-1]
    lines = [x for x in str(outcome.get("error", "")).strip().splitlines() if x.strip()]
    return lines[-1] if lines else "failed"
