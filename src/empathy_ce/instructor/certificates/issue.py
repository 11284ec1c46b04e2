"""Issue, re-issue and revoke certificates: PDFs, signed badges, the register and the site's verification data.

Who is eligible is `analysis`'s status, as the report shows it (today: passed every module's post-test).
For each eligible learner with a completion date, the learner's register entry for this course is reused while
the completion date and hours are unchanged (same id, same files byte for byte); otherwise the old entry is
marked superseded (revoked, with the new id as reason) and a new id is drawn. A learner whose certificate was
revoked by hand is not re-issued one for the same completion. A learner no longer eligible (after a regrade) has
the PDF and badge removed and the entry revoked; one whose newer submission awaits grading (pending, or needing
attention) keeps the certificate on record untouched until the grade is final. Nothing is written until every
check has passed (provider details, key).

Attestation records (from the learner's attestation, built elsewhere) are optional: a mapping of learner id to
an `Attestation` dict; `license_number` and `license_jurisdiction` are printed when given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from .. import analysis
from ..results import Learner, Results
from ..tables import write_csv
from . import badge, publish
from . import register as reg
from .pdf import Fields, render
from .provider import placeholders, site_url

SUPERSEDED = "superseded by"
NO_LONGER_ELIGIBLE = "no longer eligible"
AUTOMATIC = (SUPERSEDED, NO_LONGER_ELIGIBLE)  # revocations this code makes; any other reason was the instructor's
# A newer submission not graded yet, or one needing attention: the certificate on record is left as it is
# (not revoked, not re-issued) until the grade is final.
WAITING = (analysis.PENDING, analysis.NEEDS_ATTENTION)


class Attestation(TypedDict, total=False):
    """What a learner's attestation contributes to the certificate (every key optional)."""

    license_number: str
    license_jurisdiction: str


class CertificateError(RuntimeError):
    """Certificates cannot be issued as the course is configured."""


@dataclass
class Certificate:
    learner: Learner
    path: Path
    certificate_id: str
    completed: dt.date
    badge: Path | None = None


@dataclass
class Outcome:
    issued: list[Certificate]
    removed: list[Path]
    undated: list[Learner]
    revoked: list[reg.Entry]  # revoked by this run (no longer eligible, or superseded)
    held: list[reg.Entry]  # eligible, but their certificate was revoked by hand: not re-issued
    published: list[Path]


def filename(learner_id: str, suffix: str = ".pdf") -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", learner_id) + suffix


def verify_address(provider: dict, certificate_id: str) -> str:
    return f"{site_url(provider)}{badge.VERIFY_PAGE}?id={certificate_id}"


def _blocked(results: Results, draft: bool) -> None:
    missing = placeholders(results.course.provider)
    if missing and not draft:
        raise CertificateError(
            f"course/course.yml still has placeholder provider details ({', '.join(missing)}): set the provider's "
            "name, CE approval statement, number and credit type, the signer's name and role, the published "
            "site's address (verification_url), authors, reviewers, review dates and policies before issuing "
            "certificates, or use --draft for watermarked drafts; no certificate was issued")


def _fields(results: Results, learner: Learner, cert_id: str, completed: dt.date, attestation: Attestation,
            verify_url: str | None) -> Fields:
    course = results.course
    return Fields(name=learner.name, course_title=course.title, completed=completed, hours=course.contact_hours,
                  delivery=course.delivery, level=str(course.raw.get("level", "")), provider=course.provider,
                  cert_id=cert_id, verify_url=verify_url,
                  license_number=(attestation.get("license_number") or "").strip() or None,
                  license_jurisdiction=(attestation.get("license_jurisdiction") or "").strip() or None)


def _remove_stale(results: Results, folder: Path, keep: set[str], undated: list[Learner]) -> list[Path]:
    removed = []
    for learner in results.learners:
        if learner in undated:
            continue
        for suffix in (".pdf", ".badge.jwt"):
            stale = folder / filename(learner.id, suffix)
            if stale.name not in keep and stale.exists():
                stale.unlink()
                removed.append(stale)
    return removed


def _index(folder: Path, issued: list[Certificate], hours: float, draft: bool) -> None:
    write_csv(folder / "index.csv",
              ["learner_id", "name", "email", "completion_date", "contact_hours", "certificate_id", "file", "draft",
               "badge"],
              ([c.learner.id, c.learner.name, c.learner.email or "", c.completed.isoformat(), f"{hours:g}",
                c.certificate_id, c.path.name, "yes" if draft else "no", c.badge.name if c.badge else ""]
               for c in issued))


