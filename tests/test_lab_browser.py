"""Acceptance: a learner works through the module notebook in real JupyterLab, in headless Debian Chromium.

Open the released notebook, Run All, answer by clicking and by keyboard only, restart the kernel and Run All
again: the answers come back from answers.json and the widgets show them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import golden
import pytest

CHROMIUM = Path("/usr/bin/chromium")
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT_COPY = Path("/tmp/lab-browser.png")
SENTENCE = "You feel let down, because the plan mattered to you."
EXPECTED = {
    "gold.post.single": "b",
    "gold.post.multiple": ["a", "c"],
    "gold.post.rating": 3,
    "gold.post.ordering": ["a", "b", "c", "d"],
    "gold.post.numeric": 0.0784,
    "gold.post.text": SENTENCE,
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


# ---------------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_lab_settings(folder: Path) -> None:
    """User settings that keep JupyterLab quiet: no news prompt, no update check."""
    notification = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True, exist_ok=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def learner(course, tmp_path: Path) -> Path:
    """A learner's copy of the released golden notebook: what a learner opens."""
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    folder = tmp_path / "learner"
    shutil.copytree(course.root / "exercises" / "gold", folder)
    assert (folder / "gold.ipynb").exists()
    assert not (folder / "answers.json").exists()
    return folder


@pytest.fixture
def lab(learner: Path, tmp_path: Path) -> Iterator[str]:
    """A real JupyterLab server serving the learner folder; stopped (kernels included) afterwards."""
    port = free_port()
    settings = tmp_path / "lab-settings"
    write_lab_settings(settings)
    workspaces = tmp_path / "lab-workspaces"
    workspaces.mkdir()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(workspaces)}
    log = (tmp_path / "jupyter-lab.log").open("w")
    command = [
        str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--allow-root",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={learner}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    server = subprocess.Popen(command, cwd=learner, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise AssertionError(f"jupyter lab exited early:\n{(tmp_path / 'jupyter-lab.log').read_text()}")
            try:
                get_json(f"{base}/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("jupyter lab did not answer /api/status within 60 s") from None
                time.sleep(0.25)
        yield base
    finally:
        try:  # shut kernels down through the API first: they run in their own sessions
            for kernel in get_json(f"{base}/api/kernels"):
                request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", method="DELETE")
                urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


# ---------------------------------------------------------------------------------------------- page helpers


def item(page, item_id: str):
    return page.locator(f".ece-item[data-item='{item_id}']")


def focused(page) -> dict[str, Any]:
    """What has keyboard focus: tag, type, value, checked, aria-label, text, and whether an outline shows."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName, type: el.type || null, value: el.value ?? null, checked: el.checked ?? null,
                    label: el.getAttribute('aria-label'), text: el.textContent.trim(),
                    item: el.closest('.ece-item')?.dataset.item ?? null,
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0};
        }"""
    )


def press(page, key: str) -> dict[str, Any]:
    page.keyboard.press(key)
    return focused(page)


def order_labels(page) -> list[str]:
    return item(page, "gold.post.ordering").locator(".ece-order-label").all_inner_texts()


def wait_kernel_idle(page) -> None:
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                 .some(e => /\\|\\s*Idle\\s*$/.test(e.textContent))""")


def menu(page, top: str, entry: str) -> None:
    """Open a menu-bar menu by its title and click one entry, by its exact label."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel",
                                                    has_text=re.compile(f"^{re.escape(entry)}$"))).click()


def wait_rendered(page) -> None:
    """Seven fresh item widgets, a progress line counting seven items, and an idle kernel."""
    page.wait_for_function(
        """() => document.querySelectorAll('.ece-item:not([data-stale])').length === 7
                 && document.querySelectorAll('.ece-item[data-stale]').length === 0""")
    page.wait_for_function(
        """() => /of 7 items answered/.test(document.querySelector('.ece-progress')?.textContent || '')""")
    wait_kernel_idle(page)


def read_answers(path: Path) -> dict[str, Any]:
    try:
        return {k: v["value"] for k, v in json.loads(path.read_text("utf-8"))["items"].items()}
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return {}


