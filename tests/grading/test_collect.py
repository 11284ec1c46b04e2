"""IsolatedCollect, configured as nbgrader's ExchangeFactory.collect: stock `nbgrader collect` uses it.

With nbgrader's own ExchangeCollect, one inbound entry whose name holds no readable submission time stops the
collection of the whole module; with the course's configuration, that learner is reported and the rest collected.
"""

from __future__ import annotations

import pytest
from support import golden
from support.course import Course
from traitlets.config import Config

from empathy_ce.grading.collect import IsolatedCollect
from empathy_ce.grading.config import configure

pytestmark = pytest.mark.slow
COURSE_ID = "therapeutic-empathy"
STAMP = "2026-03-02 10:00:00.000000 UTC"


def test_configure_makes_it_nbgraders_collect(tmp_path):
    from nbgrader.exchange import ExchangeFactory

    c = Config()
    configure(c, tmp_path)
    assert ExchangeFactory(config=c).collect is IsolatedCollect


@pytest.fixture
def inbound(course: Course):
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    course.nbgrader("release_assignment", "gold", "--force", f"--Exchange.root={course.root / 'exchange'}")
    folder = course.root / "exchange" / COURSE_ID / "inbound"
    folder.mkdir(parents=True, exist_ok=True)
    for name in (f"ann+gold+{STAMP}+abc", "eve+gold+not-a-time+xyz"):
        entry = folder / name
        entry.mkdir()
        (entry / "gold.ipynb").write_bytes((course.root / "exercises" / "gold" / "gold.ipynb").read_bytes())
        (entry / "timestamp.txt").write_text(STAMP)
    return course


def test_stock_nbgrader_collect_reports_one_learner_and_collects_the_rest(inbound: Course):
    exchange = f"--Exchange.root={inbound.root / 'exchange'}"
    stock = inbound.nbgrader("collect", "gold", exchange, "--ExchangeFactory.collect="
                             "nbgrader.exchange.default.collect.ExchangeCollect", check=False)
    assert stock.returncode != 0 and not (inbound.root / "submitted").exists()  # nbgrader's own: nobody
    ours = inbound.nbgrader("collect", "gold", exchange, check=False)
    log = ours.stdout + ours.stderr
    assert "Not collecting eve's exchange entry eve+gold+not-a-time+xyz: no readable submission time" in log
    assert sorted(p.name for p in (inbound.root / "submitted").iterdir()) == ["ann"]
    assert (inbound.root / "submitted" / "ann" / "gold" / "gold.ipynb").exists()
