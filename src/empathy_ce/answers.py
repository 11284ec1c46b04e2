"""The learner's answer files: post-test answers in a visible answers.json beside the notebook (submitted with
the assignment); practice answers (reflections, self-checks) in the learner's own data folder, outside the
assignment folder, so that nbgrader's submit never picks them up.

Every file is read by one safe reader (``read``: no links, folders or oversized files) and every change is
written by one atomic writer (``write``: part file, fsync, rename, with boltons' AtomicSaver) under a lock, so the
file is always either the old or the new complete state. Answers are keyed by stable item ids and option keys, never by
labels, and the file carries a format name and version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

from filelock import FileLock

from .items import TEXT_LIMIT

FILENAME = "answers.json"
# Where practice answers live: a per-learner folder outside every assignment (override for tests or shared homes).
PRACTICE_ENV = "EMPATHY_CE_PRACTICE_DIR"
FORMAT = "empathy-ce/answers"
VERSION = 1
MAX_BYTES = 2_000_000


class AnswerFileError(ValueError):
    """The answer file cannot be read as an answer file."""


def practice_folder(folder: str | os.PathLike[str]) -> Path:
    """The private folder for the practice answers of one assignment folder (never inside it).

    Keyed by the assignment folder's name and full path, so two copies of a module keep separate answers.
    """
    from jupyter_core.paths import jupyter_data_dir

    folder = Path(folder).resolve()
    base = Path(os.environ.get(PRACTICE_ENV) or Path(jupyter_data_dir()) / "empathy-ce" / "practice")
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    return base / f"{folder.name}-{digest}"


def learner_hint(path: Path) -> str:
    """Name the learner when the path is inside an nbgrader student folder, for messages."""
    parts = path.parent.resolve().parts  # not the file itself: a link must not name the learner it points to
    for step in ("submitted", "autograded", "feedback"):
        if step in parts:
            i = parts.index(step)
            if i + 1 < len(parts):
                return f"learner '{parts[i + 1]}', "
    return ""


def empty() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "items": {}}


def parse(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse answer-file bytes, or raise AnswerFileError naming the learner and file."""
    where = f"{learner_hint(path)}file {path}"
    if len(raw) > MAX_BYTES:
        raise AnswerFileError(f"{where}: {len(raw)} bytes is larger than the {MAX_BYTES}-byte limit")
    if not raw.strip():
        raise AnswerFileError(f"{where}: the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as err:
        raise AnswerFileError(f"{where}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise AnswerFileError(f"{where}: not an answer file (format should be {FORMAT!r})")
    if data.get("version") != VERSION:
        raise AnswerFileError(f"{where}: unsupported version {data.get('version')!r}")
    items = data.get("items")
    if not isinstance(items, dict) or not all(isinstance(v, dict) and "value" in v for v in items.values()):
        raise AnswerFileError(f"{where}: 'items' must map item ids to {{'value': ...}} records")
    return data


def read_limited(path: Path) -> bytes | None:
    """The file's bytes, or None when it is missing; a link, folder, device or oversized file is refused."""
    where = f"{learner_hint(path)}file {path}"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as err:
        reason = "a link to another file" if path.is_symlink() else f"unreadable ({err.strerror})"
        raise AnswerFileError(f"{where}: {reason}, not an answer file") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise AnswerFileError(f"{where}: not a regular file")
    with os.fdopen(fd, "rb") as file:
        if info.st_size > MAX_BYTES:
            raise AnswerFileError(f"{where}: {info.st_size} bytes is larger than the {MAX_BYTES}-byte limit")
        return file.read(MAX_BYTES + 1)


def read(path: Path) -> dict[str, Any] | None:
    """The one safe reader of an answer file: its parsed content, or None when there is none.

    Links, folders, devices and oversized files are refused (AnswerFileError), so that an answers.json linked to
    another learner's file is never read as this learner's answers.
    """
    raw = read_limited(path)
    return None if raw is None else parse(raw, path)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


class AnswerStore:
    """Reads and writes one folder's answers.json."""

    def __init__(self, folder: str | os.PathLike[str] = ".", create: bool = False) -> None:
        self.path = Path(folder).resolve() / FILENAME
        self.create = create  # make the folder on first save (the practice folder does not exist at first)
        digest = hashlib.sha256(str(self.path).encode()).hexdigest()[:16]
        # The lock lives outside the learner's folder so that nothing extra is submitted.
        self._lock = FileLock(Path(tempfile.gettempdir()) / f"empathy-ce-{digest}.lock", timeout=30)

    def load(self) -> dict[str, Any]:
        """The whole file, or an empty answer set when there is none; raises AnswerFileError when broken."""
        return read(self.path) or empty()

    def values(self) -> dict[str, Any]:
        return {item_id: record["value"] for item_id, record in self.load()["items"].items()}

    def save(self, item_id: str, value: Any, kind: str) -> None:
        """Record one answer; a broken file is kept aside under a new name, never overwritten."""
        self.save_many({item_id: {"value": value, "kind": kind}})

    def save_many(self, records: dict[str, dict[str, Any]]) -> None:
        """Record several answers ({id: {"value", "kind"[, "saved", "first"]}}) in one atomic write; each record keeps
        when the item was first answered ("first") and last saved ("saved")."""
        for item_id, record in records.items():
            if isinstance(record["value"], str) and len(record["value"]) > TEXT_LIMIT:
                # The same limit as items.check_value: a file never holds a text the grader would refuse.
                raise ValueError(f"the answer to {item_id} is {len(record['value'])} characters, "
                                 f"the limit is {TEXT_LIMIT}")
        if self.create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for stale in self.path.parent.glob(".answers-*.tmp"):  # left by a writer that was killed
                stale.unlink(missing_ok=True)
            try:
                data = self.load()
            except AnswerFileError:
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                os.replace(self.path, self.path.with_name(f"answers.broken-{stamp}.json"))
                data = empty()
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            for item_id, record in records.items():
                saved = record.get("saved") or now
                # When the item was first answered, kept across saves (time on task; timestamps only).
                before = data["items"].get(item_id, {})
                first = record.get("first") or (before.get("first") if isinstance(before, dict) else None) or saved
                data["items"][item_id] = {"value": record["value"], "kind": record["kind"], "saved": saved,
                                          "first": min(str(first), str(saved))}
            self._write(data)

    def take(self, item_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Remove these answers from the file and return their records (for moving them elsewhere).

        Nothing is written when none of them is present; a broken file raises AnswerFileError and is left as is.
        """
        with self._lock:
            data = self.load()
            taken = {i: data["items"].pop(i) for i in sorted(item_ids & data["items"].keys())}
            if taken:
                self._write(data)
            return taken

    def _write(self, data: dict[str, Any]) -> None:
        write(self.path, data)


def write(path: Path, data: dict[str, Any]) -> None:
    """The one writer of an answer file (call it holding the store's lock): the whole file or nothing.

    boltons' AtomicSaver writes a part file beside it, fsyncs it and renames it over the old file; the folder is
    then fsynced so that the rename itself survives a power cut. The file is readable by its owner only, as
    a learner's answers should be. A part file left by a writer that was killed is removed by the next save.
    """
    from boltons.fileutils import AtomicSaver

    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    part = f".answers-{secrets.token_hex(8)}.tmp"
    with AtomicSaver(str(path), text_mode=True, part_file=part, file_perms=0o600) as handle:
        handle.write(text)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