def wait_answers(path: Path, expected: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        values = read_answers(path)
        if values == expected:
            return values
        if time.monotonic() > deadline:
            pytest.fail(f"answers.json never held the expected answers.\nexpected {expected}\nfound    {values}")
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- the test


def test_answers_survive_kernel_restart_in_jupyterlab(lab: str, learner: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    answers_file = learner / "answers.json"
    screenshot = tmp_path / "lab-browser.png"
    console_errors: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(30_000)
            expect.set_options(timeout=30_000)
            page.on("pageerror", lambda err: console_errors.append(str(err)))

            # Open the notebook; wait for its kernel, then Run All from the menu.
            page.goto(f"{lab}/lab/tree/gold.ipynb")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
            wait_kernel_idle(page)
            menu(page, "Run", "Run All Cells")
            wait_rendered(page)
            expect(page.locator(".ece-progress")).to_contain_text("0 of 7 items answered")

            # --- By clicking: single choice B; multiple A and C.
            single = item(page, "gold.post.single")
            single.locator("label", has_text="Option B").click()
            expect(single.locator("input[value='b']")).to_be_checked()
            multiple = item(page, "gold.post.multiple")
            multiple.locator("label", has_text="Option A").click()
            multiple.locator("label", has_text="Option C").click()
            expect(multiple.locator("input:checked")).to_have_count(2)

            # --- By keyboard only. Rating: reach the group once, then Space and arrow keys.
            rating = item(page, "gold.post.rating")
            rating.locator("input[type=radio]").first.focus()
            assert press(page, "Space")["value"] == "1"
            assert press(page, "ArrowDown")["value"] == "2"
            now = press(page, "ArrowRight")
            # The arrow keys must stay inside the radio group (not move JupyterLab's cell cursor).
            assert now["item"] == "gold.post.rating" and now["value"] == "3" and now["checked"], now
            assert now["outline"], f"no visible focus outline on the focused rating radio: {now}"
            expect(rating.locator("input:checked")).to_have_value("3")

            # Ordering: from c,a,d,b to a,b,c,d with the Move buttons, Tab and Enter/Space only.
            assert order_labels(page) == ["Option C", "Option A", "Option D", "Option B"]
            ordering = item(page, "gold.post.ordering")
            ordering.locator("button.ece-move:not([disabled])").first.focus()
            assert focused(page)["label"] == "Move down: Option C"
            assert press(page, "Tab")["label"] == "Move up: Option A"
            now = press(page, "Enter")
            assert order_labels(page) == ["Option A", "Option C", "Option D", "Option B"]
            assert now["label"] == "Move down: Option A", now  # its Move up is now disabled
            assert now["outline"], f"no visible focus outline on the focused Move button: {now}"
            for label in ("Move up: Option C", "Move down: Option C", "Move up: Option D", "Move down: Option D",
                          "Move up: Option B"):
                assert press(page, "Tab")["label"] == label
            assert press(page, "Space")["label"] == "Move up: Option B"  # focus follows the moved row
            assert order_labels(page) == ["Option A", "Option C", "Option B", "Option D"]
            assert press(page, "Enter")["label"] == "Move up: Option B"
            assert order_labels(page) == ["Option A", "Option B", "Option C", "Option D"]
            for label in ("Move down: Option B", "Move up: Option C", "Move down: Option C", "Move up: Option D"):
                assert press(page, "Tab")["label"] == label
            assert press(page, "Tab")["text"] == "Save this order"
            page.keyboard.press("Enter")

            # Numeric: type the number and press Enter.
            numeric = item(page, "gold.post.numeric")
            numeric.locator("input.ece-number").focus()
            page.keyboard.type("0.0784")
            page.keyboard.press("Enter")
            expect(numeric.locator("input.ece-number")).not_to_have_attribute("aria-invalid", "true")

            # Text: type a sentence, then Tab away so that the change event fires.
            text = item(page, "gold.post.text")
            text.locator("textarea").focus()
            page.keyboard.type(SENTENCE)
            now = press(page, "Tab")
            assert now["item"] == "gold.post.text" and now["tag"] == "BUTTON", now
            expect(text.locator(".ece-count")).to_have_text(f"{len(SENTENCE.split())} words")

            # --- The kernel saved every answer to answers.json beside the notebook.
            saved = wait_answers(answers_file, EXPECTED)
            assert saved["gold.post.numeric"] == pytest.approx(0.0784)
            raw = json.loads(answers_file.read_text("utf-8"))
            assert raw["format"] == "empathy-ce/answers" and raw["version"] == 1
            assert {k: v["kind"] for k, v in raw["items"].items()} == {
                "gold.post.single": "single", "gold.post.multiple": "multiple", "gold.post.rating": "rating",
                "gold.post.ordering": "ordering", "gold.post.numeric": "numeric", "gold.post.text": "text"}
            expect(page.locator(".ece-progress")).to_contain_text("6 of 7 items answered")
            # Every item shows the kernel's confirmation, also after several changes within one second.
            for item_id in EXPECTED:
                expect(item(page, item_id).locator(".ece-status")).to_contain_text("Saved at")

            # --- Restart the kernel and run everything again.
            page.evaluate("() => document.querySelectorAll('.ece-item').forEach(e => e.dataset.stale = '1')")
            menu(page, "Kernel", "Restart Kernel and Run All Cells…")
            dialog = page.locator(".jp-Dialog")
            expect(dialog).to_contain_text("Restart Kernel?")
            dialog.locator("button.jp-mod-accept").click()
            expect(dialog).to_have_count(0)
            wait_rendered(page)

            # The restored answers are shown by the new widgets, found by their accessible roles and names
            # (which also checks that every control is labelled) ...
            single = item(page, "gold.post.single").get_by_role("group", name="Pick the best option.")
            expect(single.get_by_role("radio", name="Option B", exact=True)).to_be_checked()
            expect(single.locator("input:checked")).to_have_count(1)
            multiple = item(page, "gold.post.multiple").get_by_role("group", name="Select all that apply.")
            for label, checked in (("Option A", True), ("Option B", False), ("Option C", True), ("Option D", False)):
                expect(multiple.get_by_role("checkbox", name=label, exact=True)).to_be_checked(checked=checked)
            rating = item(page, "gold.post.rating").get_by_role("group", name="Rate the reply.")
            expect(rating.get_by_role("radio", name="3", exact=True)).to_be_checked()
            expect(rating.locator("input:checked")).to_have_count(1)
            ordering = item(page, "gold.post.ordering")
            steps = ordering.get_by_role("list", name="Put the steps in order.")
            expect(steps.get_by_role("listitem")).to_have_count(4)
            expect(ordering.locator(".ece-order-label")).to_have_text(["Option A", "Option B", "Option C", "Option D"])
            expect(ordering.get_by_role("button", name="Move up: Option A")).to_be_disabled()
            expect(ordering.get_by_role("button", name="Move down: Option D")).to_be_disabled()
            numeric = item(page, "gold.post.numeric")
            expect(numeric.get_by_role("textbox", name="Compute r squared for r = .28.")).to_have_value("0.0784")
            expect(item(page, "gold.post.text").get_by_role("textbox", name="Write a reflection.")).to_have_value(
                SENTENCE)
            # All items look alike: the item box's own styles are not overridden by a part's styles.
            looks = page.evaluate(
                """() => [...document.querySelectorAll('.ece-item')].map(e => {
                       const s = getComputedStyle(e);
                       return [e.dataset.item, s.fontSize, s.lineHeight, s.padding]; })""")
            assert len({tuple(look[1:]) for look in looks}) == 1, looks
            # ... the practice item is still unanswered, and the progress line counts six of seven.
            expect(item(page, "gold.practice.single").locator("input:checked")).to_have_count(0)
            expect(page.locator(".ece-progress")).to_have_count(1)
            expect(page.locator(".ece-progress")).to_contain_text("6 of 7 items answered")
            assert read_answers(answers_file) == EXPECTED  # re-running changed nothing on disk

            # Screenshot of the whole notebook: hide the side bar, make the window as tall as the notebook.
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
            expect(page.locator("#jp-left-stack")).to_be_hidden()
            height = page.evaluate(
                """() => { const outer = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
                           const cells = outer.querySelectorAll('.jp-Cell');
                           outer.scrollTop = 0;
                           return cells[cells.length - 1].getBoundingClientRect().bottom; }""")
            page.set_viewport_size({"width": 1280, "height": min(int(height) + 60, 8000)})
            expect(item(page, "gold.practice.single")).to_be_in_viewport(ratio=1)
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()

    shutil.copy(screenshot, SCREENSHOT_COPY)
    print(f"screenshot: {screenshot} (copied to {SCREENSHOT_COPY})")
    assert not console_errors, f"uncaught errors in the page: {console_errors}"
