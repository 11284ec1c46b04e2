"""Collect: learners' submissions from nbgrader's exchange into submitted/, one learner at a time.

nbgrader's own ``collect`` (the configured exchange's Collect class, with ``--update`` so that a newer
submission replaces an older one and an unchanged one is left alone: safe to re-run), except that:

- copying one learner's files is isolated: a learner whose submission cannot be copied is reported, their
  partial copy removed, and everyone else is collected;
- a learner with several submissions of a module in the exchange (nbgrader keeps every one in its inbound
  folder, ``<student>+<assignment>+<timestamp>+<random>``) is named with the one nbgrader chose: the newest,
  or with ``before_duedate`` the last one before the due date;
- an inbound entry whose name holds no readable submission time is reported for its learner and left out,
  where nbgrader's collect would fail for the whole module;
- ``strays`` lists, per learner, inbound submissions for assignments the course does not have.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from . import configuration

UNREADABLE = dt.datetime.min  # sorts an entry without a readable time after every real one


@dataclass(frozen=True)
class Choice:
    """Which of a learner's several submissions in the exchange nbgrader collects."""

    learner: str
    submissions: int
    chosen: dt.datetime  # nbgrader's submission time, UTC
    newest: bool  # False only when before_duedate chose an earlier one


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


def _isolated(cls: type) -> type:
    """The exchange's Collect class with each learner's copy made failure-safe and its choices recorded."""

    def do_copy(self: Any, src: str, dest: str, log: Any = None) -> None:
        learner = Path(dest).parent.name
        try:
            cls.do_copy(self, src, dest, log)
            self.collected.append(learner)
        except Exception as err:  # one learner's unreadable file must not stop the collection
            shutil.rmtree(dest, ignore_errors=True)
            self.failures.append((learner, f"{type(err).__name__}: {err}"))
            self.log.error("Could not collect %s's submission from %s: %s", learner, src, err)

    def _path_to_record(self: Any, path: str) -> dict[str, Any]:
        try:
            record = cls._path_to_record(self, path)
        except Exception as err:  # nbgrader's own collect stops for the whole module here
            name = Path(path).name
            learner = name.rsplit("+", 3)[0]
            self.failures.append((learner, f"exchange entry {name} has no readable submission time in its name "
                                           f"({err}): not collected"))
            record = {"username": learner, "filename": name, "timestamp": UNREADABLE}
        self.records.append(record)
        return record

    def init_src(self: Any) -> None:
        cls.init_src(self)
        if not hasattr(self, "src_records"):
            return
        records: dict[str, list[dict[str, Any]]] = {}
        for record in self.records:
            records.setdefault(record["username"], []).append(record)
        chosen = []
        for record in self.src_records:
            readable = [r for r in records.get(record["username"], []) if r["timestamp"] is not UNREADABLE]
            if record["timestamp"] is UNREADABLE and readable:  # only before_duedate can choose it: take the newest
                record = max(readable, key=lambda r: r["timestamp"])
            if record["timestamp"] is UNREADABLE:
                continue
            chosen.append(record)
            if len(readable) > 1:
                self.choices.append(Choice(record["username"], len(readable), record["timestamp"],
                                           record["timestamp"] == max(r["timestamp"] for r in readable)))
        self.src_records = chosen

    return type(f"Isolated{cls.__name__}", (cls,), {"do_copy": do_copy, "_path_to_record": _path_to_record,
                                                    "init_src": init_src})


def collect(root: Path, modules: list[str], config: Config | None = None) -> list[CollectResult]:
    """nbgrader collect --update for each module, reported per learner."""
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
            collector.collected, collector.failures, collector.choices, collector.records = [], [], [], []
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
    from nbgrader.exchange.default.collect import ExchangeCollect

    config = config or configuration.load(root)
    coursedir = configuration.coursedir(config)
    cls = ExchangeFactory(config=config).collect
    if not issubclass(cls, ExchangeCollect):
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