def drafts(results: Results, folder: Path, attestations: Mapping[str, Attestation]) -> Outcome:
    """Watermarked drafts with DRAFT- ids: allowed with placeholders, never registered, signed or published."""
    folder.mkdir(parents=True, exist_ok=True)
    issued, undated = [], []
    for learner in results.learners:
        if learner.status != analysis.ELIGIBLE:
            continue
        if learner.completion_date is None:
            undated.append(learner)
            continue
        cert_id = reg.draft_id(learner.id, learner.completion_date)
        path = folder / filename(learner.id)
        render(path, _fields(results, learner, cert_id, learner.completion_date, attestations.get(learner.id, {}),
                             None), draft=True)
        issued.append(Certificate(learner, path, cert_id, learner.completion_date))
    removed = _remove_stale(results, folder, {c.path.name for c in issued}, undated)
    _index(folder, issued, results.course.contact_hours, draft=True)
    return Outcome(issued, removed, undated, [], [], [])


def issue(results: Results, folder: Path, *, draft: bool = False,
          attestations: Mapping[str, Attestation] | None = None, key_file: Path | None = None) -> Outcome:
    """Certificates (PDF and signed badge) for every eligible learner; see the module's docstring."""
    attestations = attestations or {}
    _blocked(results, draft)
    if draft:
        return drafts(results, folder, attestations)
    course = results.course
    try:
        key = badge.load_key(key_file or badge.key_path(course.root, course.provider))
    except badge.SigningKeyError as err:
        raise CertificateError(str(err)) from None
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    issued, undated, revoked, held = [], [], [], []
    planned: list[tuple[Learner, reg.Entry, dt.date, Attestation]] = []
    kept: set[str] = set()  # files of certificates left as they are while a newer grade is awaited
    with reg.locked(folder) as register:
        for learner in results.learners:
            entry = register.current(learner.id, course.title)
            if learner.status in WAITING and entry and entry.status == reg.VALID:
                kept |= {filename(learner.id), filename(learner.id, ".badge.jwt")}
                continue
            if learner.status != analysis.ELIGIBLE:
                if entry and entry.status == reg.VALID:
                    revoked.append(register.revoke(entry.id, f"{NO_LONGER_ELIGIBLE} (status: {learner.status})"))
                continue
            completed = learner.completion_date
            if completed is None:
                undated.append(learner)
                continue
            if entry and entry.status == reg.REVOKED and not (entry.reason or "").startswith(AUTOMATIC) \
                    and entry.completion_date == completed.isoformat():
                held.append(entry)
                continue
            same = entry is not None and entry.status == reg.VALID and entry.completion_date == completed.isoformat() \
                and entry.contact_hours == course.contact_hours
            if not same:
                new = reg.Entry(id=reg.new_id(), learner_id=learner.id, name=learner.name, course_title=course.title,
                                completion_date=completed.isoformat(), contact_hours=course.contact_hours, issued=now)
                if entry is not None and entry.status == reg.VALID:
                    register.add(new)
                    revoked.append(register.revoke(entry.id, f"{SUPERSEDED} {new.id} (completion date or hours "
                                                             "changed)"))
                else:
                    register.add(new)
                entry = new
            attestation = attestations.get(learner.id, {})
            entry.name = learner.name
            entry.license_number = attestation.get("license_number") or entry.license_number
            entry.license_jurisdiction = attestation.get("license_jurisdiction") or entry.license_jurisdiction
            planned.append((learner, entry, completed, attestation))
        reg.save(register)  # every id is on record before any file carries it
        for learner, entry, completed, _ in planned:
            url = verify_address(course.provider, entry.id)
            path = folder / filename(learner.id)
            recorded = Attestation(license_number=entry.license_number or "",
                                   license_jurisdiction=entry.license_jurisdiction or "")
            render(path, _fields(results, learner, entry.id, completed, recorded, url), draft=False)
            credential = badge.credential(certificate_id=entry.id, name=learner.name, course=course,
                                          completed=completed, issued=entry.issued,
                                          license_number=entry.license_number)
            badge_path = folder / filename(learner.id, ".badge.jwt")
            reg.write_atomic(badge_path, badge.sign(credential, key) + "\n")
            issued.append(Certificate(learner, path, entry.id, completed, badge_path))
        keep = kept | {c.path.name for c in issued} | {c.badge.name for c in issued if c.badge}
        removed = _remove_stale(results, folder, keep, undated)
        _index(folder, issued, course.contact_hours, draft=False)
        published = publish.write(course.root, register, badge.public_jwk(key))
    return Outcome(issued, removed, undated, revoked, held, published)


def revoke(root: Path, folder: Path, certificate_id: str, reason: str) -> tuple[reg.Entry, list[Path]]:
    """Revoke one issued certificate and republish the verification data; raises RegisterError if unknown."""
    with reg.locked(folder) as register:
        entry = register.revoke(certificate_id, reason)
        published = publish.write(root, register, None)
    return entry, published


def issued_ids(folder: Path) -> dict[str, str]:
    """Learner id -> their valid certificate's id (for the LMS export)."""
    register = reg.load(folder)
    return {e.learner_id: e.id for e in register.entries if e.status == reg.VALID}
