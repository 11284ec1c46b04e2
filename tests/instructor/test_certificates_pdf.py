"""The certificate as a board sees it: every field printed, and the page converted to an image to look at.

The course copy has invented, placeholder-free provider details (tests only), one further approving body and a
learner's attested license. The page is turned into a PNG with pdftoppm (poppler-utils), as a person would look
at it, and its QR code is read back (zxing-cpp) as a phone would; set CERT_SHOTS=/some/folder to keep the image
(docs/certificate-sample.png is one such image).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from support.instructor_course import PROVIDER, make_course

from empathy_ce import course as course_model
from empathy_ce.instructor import analysis, certificates
from empathy_ce.instructor.results import Learner, ModuleResult, Results

EXTRA_BODY = {"body": "Example State Board of Counselor Examiners",
              "statement": "This course is approved by the Example State Board for continuing education.",
              "number": "ESB-2026-0173", "credit_type": "Category A clock hours"}  # invented, for tests only


def test_the_certificate_page_shows_every_field_a_board_asks_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    monkeypatch.delenv("EMPATHY_CE_SIGNING_KEY", raising=False)
    root = make_course(tmp_path / "course", provider={**PROVIDER, "additional_approvals": [EXTRA_BODY]})
    certificates.new_key(root / "keys" / "provider-signing-key.jwk")
    course = course_model.load(root)
    when = dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC)
    learner = Learner("zoe", "Zoë", "Łukasiewicz-Nguyễn", "zoe@example.org",
                      {m.id: ModuleResult(m.id, submitted=True, score=9, max_points=10, timestamp=when,
                                          status=analysis.PASS) for m in course.modules},
                      status=analysis.ELIGIBLE)
    done = certificates.issue(Results(course, None, {}, [learner]), root / "certificates",  # type: ignore[arg-type]
                              attestations={"zoe": {"license_number": "LPCC-40221",
                                                    "license_jurisdiction": "Example State"}})
    (cert,) = done.issued
    text = " ".join(PdfReader(cert.path).pages[0].extract_text().split())
    level = yaml.safe_load((root / "course" / "course.yml").read_text("utf-8"))["level"]
    for expected in ("Certificate of Completion", "Zoë Łukasiewicz-Nguyễn",
                     "License number: LPCC-40221 (jurisdiction: Example State)", course.title,
                     "Delivery format: home study", f"Learning level: {level}",
                     f"Contact hours: {course.contact_hours:g}", "Completion date: 4 May 2026",
                     f"Provider: {PROVIDER['name']}", f"Contact: {PROVIDER['contact']}",
                     PROVIDER["approval_statement"], f"Approval number: {PROVIDER['approval_number']}",
                     f"Credit type: {PROVIDER['credit_type']}", EXTRA_BODY["body"], EXTRA_BODY["statement"],
                     f"Approval number: {EXTRA_BODY['number']}", f"Credit type: {EXTRA_BODY['credit_type']}",
                     PROVIDER["signer_name"], f"{PROVIDER['signer_role']}, for the provider",
                     f"Certificate id: {cert.certificate_id}", "Check this certificate at:"):
        assert " ".join(expected.split()) in text, expected
    address = certificates.verify_address(PROVIDER, cert.certificate_id)
    assert address in text.replace(" ", "")
    assert "DRAFT" not in text and "before issuing" not in text

    image = tmp_path / "certificate"
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(cert.path), str(image)], check=True)
    png = image.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 40_000  # a full page, drawn
    # The QR code, read back from the image as a phone would: the verification address with this id.
    with Image.open(png) as page:
        codes = zxingcpp.read_barcodes(page)
    assert [(c.format, c.text) for c in codes] == [(zxingcpp.BarcodeFormat.QRCode, address)]
    if os.environ.get("CERT_SHOTS"):
        Path(os.environ["CERT_SHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(os.environ["CERT_SHOTS"]) / "certificate-sample.png")
