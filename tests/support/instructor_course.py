"""Helpers for the instructor-workflow tests: a copy of the real course, learners using nbgrader's exchange
in-process, answer files, and a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from support import ROOT
from support import SHOTS as ALL_SHOTS
from support.browser import chromium

COURSE_ID = "therapeutic-empathy"
PROVIDER = {"name": "Northfield Institute for Counseling Education",
            "approval_statement": "Northfield Institute is approved by the Example Board of Behavioral Sciences "
                                  "to sponsor continuing education for counselors.",
            "approval_number": "EBBS-CE-4417",
            "authors": "A. Author, PhD, licensed psychologist", "reviewers": "R. Reviewer, LCSW",
            "conflicts_of_interest": "None declared.", "commercial_support": "None.",
            "original_release": "2026-01-05", "last_review": "2026-01-05",
            "next_review": "2029-01-05", "posttest_attempts": "Two attempts per post-test.",
            "record_retention": "Six years.", "refund_policy": "Full refund within 14 days.",
            "grievance_policy": "Write to the CE director.", "accommodation": "Write to the CE office.",
            "contact": "ce@northfield.example", "credit_type": "CE contact hours",
            "signer_name": "Dana Whitfield, PhD", "signer_role": "Director of Continuing Education",
            "verification_url": "https://ce.northfield.example/empathy/"}  # invented, for tests only
PG_DEFAULT = "postgresql+psycopg://empathy_ce:empathy_ce@localhost:5432/empathy_ce_test"


def make_course(root: Path, *, provider: dict[str, str] | None = None) -> Path:
    """The real course (config, course description, solutions) in a throwaway folder."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "course", root / "course", ignore=shutil.ignore_patterns("*.qmd", "*.bib", "*.csl"))
    shutil.copytree(ROOT / "solutions", root / "solutions", ignore=shutil.ignore_patterns("answers*.json"))
    if provider:
        path = root / "course" / "course.yml"
        data = yaml.safe_load(path.read_text("utf-8"))
        data["provider"] = dict(provider)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return root


def learner_config(exchange: Path) -> Config:
    """What a learner's nbgrader knows: the course id and the exchange (no course config file)."""
    c = Config()
    c.CourseDirectory.course_id = COURSE_ID
    c.Exchange.root = str(exchange)
    c.Exchange.path_includes_course = True
    return c


def as_learner(step: str, exchange: Path, home: Path, learner: str, module: str) -> Path:
    """nbgrader fetch_assignment or submit, run in-process in the learner's home folder; the module folder."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory

    home.mkdir(parents=True, exist_ok=True)
    c = learner_config(exchange)
    with contextlib.chdir(home):
        coursedir = CourseDirectory(config=c, root=str(home))
        coursedir.assignment_id = module
        coursedir.student_id = learner
        factory = ExchangeFactory(config=c)
        cls = factory.FetchAssignment if step == "fetch" else factory.Submit
        cls(coursedir=coursedir, authenticator=Authenticator(config=c), config=c).start()
    return home / COURSE_ID / module


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test; skipped (failed under CI=true) when no server answers."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    base = make_url(os.environ.get("EMPATHY_CE_TEST_PG_URL", PG_DEFAULT))
    admin = dict(host=base.host or "localhost", port=base.port or 5432, user=base.username,
                 password=base.password, dbname=base.database, connect_timeout=5)
    try:
        connection = psycopg.connect(**admin, autocommit=True)
    except psycopg.OperationalError as err:
        message = (f"no PostgreSQL server at {base.render_as_string(hide_password=True)} ({err}); "
                   "start one and create the role and database as .ci/run does, or set EMPATHY_CE_TEST_PG_URL")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    name = f"ece_{uuid.uuid4().hex[:12]}"
    with connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


SHOTS = ALL_SHOTS / "instructor"


def report_fits_a_laptop(page_path: Path, name: str, *, learner: str, expected: tuple[str, ...]) -> None:
    """report.html at 1366 x 768 in headless Chromium: no horizontal scrolling, the attention section on the first
    screen, status and certificate columns of the learner table inside the window, and the learner's row showing
    the expected words; screenshots (SHOTS/<name>-*.png) of the first screen, the learner table and its details."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(page_path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        # What an instructor acts on comes first: the attention section starts on the first screen.
        assert page.locator("#attention h2").bounding_box()["y"] < 768
        table = page.locator("#learners table")
        for header in ("status", "certificate"):
            box = table.locator("thead th", has_text=header).first.bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 1366, (header, box)
        rows = table.locator("tbody tr")
        row = next(rows.nth(i) for i in range(rows.count())
                   if rows.nth(i).locator("th").first.inner_text().strip() == learner)
        for words in expected:
            assert words in row.inner_text(), (learner, words, row.inner_text())
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-first-screen.png"))
        page.locator("#learners").scroll_into_view_if_needed()
        page.locator("#learners h2").evaluate("e => e.scrollIntoView()")
        page.screenshot(path=str(SHOTS / f"{name}-learners.png"))
        row.locator("summary").click()
        page.screenshot(path=str(SHOTS / f"{name}-learner-details.png"))


def screenshot(page_path: Path, name: str, *, width: int = 1366, height: int = 768, full_page: bool = False) -> Path:
    """A screenshot of a local HTML page in headless Chromium (for the notes); skipped without Chromium."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{name}.png"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(page_path.as_uri())
        page.screenshot(path=str(out), full_page=full_page)
    return out
