"""Collect: learners' submissions from nbgrader's exchange into submitted/, one learner at a time.

nbgrader's own ``collect`` (the configured exchange's Collect class, with ``--update`` so that a newer
submission replaces an older one and an unchanged one is left alone: safe to re-run), except that copying one
learner's files is isolated: a learner whose submission cannot be copied is reported, their partial copy
removed, and everyone else is collected.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from . import configuration


@dataclass
class CollectResult:
    module: str
    ok: bool
    collected: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (learner, message)
    message: str = ""


def _isolated(cls: type) -> type:
    """The exchange's Collect class with each learner's copy made failure-safe."""

    def do_copy(self: Any, src: str, dest: str, log: Any = None) -> None:
        learner = Path(dest).parent.name
        try:
            cls.do_copy(self, src, dest, log)
            self.collected.append(learner)
        except Exception as err:  # one learner's unreadable file must not stop the collection
            shutil.rmtree(dest, ignore_errors=True)
            self.failures.append((learner, f"{type(err).__name__}: {err}"))
            self.log.error("Could not collect %s's submission from %s: %s", learner, src, err)

    return type(f"Isolated{cls.__name__}", (cls,), {"do_copy": do_copy})


def collect(root: Path, modules: list[str], config: Config | None = None) -> list[CollectResult]:
    from nbgrader.auth import Authenticator
    from nbgrader.exchange import ExchangeFactory

    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    results = []
    for module in modules:
        with temp_attrs(coursedir, assignment_id=module):
            cls = _isolated(ExchangeFactory(config=config).collect)
            collector = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
            collector.update = True
            collector.collected, collector.failures = [], []
            outcome = capture_log(collector)
        results.append(CollectResult(module, bool(outcome["success"]), sorted(collector.collected),
                                     collector.failures, "" if outcome["success"] else last_error(outcome)))
    return results


def last_error(outcome: dict[str, Any]) -> str:
    """The most telling line of a failed nbgrader step captured with capture_log."""
    logged = [x for x in str(outcome.get("log", "")).splitlines() if x.startswith(("[ERROR]", "[CRITICAL]"))]
    if logged:
        return logged[-1]
    lines = [x for x in str(outcome.get("error", "")).strip().splitlines() if x.strip()]
    return lines[-1] if lines else "failed"
