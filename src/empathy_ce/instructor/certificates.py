"""Certificates of completion (PDF) for learners who passed every module's post-test.

Each certificate shows the learner's name (nbgrader's first and last name, else the learner id), the course
title, the completion date (the day the last post-test was submitted), the course's total contact hours, the
delivery format and the provider's approval statement and number from course/course.yml. While the provider
details are still placeholders no certificate is issued, except watermarked drafts (--draft).

Re-running rewrites the same files byte for byte, and removes the certificate of a learner who is no longer
eligible (after a regrade, say); certificates/index.csv lists what was issued.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from . import analysis
from .results import Learner, Results

PLACEHOLDER_HINTS = ("before issuing certificates", "placeholder", "todo", "tbd", "xxx", "lorem ipsum")
# Every provider-supplied detail in course.yml, printed on the certificate or on the home page's front matter; a
# certificate is only as good as the details an accreditor checks, so any one still a placeholder blocks it.
PROVIDER_FIELDS = ("name", "approval_statement", "approval_number", "authors", "reviewers", "conflicts_of_interest",
                   "commercial_support", "original_release", "last_review", "next_review", "posttest_attempts",
                   "record_retention", "refund_policy", "grievance_policy", "accommodation", "contact")


class CertificateError(RuntimeError):
    """Certificates cannot be issued as the course is configured."""


def placeholders(provider: dict[str, str]) -> list[str]:
    """The provider fields in course.yml that are empty or still read like placeholder text."""
    return [f"provider.{name}" for name in PROVIDER_FIELDS
            if not str(provider.get(name) or "").strip()
            or any(hint in str(provider[name]).lower() for hint in PLACEHOLDER_HINTS)]


@dataclass
class Certificate:
    learner: Learner
    path: Path
    certificate_id: str
    completed: dt.date


def certificate_id(course_title: str, learner_id: str, completed: dt.date) -> str:
    digest = hashlib.sha256(f"{course_title}\n{learner_id}\n{completed.isoformat()}".encode()).hexdigest()
    return digest[:12].upper()


def _filename(learner_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", learner_id) + ".pdf"


def _fonts() -> tuple[str, str]:
    """DejaVu (shipped with matplotlib) so that any learner's name can be printed; Helvetica otherwise."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        if "CE-Serif" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("CE-Serif", str(folder / "DejaVuSerif.ttf")))
            pdfmetrics.registerFont(TTFont("CE-Serif-Bold", str(folder / "DejaVuSerif-Bold.ttf")))
        return "CE-Serif", "CE-Serif-Bold"
    except Exception:
        return "Times-Roman", "Times-Bold"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def draw(path: Path, *, name: str, course_title: str, completed: dt.date, hours: float, delivery: str,
         provider: dict[str, str], cert_id: str, draft: bool) -> None:
    from reportlab.lib.colors import Color, HexColor
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _fonts()
    width, height = landscape(A4)
    canvas = Canvas(str(path), pagesize=(width, height), invariant=1)
    canvas.setTitle(f"Certificate of completion: {course_title}: {name}")
    canvas.setAuthor(str(provider.get("name") or ""))
    canvas.setSubject(course_title)
    ink = HexColor("#1f2d3d")
    canvas.setStrokeColor(HexColor("#4c6a8a"))
    canvas.setLineWidth(3)
    canvas.rect(28, 28, width - 56, height - 56)
    canvas.setLineWidth(1)
    canvas.rect(36, 36, width - 72, height - 72)
    if draft:
        canvas.saveState()
        canvas.setFillColor(Color(0.85, 0.1, 0.1, alpha=0.18))
        canvas.setFont(bold, 150)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(30)
        canvas.drawCentredString(0, -50, "DRAFT")
        canvas.restoreState()

    def centred(text: str, y: float, font: str, size: float) -> float:
        canvas.setFont(font, size)
        for line in _wrap(text, font, size, width - 160):
            canvas.drawCentredString(width / 2, y, line)
            y -= size * 1.3
        return y

    canvas.setFillColor(ink)
    y = centred("Certificate of Completion", height - 100, bold, 30)
    y = centred("This certifies that", y - 14, regular, 14)
    y = centred(name, y - 14, bold, 26)
    y = centred("has successfully completed the continuing-education course", y - 6, regular, 14)
    y = centred(course_title, y - 6, bold, 17)
    y -= 10
    for label, value in (("Completion date", f"{completed.day} {completed:%B %Y}"),
                         ("Contact hours", f"{hours:g}"), ("Delivery format", delivery)):
        y = centred(f"{label}: {value}", y, regular, 13)
    y -= 8
    y = centred(f"Provider: {provider.get('name', '')}", y, regular, 12)
    y = centred(str(provider.get("approval_statement", "")), y, regular, 11)
    centred(f"Approval number: {provider.get('approval_number', '')}", y, regular, 11)
    canvas.setFont(regular, 9)
    footer = f"Certificate {cert_id}" + ("  |  DRAFT: not valid as a certificate" if draft else "")
    canvas.drawCentredString(width / 2, 50, footer)
    canvas.showPage()
    canvas.save()


def issue(results: Results, folder: Path, *, draft: bool = False
          ) -> tuple[list[Certificate], list[Path], list[Learner]]:
    """Write a certificate for every eligible learner.

    Returns the certificates, the stale files removed, and eligible learners left out because nbgrader has no
    submission time for them (no timestamp.txt), so that no completion date can be printed.
    """
    course = results.course
    missing = placeholders(course.provider)
    if missing and not draft:
        raise CertificateError(
            f"course/course.yml still has placeholder provider details ({', '.join(missing)}): set the provider's "
            "name, CE approval statement and number, authors, reviewers, review dates and policies before issuing "
            "certificates, "
            "or use --draft for watermarked drafts")
    folder.mkdir(parents=True, exist_ok=True)
    issued, undated = [], []
    for learner in results.learners:
        if learner.status != analysis.ELIGIBLE:
            continue
        if learner.completion_date is None:
            undated.append(learner)
            continue
        completed = learner.completion_date
        cert_id = certificate_id(course.title, learner.id, completed)
        path = folder / _filename(learner.id)
        draw(path, name=learner.name, course_title=course.title, completed=completed, hours=course.contact_hours,
             delivery=course.delivery, provider=course.provider, cert_id=cert_id, draft=draft)
        issued.append(Certificate(learner, path, cert_id, completed))
    removed = []
    current = {c.path.name for c in issued}
    for learner in results.learners:
        if learner in undated:
            continue
        stale = folder / _filename(learner.id)
        if stale.name not in current and stale.exists():
            stale.unlink()
            removed.append(stale)
    with (folder / "index.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner_id", "name", "email", "completion_date", "contact_hours", "certificate_id",
                         "file", "draft"])
        for c in issued:
            writer.writerow([c.learner.id, c.learner.name, c.learner.email or "", c.completed.isoformat(),
                             f"{course.contact_hours:g}", c.certificate_id, c.path.name, "yes" if draft else "no"])
    return issued, removed, undated
