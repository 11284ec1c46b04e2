"""Conversations in real JupyterLab, in headless Debian Chromium (issue 13): the module's practice notebook, one
conversation played by mouse (with a step back), one by keyboard only; restart the kernel, Run All: both are
restored where the learner left them (from the private practice answers.json)."""

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

import pytest
from support import ROOT

from empathy_ce import cells

CHROMIUM = Path("/usr/bin/chromium")
BIN = Path(sys.executable).parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("EMPATHY_CE_SHOTS") or "/work/shots/convkind")
MODULE, NOTEBOOK = "m4-boundaries", "boundaries_practice"
MOUSE, KEYBOARD = "m4-boundaries.conv.nadia", "m4-boundaries.conv.kai"

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not at /usr/bin/chromium")]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    """JupyterLab on a learner's copy of the module's released folder; practice answers kept privately."""
    folder = tmp_path / "home" / MODULE
    shutil.copytree(ROOT / "exercises" / MODULE, folder)
    total = len(cells.notebook_items(folder / f"{NOTEBOOK}.ipynb"))
    private = tmp_path / "private"
    settings = tmp_path / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EMPATHY_CE_PRACTICE_DIR": str(private), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws")}
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--allow-root",
         "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         f"--ServerApp.root_dir={folder}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert server.poll() is None, (tmp_path / "lab.log").read_text()
        try:
            get_json(f"{base}/api/status")
            break
        except OSError:
            assert time.monotonic() < deadline, "jupyter lab did not answer"
            time.sleep(0.25)
    try:
        yield base, private, total
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def practice_answers(private: Path) -> dict[str, Any]:
    for path in private.rglob("answers.json"):
        try:
            return {k: v["value"] for k, v in json.loads(path.read_text("utf-8"))["items"].items()}
        except (json.JSONDecodeError, KeyError):
            return {}
    return {}


def wait_for(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.2)
    return found


def menu(page: Any, top: str, entry: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel",
                                                    has_text=re.compile(f"^{re.escape(entry)}$"))).click()


def idle(page: Any) -> None:
    page.wait_for_function("""() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                              .some(e => /\\|\\s*Idle\\s*$/.test(e.textContent))""")


def active(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => { const e = document.activeElement;
        return {cls: e.className, key: e.dataset.key || null, node: e.dataset.node || null,
                item: e.closest('.ece-item')?.dataset.item || null}; }""")


def test_conversations_by_mouse_and_keyboard_survive_a_kernel_restart(lab: tuple[str, Path, int]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, private, total = lab
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(f"{base}/lab/tree/{NOTEBOOK}.ipynb")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            idle(page)
            menu(page, "Run", "Run All Cells")
            page.wait_for_function(f"() => document.querySelectorAll('.ece-item').length === {total}")
            idle(page)

            # --- By mouse, with a step back.
            nadia = page.locator(f".ece-item[data-item='{MOUSE}']")
            nadia.scroll_into_view_if_needed()
            nadia.get_by_role("button", name=re.compile("^Start the conversation")).click()
            nadia.locator(".ece-conv-reply").first.click()
            first = nadia.locator(".ece-conv-you").first.inner_text()
            assert "Empathy rating:" in first  # practice feedback, in words
            wait_for(lambda: practice_answers(private).get(MOUSE), "the first reply is saved")
            nadia.get_by_role("button", name=re.compile("^Go back one turn")).click()
            expect(nadia.locator(".ece-conv-you")).to_have_count(0)
            wait_for(lambda: MOUSE not in practice_answers(private) or not practice_answers(private)[MOUSE],
                     "going back is saved")
            nadia.locator(".ece-conv-reply").nth(1).click()
            nadia.locator(".ece-conv-reply").first.click()
            mouse_path = wait_for(lambda: (practice_answers(private).get(MOUSE) or {}).get("path")
                                  if len((practice_answers(private).get(MOUSE) or {}).get("path", [])) == 2 else None,
                                  "two replies saved")
            shown_mouse = nadia.locator(".ece-conv-log").inner_text()

            # --- By keyboard only: Enter starts, focus goes to the client's line, Tab reaches the replies.
            kai = page.locator(f".ece-item[data-item='{KEYBOARD}']")
            kai.scroll_into_view_if_needed()
            kai.get_by_role("button", name=re.compile("^Start the conversation")).focus()
            page.keyboard.press("Enter")
            assert active(page)["node"] and active(page)["item"] == KEYBOARD  # the client's line has focus
            for turn in (1, 2):
                page.keyboard.press("Tab")
                page.keyboard.press("Tab")  # the second reply
                chosen = active(page)
                assert chosen["key"] and chosen["item"] == KEYBOARD, chosen
                page.keyboard.press("Enter")
                assert active(page)["node"], f"turn {turn}: focus did not move to the client's new line"
            keyboard_path = wait_for(lambda: (practice_answers(private).get(KEYBOARD) or {}).get("path")
                                     if len((practice_answers(private).get(KEYBOARD) or {}).get("path", [])) == 2
                                     else None, "the keyboard replies are saved")
            shown_keyboard = kai.locator(".ece-conv-log").inner_text()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "conversation-lab-keyboard.png"))

            # --- Restart the kernel, Run All: both conversations replay to where they were.
            page.evaluate("() => document.querySelectorAll('.ece-item').forEach(e => e.dataset.stale = '1')")
            menu(page, "Kernel", "Restart Kernel and Run All Cells…")
            page.locator(".jp-Dialog button.jp-mod-accept").click()
            page.wait_for_function(
                f"() => document.querySelectorAll('.ece-item:not([data-stale])').length === {total}")
            idle(page)
            nadia = page.locator(f".ece-item[data-item='{MOUSE}']:not([data-stale])")
            kai = page.locator(f".ece-item[data-item='{KEYBOARD}']:not([data-stale])")
            expect(nadia.locator(".ece-conv-you")).to_have_count(2)
            expect(kai.locator(".ece-conv-you")).to_have_count(2)
            assert nadia.locator(".ece-conv-log").inner_text() == shown_mouse
            assert kai.locator(".ece-conv-log").inner_text() == shown_keyboard
            assert practice_answers(private)[MOUSE]["path"] == mouse_path
            assert practice_answers(private)[KEYBOARD]["path"] == keyboard_path
            page.wait_for_timeout(3500)  # past the time item.js holds the view after a run
            for _ in range(3):  # the notebook renders cells near the view only: scroll, let it lay out, again
                page.evaluate("""(sel) => { const el = document.querySelector(sel);
                                            const outer = el.closest('.jp-WindowedPanel-outer');
                                            outer.scrollTop += el.getBoundingClientRect().top
                                                             - outer.getBoundingClientRect().top - 10; }""",
                              f".ece-item[data-item='{KEYBOARD}']:not([data-stale]) .ece-conv-log")
                page.wait_for_timeout(400)
            page.screenshot(path=str(SHOTS / "conversation-lab-restored.png"))
            assert not errors, errors
        finally:
            browser.close()
