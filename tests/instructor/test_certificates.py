"""Certificates anyone can verify (issue 11, part 4): ids, register, revocation, site data and badges.

The learners' results are built directly (who passed, when): the route from nbgrader's gradebook to these results
is the workflow test's (tests/test_instructor_workflow.py), which also issues certificates through `empathy-ce`.
Badges are verified with jwcrypto, an implementation independent of the signer (joserfc), against the public key
as the site publishes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import stat
from pathlib import Path

import pytest
from jwcrypto import jwk, jws
from pypdf import PdfReader
from support.cli import run
from support.instructor_course import PROVIDER, make_course

from empathy_ce import course as course_model
from empathy_ce.instructor import analysis, certificates
from empathy_ce.instructor.certificates import badge, publish
from empathy_ce.instructor.certificates import register as reg
from empathy_ce.instructor.results import Learner, ModuleResult, Results

ID_FORMAT = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")
DAY = dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC)


def course_root(tmp_path: Path, provider: dict | None = None) -> Path:
    return make_course(tmp_path / "course", provider=provider or PROVIDER)


def results(root: Path, learners: dict[str, tuple[str, str, str, dt.datetime]]) -> Results:
    """learner id -> (first name, last name, status, time of the last submission)."""
    course = course_model.load(root)
    made = []
    for learner_id, (first, last, status, when) in learners.items():
        modules = {m.id: ModuleResult(m.id, submitted=True, score=9, max_points=10, timestamp=when,
                                      status=analysis.PASS if status == analysis.ELIGIBLE else analysis.FAIL)
                   for m in course.modules}
        made.append(Learner(learner_id, first, last, f"{learner_id}@example.org", modules, status=status))
    return Results(course=course, coursedir=None, items={}, learners=made)  # type: ignore[arg-type]



@pytest.fixture
def keyed(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A course copy with placeholder-free provider details and a signing key made by `--new-key`."""
    monkeypatch.delenv(badge.ENV, raising=False)
    root = course_root(tmp_path)
    code, out, err = run(capsys, root, "certificates", "--new-key")
    assert code == 0, err
    key_file = root / "keys" / "provider-signing-key.jwk"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600 and str(key_file) in out
    return root


LEARNERS = {"ada": ("Ada", "Okafor", analysis.ELIGIBLE, DAY),
            "bo": ("Bo", "Lindqvist", analysis.NOT_ELIGIBLE, DAY),
            "cy": ("Cy", "Tanaka", analysis.ELIGIBLE, DAY + dt.timedelta(days=3))}


def site_data(root: Path) -> dict:
    return json.loads((root / publish.DATA).read_text("utf-8"))


def test_ids_are_random_registered_stable_and_published_only_as_salted_hashes(keyed: Path, tmp_path: Path):
    root = keyed
    folder = root / "certificates"
    done = certificates.issue(results(root, LEARNERS), folder,
                              attestations={"cy": {"license_number": "LPC-99812", "license_jurisdiction": "Ohio"}})
    assert sorted(c.learner.id for c in done.issued) == ["ada", "cy"]  # eligible learners only
    ids = {c.learner.id: c.certificate_id for c in done.issued}
    assert all(ID_FORMAT.match(i) for i in ids.values()) and len(set(ids.values())) == 2
    register = json.loads((folder / "register.json").read_text("utf-8"))
    assert [(e["learner_id"], e["id"], e["status"]) for e in register["certificates"]] == [
        ("ada", ids["ada"], "valid"), ("cy", ids["cy"], "valid")]
    assert register["certificates"][1]["license_number"] == "LPC-99812"

    # Re-running reuses each id and rewrites every file byte for byte (the attestation is in the register now).
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".pdf", ".jwt")}
    assert sorted(files) == ["ada.badge.jwt", "ada.pdf", "cy.badge.jwt", "cy.pdf"]
    again = certificates.issue(results(root, LEARNERS), folder)
    assert {c.learner.id: c.certificate_id for c in again.issued} == ids
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".pdf", ".jwt")} == files
    assert len(json.loads((folder / "register.json").read_text("utf-8"))["certificates"]) == 2

    # The same learner, course and date in another course folder: another id (nothing to recompute it from).
    other = make_course(tmp_path / "other", provider=PROVIDER)
    certificates.new_key(other / "keys" / "provider-signing-key.jwk")
    elsewhere = certificates.issue(results(other, LEARNERS), other / "certificates")
    assert not set(ids.values()) & {c.certificate_id for c in elsewhere.issued}

    # The site's data: salted hashes only, no names, license numbers, learner ids or certificate ids in clear.
    text = (root / publish.DATA).read_text("utf-8")
    data = json.loads(text)
    for secret in ("Ada", "Okafor", "Tanaka", "ada", "LPC-99812", "Ohio", *ids.values(),
                   *(reg.canonical(i) for i in ids.values())):
        assert secret not in text, secret
    course = course_model.load(root)
    assert data["certificates"][publish.id_hash(data["salt"], ids["ada"])] == {
        "course": course.title, "completed": "2026-05-04", "hours": course.contact_hours, "status": "valid"}
    assert data["certificates"][publish.id_hash(data["salt"], ids["cy"].lower().replace("-", " "))]["completed"] \
        == "2026-05-07"
    assert len(data["certificates"]) == 2
    jwks = json.loads((root / publish.JWKS).read_text("utf-8"))
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"] and all("d" not in k for k in jwks["keys"])

    # The certificate itself: the id and the verification address (also in the QR code) are printed.
    text = " ".join(PdfReader(folder / "cy.pdf").pages[0].extract_text().split())
    assert f"Certificate id: {ids['cy']}" in text and "License number: LPC-99812 (jurisdiction: Ohio)" in text
    address = f"{PROVIDER['verification_url']}course/verify.html?id={ids['cy']}"
    assert address == certificates.verify_address(PROVIDER, ids["cy"]) and address in text.replace(" ", "")


