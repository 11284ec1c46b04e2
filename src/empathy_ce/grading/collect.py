"""Collect: learners' submissions from nbgrader's exchange into submitted/, one learner at a time.

``IsolatedCollect`` is nbgrader's own file-system collect (``ExchangeCollect``), configured as
``c.ExchangeFactory.collect`` by ``config.configure``, so ``nbgrader collect``, formgrader and ``empathy-ce
collect`` all use it. ``empathy-ce collect`` runs it with ``--update`` (a newer submission replaces an older
one and an unchanged one is left alone: safe to re-run). It differs from nbgrader's in that:

- copying one learner's files is isolated: a learner whose submission cannot be copied is reported, their
  partial copy removed, and everyone else is collected;
- a learner with several submissions of a module in the exchange (nbgrader keeps every one in its inbound
  folder, ``<student>+<assignment>+<timestamp>+<random>``) is named with the one nbgrader chose: the newest,
  or with ``before_duedate`` the last one before the due date;
- an inbound entry whose name holds no readable submission time is reported for its learner and left out,
  where nbgrader's collect would fail for the whole module.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect

UNREADABLE = dt.datetime.min  # sorts an entry without a readable time after every real one


@dataclass(frozen=True)
class Choice:
    """Which of a learner's several submissions in the exchange nbgrader collects."""

    learner: str
    submissions: int
    chosen: dt.datetime  # nbgrader's submission time, UTC
    newest: bool  # False only when before_duedate chose an earlier one


class IsolatedCollect(ExchangeCollect):
    """nbgrader's ExchangeCollect with each learner's copy made failure-safe and its choices recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collected: list[str] = []
        self.failures: list[tuple[str, str]] = []  # (learner, message)
        self.choices: list[Choice] = []
        self.records: list[dict[str, Any]] = []

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        learner = Path(dest).parent.name
        try:
            super().do_copy(src, dest, log)
            self.collected.append(learner)
        except Exception as err:  # one learner's unreadable file must not stop the collection
            shutil.rmtree(dest, ignore_errors=True)
            self.failures.append((learner, f"{type(err).__name__}: {err}"))
            self.log.error("Could not collect %s's submission from %s: %s", learner, src, err)

    def _path_to_record(self, path: str) -> dict[str, Any]:
        try:
            record = super()._path_to_record(path)
        except Exception as err:  # nbgrader's own collect stops for the whole module here
            name = Path(path).name
            learner = name.rsplit("+", 3)[0]
            self.failures.append((learner, f"exchange entry {name} has no readable submission time in its name "
                                           f"({err}): not collected"))
            self.log.error("Not collecting %s's exchange entry %s: no readable submission time", learner, name)
            record = {"username": learner, "filename": name, "timestamp": UNREADABLE}
        self.records.append(record)
        return record

    def init_src(self) -> None:
        super().init_src()
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
