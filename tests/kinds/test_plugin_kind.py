"""A seventh kind defined only in a test fixture (tests/kinds/fixtures/yesno/) works everywhere an item runs:
in a real kernel (ask + score, as JupyterLab runs them), in the kernel-free grader with outputs identical to a
kernel's, and on the static site page in Chromium. Nothing in src/ names it: its folder and one registration
line (an `empathy_ce.kinds` entry point for other processes, `kinds.register(folder)` in this one) suffice.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from support import ROOT, SHOTS
from support.browser import Visit
from support.kernels import graded_both_ways, run_in_kernel
from support.learners import answers_json

from empathy_ce import authoring, kinds
from empathy_ce.items import ItemError, validate_item
from empathy_ce.kinds import front
from empathy_ce.scoring import grade_item
from empathy_ce.site import postrender
from empathy_ce.site.static_items import item_markup

FIXTURE = Path(__file__).parent / "fixtures" / "yesno"
SPEC = {"id": "yesno.post.q1", "kind": "yesno", "mode": "assessment", "objective": "yesno-1", "points": 2,
        "prompt": "Is a reflection a statement rather than a question?"}
PRACTICE = {"id": "yesno.practice.q1", "kind": "yesno", "mode": "practice", "objective": "yesno-1",
            "prompt": "Is a reflection a statement rather than a question?", "answer": "yes",
            "rationale": "A reflection says back what the speaker means."}


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The fixture kind installed as a plug-in: its folder on a path, and the one line that registers it."""
    folder = tmp_path_factory.mktemp("plugins")
    shutil.copytree(FIXTURE, folder / "yesno")
    (folder / "yesno" / "front.css").write_text(".ece-kind-yesno .ece-group { border-left: 4px solid #555; }\n")
    dist = folder / "yesno_kind-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: yesno-kind\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[empathy_ce.kinds]\nyesno = yesno\n")  # the registration line
    assert "yesno" not in kinds.names()
    with pytest.raises(ItemError, match="kind"):
        validate_item(copy.deepcopy(SPEC))
    kinds.register(folder / "yesno")  # this process's registration (the kernels read the entry point)
    yield folder
    kinds.unregister("yesno")


def answers(folder: Path, value: Any) -> None:
    (folder / "answers.json").write_text(answers_json({SPEC["id"]: value}))


def notebook() -> nbformat.NotebookNode:
    return authoring.notebook("yesno", [authoring.setup_cell("yesno"),
                                        nbformat.v4.new_code_cell(authoring.item_source(SPEC, "yes"))])


def test_the_kind_is_its_folder_and_one_registration(plugins: Path):
    assert "yesno" in kinds.names() and "yesno" in json.dumps(validate_item(copy.deepcopy(SPEC)))
    assert grade_item(SPEC, "yes", "yes") == 2.0 and grade_item(SPEC, "no", "yes") == 0.0
    assert '"yesno": (() =>' in front.bundle()
    with pytest.raises(ItemError, match="options"):  # its schema part applies
        validate_item({**SPEC, "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]})
    named = [p for p in (ROOT / "src").rglob("*") if p.is_file() and "yesno" in p.read_text(errors="ignore")]
    assert named == []


def test_a_real_kernel_shows_and_scores_it(plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    answers(tmp_path, "yes")
    monkeypatch.setenv("PYTHONPATH", str(plugins))  # the kernel finds the kind through its entry point only
    nb = run_in_kernel(notebook(), tmp_path, monkeypatch, autograde=False, timeout=120, store_widget_state=True)
    outputs = nb.cells[2].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data", "execute_result"], outputs
    assert 'ece-kind-yesno' in outputs[0]["data"]["text/html"]  # the static copy, from the kind's controls
    assert "application/vnd.jupyter.widget-view+json" in outputs[1]["data"]
    assert outputs[2]["data"]["text/plain"] == "2.0"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    esm = [s["state"].get("_esm", "") for s in state.values() if s["state"].get("spec", {}).get("kind") == "yesno"]
    assert esm and '"yesno": (() =>' in esm[0]  # the kernel's widget carries the kind's front end
    css = [s["state"].get("_css", "") for s in state.values() if s["state"].get("spec", {}).get("kind") == "yesno"]
    assert ".ece-kind-yesno .ece-group" in css[0]  # and its styles


@pytest.mark.parametrize("value", ["yes", "no", "maybe", None])
def test_the_kernel_free_grader_grades_it_as_a_kernel_does(plugins: Path, tmp_path: Path, value: Any,
                                                            monkeypatch: pytest.MonkeyPatch):
    answers(tmp_path, value)
    monkeypatch.setenv("PYTHONPATH", str(plugins))  # the kernel finds the kind through its entry point only
    kernel = graded_both_ways(notebook, tmp_path, monkeypatch, timeout=120, store_widget_state=True)
    result = [o for o in kernel.cells[2].outputs if o.output_type == "execute_result"]
    assert result[0]["data"]["text/plain"] == ("2.0" if value == "yes" else "0.0")


@pytest.mark.browser
def test_the_static_page_runs_it(plugins: Path, tmp_path: Path, serve: Any, browser: Any):
    out = tmp_path / "_site"
    (out / "course").mkdir(parents=True)
    body = item_markup(PRACTICE)
    assert "ece-kind-yesno" in body
    (out / "course" / "m.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>T</title></head>\n'
        f'<body><main id="quarto-document-content">{body}</main></body></html>\n')
    assert postrender.process(ROOT, out) == []
    assert (out / postrender.ASSETS / "kinds" / "yesno.js").is_file()
    visit = Visit(browser, f"{serve(out)}/course/m.html")
    try:
        page = visit.page
        item = page.locator(".ece-item[data-item='yesno.practice.q1']")
        item.wait_for()
        item.get_by_label("No").check()
        item.get_by_role("button", name="Check answer").click()
        assert "Not quite." in item.locator(".ece-verdict").inner_text()
        item.get_by_label("Yes").check()
        item.get_by_role("button", name="Check answer").click()
        page.wait_for_function("document.querySelector('.ece-verdict').textContent.includes('Correct.')")
        assert any(u.endswith("/site_libs/empathy-ce/kinds/yesno.js") for u in visit.requests)
        border = item.locator(".ece-group").evaluate("e => getComputedStyle(e).borderLeftWidth")
        assert border == "4px"  # the kind's front.css, in the site's item.css
        SHOTS.mkdir(parents=True, exist_ok=True)
        item.screenshot(path=str(SHOTS / "yesno-static-page.png"))
        assert not visit.off_site() and not visit.errors, (visit.off_site(), visit.errors)
    finally:
        visit.close()