def decode_segment(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def encode_segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def verify_with_jwcrypto(token: str, jwks_file: Path) -> dict:
    """Check a VC-JWT as an outside verifier would: with the key set the site publishes, not the signer's code."""
    keys = jwk.JWKSet.from_json(jwks_file.read_text("utf-8"))
    header = decode_segment(token.split(".")[0])
    key = keys.get_key(header["kid"].rsplit("#", 1)[1])
    assert key is not None, "the badge names a key the site does not publish"
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(key, alg="EdDSA")
    return json.loads(signed.payload)


def test_every_badge_verifies_independently_and_tampered_or_foreign_badges_fail(keyed: Path):
    root = keyed
    folder = root / "certificates"
    done = certificates.issue(results(root, LEARNERS), folder)
    course = course_model.load(root)
    for cert in done.issued:
        token = cert.badge.read_text("utf-8").strip()
        claims = verify_with_jwcrypto(token, root / publish.JWKS)
        assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in claims["@context"]
        subject = claims["credentialSubject"]
        assert subject["achievement"]["name"] == course.title and subject["achievement"]["type"] == ["Achievement"]
        assert subject["creditsEarned"] == course.contact_hours == subject["achievement"]["creditsAvailable"]
        assert subject["identifier"][0]["identityHash"] == cert.learner.name
        assert claims["iss"] == claims["issuer"]["id"] == PROVIDER["verification_url"]
        assert claims["jti"] == claims["id"] == certificates.verify_address(PROVIDER, cert.certificate_id)
        assert claims["nbf"] == int(dt.datetime.fromisoformat(claims["validFrom"]).timestamp())

        header, payload, signature = token.split(".")
        for edit in (lambda c: c["credentialSubject"].update(creditsEarned=50),
                     lambda c: c["credentialSubject"]["achievement"].update(name="Another course"),
                     lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
                     lambda c: c.update(validFrom="2020-01-01T00:00:00Z")):
            changed = decode_segment(payload)
            edit(changed)
            with pytest.raises(jws.InvalidJWSSignature):
                verify_with_jwcrypto(f"{header}.{encode_segment(changed)}.{signature}", root / publish.JWKS)

        # The same credential signed with another key, claiming to be the provider's: refused.
        impostor = badge.new_key(root / "impostor.jwk")
        forged = badge.sign(decode_segment(payload), impostor)
        forged_header = decode_segment(forged.split(".")[0])
        forged = f"{encode_segment({**forged_header, 'kid': decode_segment(header)['kid']})}.{forged.split('.', 1)[1]}"
        with pytest.raises(jws.InvalidJWSSignature):
            verify_with_jwcrypto(forged, root / publish.JWKS)
        (root / "impostor.jwk").unlink()


def test_revocation_is_recorded_published_and_never_undone_by_a_rerun(keyed: Path,
                                                                        capsys: pytest.CaptureFixture[str]):
    root = keyed
    folder = root / "certificates"
    done = certificates.issue(results(root, LEARNERS), folder)
    ada = next(c.certificate_id for c in done.issued if c.learner.id == "ada")

    before = (folder / "register.json").read_bytes()
    code, _, err = run(capsys, root, "certificates", "--revoke", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "--reason", "test")
    assert code == 2 and "was never issued" in err and "nothing revoked" in err
    code, _, err = run(capsys, root, "certificates", "--revoke", ada)
    assert code == 2 and "give a reason" in err
    assert (folder / "register.json").read_bytes() == before

    code, out, err = run(capsys, root, "certificates", "--revoke", ada.lower(), "--reason", "issued in error")
    assert code == 0 and f"revoked certificate {ada} (learner 'ada')" in out, err
    data = site_data(root)
    record = data["certificates"][publish.id_hash(data["salt"], ada)]
    assert record["status"] == "revoked" and "issued in error" not in json.dumps(data)
    entries = json.loads((folder / "register.json").read_text("utf-8"))["certificates"]
    assert [(e["learner_id"], e["status"]) for e in entries] == [("ada", "revoked"), ("cy", "valid")]
    assert entries[0]["reason"] == "issued in error"
    code, _, err = run(capsys, root, "certificates", "--revoke", ada, "--reason", "again")
    assert code == 2 and "already revoked" in err

    rerun = certificates.issue(results(root, LEARNERS), folder)
    assert [c.learner.id for c in rerun.issued] == ["cy"] and [e.id for e in rerun.held] == [ada]
    assert not (folder / "ada.pdf").exists() and not (folder / "ada.badge.jwt").exists()
    assert len(json.loads((folder / "register.json").read_text("utf-8"))["certificates"]) == 2


def test_a_learner_no_longer_eligible_or_with_a_new_date_keeps_a_record(keyed: Path):
    root = keyed
    folder = root / "certificates"
    first = {c.learner.id: c.certificate_id for c in certificates.issue(results(root, LEARNERS), folder).issued}
    regraded = {**LEARNERS, "ada": ("Ada", "Okafor", analysis.NOT_ELIGIBLE, DAY),
                "cy": ("Cy", "Tanaka", analysis.ELIGIBLE, DAY + dt.timedelta(days=9))}
    done = certificates.issue(results(root, regraded), folder)
    assert [c.learner.id for c in done.issued] == ["cy"] and done.issued[0].certificate_id != first["cy"]
    assert not (folder / "ada.pdf").exists() and folder / "ada.pdf" in done.removed
    entries = {e["id"]: e for e in json.loads((folder / "register.json").read_text("utf-8"))["certificates"]}
    assert len(entries) == 3  # nothing lost: ada's and cy's first certificates are kept, revoked
    assert entries[first["ada"]]["status"] == "revoked" and "no longer eligible" in entries[first["ada"]]["reason"]
    assert entries[first["cy"]]["reason"].startswith(f"superseded by {done.issued[0].certificate_id}")
    statuses = sorted(r["status"] for r in site_data(root)["certificates"].values())
    assert statuses == ["revoked", "revoked", "valid"]

    # cy submits again and the new submission awaits manual grading: her certificate stays as it is meanwhile.
    register_before = (folder / "register.json").read_bytes()
    cy_files = {p.name: p.read_bytes() for p in folder.glob("cy.*")}
    waiting = {**regraded, "cy": ("Cy", "Tanaka", analysis.PENDING, DAY + dt.timedelta(days=9))}
    done = certificates.issue(results(root, waiting), folder)
    assert done.issued == [] and done.removed == [] and done.revoked == []
    assert {p.name: p.read_bytes() for p in folder.glob("cy.*")} == cy_files and len(cy_files) == 2
    assert (folder / "register.json").read_bytes() == register_before


def test_placeholders_a_missing_key_or_a_broken_register_issue_nothing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(badge.ENV, raising=False)
    placeholder = make_course(tmp_path / "placeholder")
    with pytest.raises(certificates.CertificateError, match=r"provider\.signer_name, provider\.signer_role, "
                                                            r"provider\.verification_url"):
        certificates.issue(results(placeholder, LEARNERS), placeholder / "certificates")
    assert not (placeholder / "certificates").exists()

    root = course_root(tmp_path)
    folder = root / "certificates"
    with pytest.raises(certificates.CertificateError, match=r"no signing key at .*--new-key"):
        certificates.issue(results(root, LEARNERS), folder)
    assert not folder.exists() and site_data(root)["certificates"] == {}

    monkeypatch.setenv(badge.ENV, str(tmp_path / "elsewhere" / "key.jwk"))
    certificates.new_key(tmp_path / "elsewhere" / "key.jwk")
    (tmp_path / "elsewhere" / "key.jwk").chmod(0o644)
    with pytest.raises(certificates.CertificateError, match=r"can be read by other users .*chmod 600"):
        certificates.issue(results(root, LEARNERS), folder)
    assert not folder.exists()
    (tmp_path / "elsewhere" / "key.jwk").chmod(0o600)
    with pytest.raises(certificates.SigningKeyError, match="already holds a signing key"):
        certificates.new_key(tmp_path / "elsewhere" / "key.jwk")
    folder.mkdir()
    (folder / "register.json").write_text('{"salt": "ab", "certificates": [{"id": "X"}]}', "utf-8")
    with pytest.raises(certificates.RegisterError, match="not a certificate record"):
        certificates.issue(results(root, LEARNERS), folder)
    assert (folder / "register.json").read_text("utf-8") == '{"salt": "ab", "certificates": [{"id": "X"}]}'
    assert not list(folder.glob("*.pdf"))

    # A URL that is not one is as unset as a placeholder.
    assert certificates.placeholders({**PROVIDER, "verification_url": "ce.northfield.example"}) == [
        "provider.verification_url"]
    bodies = [{"body": "Example Board", "statement": "Approved.", "number": "EB-1", "credit_type": "TBD"}]
    assert certificates.placeholders({**PROVIDER, "additional_approvals": bodies}) == [
        "provider.additional_approvals[1].credit_type"]


def test_drafts_carry_a_different_id_and_are_never_registered_or_published(tmp_path: Path):
    root = make_course(tmp_path / "course")  # placeholders: only drafts are possible
    folder = root / "certificates" / "drafts"
    done = certificates.issue(results(root, LEARNERS), folder, draft=True)
    assert [c.certificate_id[:6] for c in done.issued] == ["DRAFT-", "DRAFT-"]
    assert not ID_FORMAT.match(done.issued[0].certificate_id) and not (folder / "register.json").exists()
    assert site_data(root)["certificates"] == {} and not list(folder.glob("*.jwt"))
    text = PdfReader(folder / "ada.pdf").pages[0].extract_text()
    assert "DRAFT" in text and "not verifiable" in text and "verify.html" not in text


def test_home_page_shows_the_new_provider_fields_unset_until_set(tmp_path: Path):
    import shutil

    from support import ROOT

    from empathy_ce import front_matter

    unset = front_matter.front_matter(ROOT)
    block = unset[unset.index("{#fm-provider"):unset.index(":::", unset.index("{#fm-provider") + 20)]
    for label in ("Provider:", "Approval statement:", "Approval number:", "Credit type:", "signed by:",
                  "Signer's role:", "Published at:"):
        line = next(line for line in block.splitlines() if label in line)
        assert line.endswith(front_matter.NOT_SET) and "before issuing" not in line, line

    body = {"body": "Example State Board", "statement": "Approved for CE.", "number": "ESB-7", "credit_type": "Hours"}
    root = make_course(tmp_path / "course", provider={**PROVIDER, "additional_approvals": [body]})
    for page in (ROOT / "course").glob("*.qmd"):
        shutil.copy(page, root / "course" / page.name)
    text = front_matter.front_matter(root)
    assert front_matter.NOT_SET not in text
    for value in (PROVIDER["signer_name"], PROVIDER["signer_role"], PROVIDER["verification_url"],
                  PROVIDER["credit_type"], "Also approved by Example State Board", "ESB-7"):
        assert value in text, value


def test_an_interrupted_write_leaves_the_register_whole(keyed: Path, monkeypatch: pytest.MonkeyPatch):
    folder = keyed / "certificates"
    certificates.issue(results(keyed, LEARNERS), folder)
    before = (folder / "register.json").read_bytes()
    pdf = (folder / "ada.pdf").read_bytes()

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reg.os, "replace", disk_full)
    regraded = {**LEARNERS, "ada": ("Ada", "Okafor", analysis.ELIGIBLE, DAY + dt.timedelta(days=30))}
    with pytest.raises(OSError, match="No space left"):
        certificates.issue(results(keyed, regraded), folder)
    assert (folder / "register.json").read_bytes() == before and (folder / "ada.pdf").read_bytes() == pdf
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_the_key_stays_out_of_git_and_the_published_files_do_not():
    import subprocess

    from support import ROOT

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT).returncode == 0

    assert ignored(str(badge.DEFAULT_KEY)) and ignored("keys/another.jwk") and ignored("certificates/register.json")
    assert not ignored(str(publish.DATA)) and not ignored(str(publish.JWKS)) and not ignored("course/verify/verify.js")
