"""The main job: `empathy-ce start` serves JupyterLab on the course with nbgrader's formgrader ready."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import BIN, ROOT

from empathy_ce import course as course_model

pytestmark = pytest.mark.slow

TOKEN = "test-token"
MODULES = [m.id for m in course_model.load(ROOT).modules] + list(course_model.load(ROOT).retake_assignments())
# Jupyter Server's own routes below a contents path (/api/contents/<path>/trust, .../checkpoints): a folder of
# that name cannot be opened from the file browser (the first module was called "trust" until issue 15).
SERVER_ROUTES = {"trust", "checkpoints"}


def test_no_module_folder_is_named_like_a_server_route():
    assert not SERVER_ROUTES & set(MODULES), "rename the module: JupyterLab cannot open a folder with this name"


def get(url: str, token: str = TOKEN):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`empathy-ce start --port N --ip ... --no-browser -- <other options>` on a copy of the course."""
    tmp_path = tmp_path_factory.mktemp("start")
    root = tmp_path / "course"
    root.mkdir()
    for part in ("solutions", "exercises", "course"):
        shutil.copytree(ROOT / part, root / part)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    port = free_port()
    (tmp_path / "settings").mkdir()  # no user settings: the news prompt must be off by empathy-ce start itself
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    # The everyday JupyterLab options directly (issue 15.7), anything else after `--`.
    server = subprocess.Popen([str(BIN / "empathy-ce"), "--root", str(root), "start", "--port", str(port),
                               "--ip", "127.0.0.1", "--no-browser", "--", f"--IdentityProvider.token={TOKEN}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.5)
        else:
            raise AssertionError("empathy-ce start did not serve /api/status within 60 s")
        yield base, root
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_start_serves_the_course_with_the_formgrader(served: tuple[str, Path]):
    base, root = served
    request = urllib.request.Request(f"{base}/custom/custom.css", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as reply:  # the learner view's CSS (issue 15.4)
        assert b".jp-CodeCell:has(.jp-InputPlaceholder) .jp-Cell-inputWrapper" in reply.read()
    names = {a["name"] for a in get(f"{base}/formgrader/api/assignments")}
    assert set(MODULES) <= names
    module = course_model.load(root).modules[-1]
    request = urllib.request.Request(f"{base}/lab/tree/exercises/{module.id}/{module.posttest}.ipynb",
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as page:
        html = page.read().decode()
        assert page.status == 200 and "JupyterLab" in html
    config = json.loads(html.split('id="jupyter-config-data" type="application/json">', 1)[1].split("</script>")[0])
    assert config["news"] == {"disabled": True}  # the server fetches no news
    notification = get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification")["schema"]
    defaults = {name: spec.get("default") for name, spec in notification["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False  # so JupyterLab does not ask
    assert (root / "exchange").is_dir()


@pytest.mark.parametrize("module", MODULES)
def test_every_module_folder_opens_through_the_contents_api(served: tuple[str, Path], module: str):
    """Issue 15.1: a folder whose path ends in a Jupyter Server route answers 405 and cannot be opened."""
    base, root = served
    expected = sorted(p.name for p in (root / "exercises" / module).iterdir())
    try:
        listing = get(f"{base}/api/contents/exercises/{urllib.parse.quote(module)}")
    except urllib.error.HTTPError as err:
        pytest.fail(f"GET /api/contents/exercises/{module}: HTTP {err.code}")
    assert listing["type"] == "directory"
    assert sorted(entry["name"] for entry in listing["content"]) == expected


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A JupyterLab-sized page in the shared Chromium (tests/browser.py: fails, not skips, under CI)."""
    opened = browser.new_page(viewport={"width": 1366, "height": 768})
    opened.set_default_timeout(30_000)
    yield opened
    opened.close()


@pytest.mark.browser
@pytest.mark.parametrize("module", MODULES)
def test_every_module_folder_opens_from_the_file_browser(served: tuple[str, Path], page: Any, module: str):
    """Double-click the module's folder in JupyterLab's file browser: its notebooks are listed."""
    base, root = served
    notebooks = sorted(p.name for p in (root / "exercises" / module).glob("*.ipynb"))
    page.goto(f"{base}/lab/tree/exercises?token={TOKEN}")
    listing = page.locator(".jp-DirListing-content")
    listing.locator(".jp-DirListing-item", has_text=module).first.wait_for()
    page.locator(".jp-BreadCrumbs").get_by_text("exercises").wait_for()
    # Exactly this folder: m1-trust-retake's title also begins with "Name: m1-trust".
    listing.locator(".jp-DirListing-item").filter(has=page.get_by_text(module, exact=True)).dblclick()
    for name in notebooks:
        listing.locator(f".jp-DirListing-item[title^='Name: {name}']").wait_for(timeout=10_000)
    assert page.locator(".jp-BreadCrumbs").inner_text().strip().strip("/").endswith(f"exercises/{module}")


@pytest.mark.browser
def test_first_open_shows_no_item_code(served: tuple[str, Path], page: Any):
    """Issue 15.4 before any run: no grey '#| label ...' bars, only the text and the Run All instruction."""
    base, root = served
    module = course_model.load(root).modules[-1]
    notebook = module.practice[0]
    page.goto(f"{base}/lab/tree/exercises/{module.id}/{notebook}.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_timeout(1000)
    placeholders = page.locator(".jp-InputPlaceholder")
    assert placeholders.count() > 0  # the item cells are there, collapsed ...
    visible = page.evaluate("""() => [...document.querySelectorAll('.jp-InputPlaceholder')]
                                 .filter(e => e.getBoundingClientRect().height > 0).length""")
    assert visible == 0, f"{visible} item code bars are visible"  # ... and not shown
    assert "Run All Cells" in page.locator(".jp-NotebookPanel .jp-MarkdownCell").first.inner_text()
