"""The certificate of completion as a one-page PDF (reportlab), with every field a licensing board asks for.

Learner name, and license number and jurisdiction when the learner's attestation gave them; course title;
delivery format; learning level; contact hours; completion date; provider and how to contact it; the approval
statement, number and credit type of each approving body; the name and role of who signs for the provider; the
certificate id, the verification address and a QR code of it (segno makes the code; it is drawn as vector
squares, so the file stays small and identical on every run: reportlab's invariant mode fixes the dates).
A draft carries a DRAFT watermark, a `DRAFT-...` id and no QR code: it can never be verified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .provider import additional_approvals


@dataclass(frozen=True)
class Fields:
    """What one certificate states (all text as printed)."""

    name: str
    course_title: str
    completed: dt.date
    hours: float
    delivery: str
    level: str
    provider: dict[str, Any]
    cert_id: str
    verify_url: str | None  # None on drafts: nothing to verify
    license_number: str | None = None
    license_jurisdiction: str | None = None


def _fonts() -> tuple[str, str]:
    """DejaVu (shipped with matplotlib) so that any learner's name can be printed; Times otherwise."""
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


def _qr(canvas: Any, text: str, x: float, y: float, size: float) -> None:
    """A QR code of text with its lower left corner at (x, y), quiet zone included in size."""
    import segno

    matrix = segno.make(text, error="m", micro=False).matrix
    cell = size / (len(matrix) + 8)  # four modules of quiet zone on each side
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row, modules in enumerate(matrix):
        for column, dark in enumerate(modules):
            if dark:
                canvas.rect(x + (column + 4) * cell, y + size - (row + 5) * cell, cell, cell, stroke=0, fill=1)
    canvas.restoreState()


def render(path: Path, fields: Fields, *, draft: bool) -> None:
    from reportlab.lib.colors import Color, HexColor
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _fonts()
    width, height = landscape(A4)
    provider = fields.provider
    canvas = Canvas(str(path), pagesize=(width, height), invariant=1)
    canvas.setTitle(f"Certificate of completion: {fields.course_title}: {fields.name}")
    canvas.setAuthor(str(provider.get("name") or ""))
    canvas.setSubject(fields.course_title)
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

    def centred(text: str, y: float, font: str, size: float, gap: float = 1.25) -> float:
        canvas.setFont(font, size)
        for line in _wrap(text, font, size, width - 150):
            canvas.drawCentredString(width / 2, y, line)
            y -= size * gap
        return y

    canvas.setFillColor(HexColor("#1f2d3d"))
    y = centred("Certificate of Completion", height - 88, bold, 28)
    y = centred("This certifies that", y - 18, regular, 12)
    y = centred(fields.name, y - 10, bold, 22)
    if fields.license_number or fields.license_jurisdiction:
        license_text = "License number: " + (fields.license_number or "not given")
        if fields.license_jurisdiction:
            license_text += f" (jurisdiction: {fields.license_jurisdiction})"
        y = centred(license_text, y + 4, regular, 10.5)
    y = centred("has successfully completed the continuing-education course", y - 8, regular, 12)
    y = centred(fields.course_title, y - 6, bold, 15)
    y -= 14
    done = fields.completed
    for line in (f"Completion date: {done.day} {done:%B %Y}", f"Contact hours: {fields.hours:g}",
                 f"Delivery format: {fields.delivery}", f"Learning level: {fields.level}"):
        y = centred(line, y, regular, 11)
    y -= 14
    y = centred(f"Provider: {provider.get('name', '')}. Contact: {provider.get('contact', '')}", y, regular, 10)
    y = centred(str(provider.get("approval_statement", "")), y, regular, 9)
    y = centred(f"Approval number: {provider.get('approval_number', '')}. Credit type: "
                f"{provider.get('credit_type', '')}", y, regular, 9)
    for approval in additional_approvals(provider):
        y = centred(f"{approval['body']}: {approval['statement']} Approval number: {approval['number']}. Credit "
                    f"type: {approval['credit_type']}", y - 2, regular, 8.5)

    # Signature block, lower left.
    canvas.setLineWidth(0.7)
    canvas.line(70, 98, 300, 98)
    canvas.setFont(bold, 10)
    canvas.drawString(70, 84, str(provider.get("signer_name", "")))
    canvas.setFont(regular, 9)
    for number, line in enumerate(_wrap(f"{provider.get('signer_role', '')}, for the provider", regular, 9, 300)):
        canvas.drawString(70, 72 - 11 * number, line)

    # Id, verification address and QR code, lower right.
    qr_size = 86.0
    right = width - 52
    canvas.setFont(bold, 10)
    canvas.drawRightString(right - qr_size - 8, 96, f"Certificate id: {fields.cert_id}")
    canvas.setFont(regular, 8)
    if fields.verify_url and not draft:
        _qr(canvas, fields.verify_url, right - qr_size, 44, qr_size)
        canvas.drawRightString(right - qr_size - 8, 84, "Check this certificate at:")
        for number, line in enumerate(_wrap(fields.verify_url.replace("?", " ?").replace("/", "/ "), regular, 8,
                                            250)):
            canvas.drawRightString(right - qr_size - 8, 73 - 10 * number, line.replace("/ ", "/").replace(" ?", "?"))
    else:
        canvas.drawRightString(right - qr_size - 8, 84, "DRAFT: not valid as a certificate and not verifiable")
    canvas.showPage()
    canvas.save()


def draw(path: Path, *, name: str, course_title: str, completed: dt.date, hours: float, delivery: str,
         provider: dict[str, Any], cert_id: str, draft: bool, level: str = "", verify_url: str | None = None,
         license_number: str | None = None, license_jurisdiction: str | None = None) -> None:
    """One certificate (the keyword form kept for callers of the earlier single-module version)."""
    render(path, Fields(name=name, course_title=course_title, completed=completed, hours=hours, delivery=delivery,
                        level=level, provider=provider, cert_id=cert_id, verify_url=verify_url,
                        license_number=license_number, license_jurisdiction=license_jurisdiction), draft=draft)
