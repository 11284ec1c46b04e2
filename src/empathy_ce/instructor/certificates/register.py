"""The instructor's register of issued certificates (certificates/register.json): the only place ids come from.

A certificate id is 80 random bits (`secrets`), written as 16 base-32 characters in four groups
(`K7QM-2XPA-...`): nobody can guess one or recompute it from a learner's details. The register keeps every id
ever issued, so re-running `empathy-ce certificates` reuses a learner's id (and so rewrites the same files, byte
for byte), and a revoked id stays revoked. Entries are never removed; revocation and supersession only add to
an entry. Every write goes to a temporary file that then replaces the register (one atomic rename), under a
file lock, so an interrupted or concurrent run never leaves a half-written or shortened register.

The register also holds the salt of the verification data published on the site (`publish.py`).
Drafts never enter the register: their id (`DRAFT-...`) is not a certificate id and no page confirms it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

FILENAME = "register.json"
VALID, REVOKED = "valid", "revoked"


class RegisterError(RuntimeError):
    """The register cannot be read or does not hold what was asked for."""


def canonical(certificate_id: str) -> str:
    """The id as compared and hashed: upper case, letters and digits only (spaces and dashes dropped)."""
    return re.sub(r"[^A-Z0-9]", "", certificate_id.upper())


def new_id() -> str:
    while True:
        text = base64.b32encode(secrets.token_bytes(10)).decode("ascii")  # 80 bits -> 16 characters
        if not text.startswith("DRAFT"):  # a draft's id must never look like a real one
            return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def draft_id(learner_id: str, completed: dt.date) -> str:
    """Stable per learner and date, visibly a draft, and never in the register or on the site."""
    return "DRAFT-" + hashlib.sha256(f"{learner_id}\n{completed}".encode()).hexdigest()[:8].upper()


@dataclass
class Entry:
    id: str
    learner_id: str
    name: str
    course_title: str
    completion_date: str
    contact_hours: float
    issued: str  # UTC, ISO 8601: the badge's validFrom
    status: str = VALID
    revoked: str | None = None  # UTC date
    reason: str | None = None
    license_number: str | None = None
    license_jurisdiction: str | None = None
    history: list[str] = field(default_factory=list)

    @property
    def completed(self) -> dt.date:
        return dt.date.fromisoformat(self.completion_date)


@dataclass
class Register:
    path: Path
    salt: str
    entries: list[Entry]

    def find(self, certificate_id: str) -> Entry | None:
        wanted = canonical(certificate_id)
        return next((e for e in self.entries if canonical(e.id) == wanted), None)

    def current(self, learner_id: str, course_title: str) -> Entry | None:
        """The learner's newest entry for this course (valid or revoked), if any."""
        found = [e for e in self.entries if e.learner_id == learner_id and e.course_title == course_title]
        return found[-1] if found else None

    def add(self, entry: Entry) -> Entry:
        taken = {canonical(e.id) for e in self.entries}
        while canonical(entry.id) in taken:
            entry.id = new_id()
        self.entries.append(entry)
        return entry

    def revoke(self, certificate_id: str, reason: str, *, today: dt.date | None = None) -> Entry:
        entry = self.find(certificate_id)
        if entry is None:
            raise RegisterError(f"certificate id {certificate_id!r} was never issued (not in {self.path}); "
                                "nothing revoked")
        if not reason.strip():
            raise RegisterError("give a reason for the revocation (--reason); nothing revoked")
        if entry.status == REVOKED:
            raise RegisterError(f"certificate {entry.id} was already revoked on {entry.revoked} ({entry.reason})")
        entry.status, entry.reason = REVOKED, reason.strip()
        entry.revoked = (today or dt.datetime.now(dt.UTC).date()).isoformat()
        entry.history.append(f"{entry.revoked}: revoked: {entry.reason}")
        return entry


def _entry(data: dict[str, Any], path: Path) -> Entry:
    try:
        return Entry(**data)
    except TypeError as err:
        raise RegisterError(f"{path}: an entry is not a certificate record ({err}); the register was left as it "
                            "is: restore it from a backup") from None


def load(folder: Path) -> Register:
    path = folder / FILENAME
    if not path.exists():
        return Register(path, secrets.token_hex(16), [])
    try:
        data = json.loads(path.read_text("utf-8"))
        return Register(path, str(data["salt"]), [_entry(e, path) for e in data["certificates"]])
    except (ValueError, KeyError, TypeError) as err:
        raise RegisterError(f"{path} is not a readable certificate register ({err}); nothing was issued and the "
                            "file was left as it is: restore it from a backup") from None


def save(register: Register) -> None:
    """Atomically replace the register file (write a temporary file beside it, flush it to disk, rename)."""
    register.path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "salt": register.salt, "certificates": [asdict(e) for e in register.entries]},
                      indent=2, ensure_ascii=False) + "\n"
    write_atomic(register.path, text)


def write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def locked(folder: Path) -> Iterator[Register]:
    """The register, loaded under a lock; saved when the block ends without an error."""
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / f".{FILENAME}.lock")):
        register = load(folder)
        yield register
        save(register)
