"""A real JupyterLab server on a learner's folder, and the page steps the JupyterLab browser tests share.

The server's kernels are shut down through the REST API before the server stops: they run in their own sessions
and would outlive it. Pages come from the one Chromium fixture (support.browser), in a context of their own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from support import BIN

# Every wait in these tests; a step that needs longer under load must be made cheaper, not waited for longer.
TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


class Lab:
    """A JupyterLab server on one folder; start() and stop() can be repeated (a learner closing the laptop)."""

    def __init__(self, folder: Path, state: Path, env: dict[str, str] | None = None) -> None:
        self.folder, self.state, self.env = folder, state, env or {}
        self.server: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> str:
        port = free_port()
        settings = self.state / "lab-settings"
        # User settings that keep JupyterLab quiet: no news prompt, no update check.
        notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        (self.state / "lab-workspaces").mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "JUPYTERLAB_SETTINGS_DIR": str(settings),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.state / "lab-workspaces")}
        self.log = (self.state / "jupyter-lab.log").open("a")
        self.server = subprocess.Popen(
            [str(BIN / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--allow-root",
             "--ServerApp.port_retries=0",  # a taken port is an error, not another server's address
             "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
             f"--ServerApp.root_dir={self.folder}", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=self.folder, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if self.server.poll() is not None:
                raise AssertionError(f"jupyter lab exited early:\n{(self.state / 'jupyter-lab.log').read_text()}")
            try:
                get_json(f"{self.base}/api/status")
                return self.base
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("jupyter lab did not answer /api/status within 60 s") from None
                time.sleep(0.25)

    def stop(self) -> None:
        if self.server is None:
            return
        try:
            for kernel in get_json(f"{self.base}/api/kernels"):
                request = urllib.request.Request(f"{self.base}/api/kernels/{kernel['id']}", method="DELETE")
                urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass
        self.server.terminate()
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=10)
        self.log.close()
        self.server = None


def new_page(browser: Any, width: int, height: int, errors: list[str]) -> Any:
    """A page in a fresh context (no cookies or storage from another test); uncaught page errors go to errors.
    Close it with page.context.close()."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.on("pageerror", lambda err: errors.append(str(err)))
    return page


def item(page: Any, item_id: str) -> Any:
    return page.locator(f".ece-item[data-item='{item_id}']")


def wait_kernel_idle(page: Any) -> None:
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                 .some(e => /\\|\\s*Idle\\s*$/.test(e.textContent))""")


def wait_view_released(page: Any) -> None:
    """Until item.js stops holding the notebook's view where the learner had it (data-ece-held, a few seconds after
    the last item of a run renders). While held, a scroll that no learner input caused is undone, Playwright's
    scroll-into-view included: a click then lands on whatever is under the pointer after the view jumps back."""
    page.wait_for_function("() => !document.querySelector('.jp-WindowedPanel-outer[data-ece-held]')")


def open_notebook(page: Any, base: str, notebook: str) -> None:
    """Open a notebook and wait for its cells and an idle kernel."""
    page.goto(f"{base}/lab/tree/{notebook}.ipynb")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    wait_kernel_idle(page)


def menu(page: Any, top: str, entry: str) -> None:
    """Open a menu-bar menu by its title and click one entry, by its exact label."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel",
                                                    has_text=re.compile(f"^{re.escape(entry)}$"))).click()


def focused(page: Any) -> dict[str, Any]:
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


def press(page: Any, key: str) -> dict[str, Any]:
    page.keyboard.press(key)
    return focused(page)


def read_answers(path: Path) -> dict[str, Any]:
    """item id -> saved value of an answer file; {} while it is missing or being replaced."""
    try:
        return {k: v["value"] for k, v in json.loads(path.read_text("utf-8"))["items"].items()}
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return {}


def practice_answers(private: Path) -> dict[str, Any]:
    """item id -> saved value of the learner's private practice answers (kept outside the folder); {} if none yet."""
    files = list(private.rglob("answers.json"))
    return read_answers(files[0]) if files else {}
