"""The certificate verification page in headless Chromium, with the data `empathy-ce certificates` publishes.

course/verify.qmd is rendered by the real Quarto (a website project with the site's settings and this one page,
in a course copy where certificates were issued; one is revoked after the build), served on 127.0.0.1 and used
as a board would: the id from the address (as the QR code sends it) or typed into the form. A valid id is
confirmed with course, date and hours; an unknown id, a changed id, a draft's id and a revoked id are refused;
nothing is requested from another host; axe-core finds no WCAG A/AA violation. (The whole site's render, with
this page among the others, is tests/test_site_quarto.py's.) Set EMPATHY_CE_SHOTS to keep the screenshots.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support import ROOT, SHOTS
from support.browser import Visit, axe_violations, missing
from support.instructor_course import PROVIDER, make_course

from empathy_ce import course as course_model
from empathy_ce.instructor import analysis, certificates
from empathy_ce.instructor.certificates import publish
from empathy_ce.instructor.results import Learner, ModuleResult, Results

pytestmark = pytest.mark.browser
QUARTO = shutil.which("quarto") or "/usr/local/bin/quarto"


def test_the_site_publishes_the_page_and_its_data():
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text("utf-8"))
    assert "course/verify.qmd" in config["project"]["render"]
    front = yaml.safe_load((ROOT / "course" / "verify.qmd").read_text("utf-8").split("---")[1])
    published = {str(Path("course") / r) for r in front["resources"]}
    assert {str(publish.DATA), str(publish.JWKS), "course/verify/verify.js"} <= published
    for path in published:
        assert (ROOT / path).is_file(), path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A course copy with two certificates issued (cy's then revoked) and the verification page rendered."""
    if not Path(QUARTO).exists():
        missing("Quarto is not installed")
    root = make_course(tmp_path_factory.mktemp("verify") / "course", provider=PROVIDER)
    certificates.new_key(root / "keys" / "provider-signing-key.jwk")
    course = course_model.load(root)
    when = dt.datetime(2026, 5, 4, 15, 30, tzinfo=dt.UTC)
    learners = [Learner(learner_id, first, "Example", None,
                        {m.id: ModuleResult(m.id, submitted=True, score=9, max_points=10, timestamp=when,
                                            status=analysis.PASS) for m in course.modules}, status=analysis.ELIGIBLE)
                for learner_id, first in (("ada", "Ada"), ("cy", "Cy"))]
    done = certificates.issue(Results(course, None, {}, learners), root / "certificates")  # type: ignore[arg-type]
    ids = {c.learner.id: c.certificate_id for c in done.issued}
    shutil.copy(ROOT / "course" / "verify.qmd", root / "course" / "verify.qmd")
    (root / "site").mkdir()
    shutil.copy(ROOT / "site" / "theme.scss", root / "site" / "theme.scss")
    # The site's project settings, with this one page to render.
    project = yaml.safe_load((ROOT / "_quarto.yml").read_text("utf-8"))
    config = {"project": {"type": "website", "output-dir": "_site", "render": ["course/verify.qmd"]},
              "website": {"title": project["website"]["title"]}, "lang": project["lang"],
              "format": {"html": {"theme": project["format"]["html"]["theme"], "toc": True}}}
    (root / "_quarto.yml").write_text(yaml.safe_dump(config), "utf-8")
    rendered = subprocess.run([QUARTO, "render"], cwd=root, capture_output=True, text=True, timeout=300)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    out = root / "_site"
    for path in (publish.DATA, publish.JWKS, Path("course/verify/verify.js"), Path("course/verify.html")):
        assert (out / path).is_file(), f"{path} is not published"
    # Revoked after the site was built: `certificates` refreshes the built site's copy too.
    certificates.revoke(root, root / "certificates", ids["cy"], "issued in error")
    assert (out / publish.DATA).read_bytes() == (root / publish.DATA).read_bytes()
    return out, ids


def result_text(visit: Visit) -> str:
    visit.page.wait_for_selector("#verify-result p", timeout=10_000)
    return " ".join(visit.page.inner_text("#verify-result").split())


def test_valid_unknown_changed_draft_and_revoked_ids(site: tuple[Path, dict[str, str]], browser, serve):
    out, ids = site
    base = serve(out)
    course = course_model.load(out.parent)
    title, hours = course.title, f"{course.contact_hours:g}"

    # Scanned: the id arrives in the address.
    visit = Visit(browser, f"{base}/course/verify.html?id={ids['ada']}")
    try:
        text = result_text(visit)
        assert text.startswith("Valid certificate.") and title in text and "4 May 2026" in text, text
        assert f"for {hours} contact hours" in text
        assert visit.page.input_value("#verify-id") == ids["ada"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        visit.page.screenshot(path=str(SHOTS / "verify-valid.png"), full_page=True)
        assert axe_violations(visit.page) == []

        def typed(value: str) -> str:
            """Typed into the form and sent with Enter, as a person would (keyboard only)."""
            visit.page.evaluate("document.getElementById('verify-result').replaceChildren()")
            visit.page.fill("#verify-id", value)
            visit.page.press("#verify-id", "Enter")
            return result_text(visit)

        changed = ids["ada"][:-1] + ("A" if ids["ada"][-1] != "A" else "B")
        assert typed(changed).startswith("Not confirmed."), changed
        assert f"id={changed}" in visit.page.url  # the address now names the id checked, to share or bookmark
        assert typed("ZZZZ-ZZZZ-ZZZZ-ZZZZ").startswith("Not confirmed.")
        assert typed(ids["ada"].lower().replace("-", " ")).startswith("Valid certificate.")
        assert typed("DRAFT-1A2B3C4D").startswith("Not a certificate.")
        assert typed("").startswith("No id entered.")
        text = typed(ids["cy"])
        assert text.startswith("Revoked.") and "no longer valid" in text and title in text, text
        assert "issued in error" not in text  # the reason stays in the register
        visit.page.screenshot(path=str(SHOTS / "verify-revoked.png"), full_page=True)
        assert "\u201c<script>alert(1)</script>\u201d" in typed("<script>alert(1)</script>")  # text, not markup
        assert visit.page.locator("#verify-result script").count() == 0

        assert visit.off_site() == [] and visit.errors == []
        assert any(url.endswith("/course/verify/certificates.json") for url in visit.requests)
    finally:
        visit.close()


def test_a_missing_data_file_is_said_plainly(site: tuple[Path, dict[str, str]], browser, serve):
    out, ids = site
    data = out / publish.DATA
    hidden = data.with_suffix(".hidden")
    data.rename(hidden)
    try:
        visit = Visit(browser, f"{serve(out)}/course/verify.html?id={ids['ada']}")
        try:
            text = result_text(visit)
            assert text.startswith("Cannot check now.") and "could not be loaded (HTTP 404)" in text, text
        finally:
            visit.close()
    finally:
        hidden.rename(data)


def test_the_page_has_no_data_about_learners(site: tuple[Path, dict[str, str]]):
    out, ids = site
    served = "".join(p.read_text("utf-8") for p in out.rglob("*") if p.suffix in (".json", ".html", ".js"))
    for secret in ("Ada", "Cy Example", *ids.values()):
        assert secret not in served, secret
