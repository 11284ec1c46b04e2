"""Headless Debian Chromium for every browser test: one browser per test module, a local HTTP server, and one
logged page visit.

conftest.py registers the fixtures `browser` and `serve`; a test asks for them by name. Without Chromium the
browser tests skip, except under CI (`CI` set), where a missing browser is a failure: CI must run them.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0/2.1 A and AA, and the WCAG 2.2 AA rules axe-core has.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def missing(what: str) -> None:
    """Skip for a developer without the tool; fail under CI, where every browser test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (required under CI)")
    pytest.skip(what)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module", name="serve")
def serve_fixture() -> Iterator[Any]:
    """serve(folder) -> base URL of an HTTP server on 127.0.0.1 for that folder; all stopped afterwards."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def launch(playwright: Any) -> Any:
    """The one way the tests start Chromium: Debian's, headless (skipped without it; a failure under CI)."""
    if not CHROMIUM.exists():
        missing("Debian chromium is not installed at /usr/bin/chromium")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Any]:
    """A Chromium for a helper that is not a test (the instructor report's screenshots); closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = launch(p)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    """The one headless Chromium of a test module (a page or a context per test keeps tests apart)."""
    with chromium() as launched:
        yield launched


class Visit:
    """One page in a fresh browser context, every request and response logged, anything off 127.0.0.1 refused."""

    def __init__(self, browser: Any, url: str, **context: Any) -> None:
        self.requests: list[str] = []
        self.responses: list[Any] = []
        self.errors: list[str] = []
        self.context = browser.new_context(**{"viewport": {"width": 1200, "height": 900}, **context})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.responses.append(r))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def _route(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    def off_site(self) -> list[str]:
        def local(url: str) -> bool:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about"):
                return True
            if parts.scheme == "blob":
                return urlsplit(parts.path).hostname == "127.0.0.1"
            return parts.hostname == "127.0.0.1"

        return [u for u in self.requests if not local(u)]

    def transferred(self) -> dict[str, int]:
        """URL -> bytes of every response body the page loaded (what a first visit downloads)."""
        sizes = {}
        for response in self.responses:
            try:
                sizes[response.url] = len(response.body())
            except Exception:  # redirects and aborted requests have no body
                sizes.setdefault(response.url, 0)
        return sizes

    def close(self) -> None:
        self.context.close()


def axe_violations(page: Any, tags: list[str] = WCAG_TAGS) -> list[dict]:
    if not AXE.exists():
        missing("node_modules/axe-core is missing: run `npm ci` (make setup does when npm is installed)")
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                           "resultTypes: ['violations']})", tags)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:5]]} for v in result["violations"]]
