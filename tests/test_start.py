"""The main job: `empathy-ce start` serves JupyterLab on the course with nbgrader's formgrader ready."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import BIN, ROOT

from empathy_ce import course as course_model

pytestmark = pytest.mark.slow


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_start_serves_the_course_with_the_formgrader(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    for part in ("solutions", "exercises", "course"):
        shutil.copytree(ROOT / part, root / part)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    port, token = free_port(), "test-token"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    server = subprocess.Popen([str(BIN / "empathy-ce"), "--root", str(root), "start", "--", "--no-browser",
                               f"--port={port}", f"--IdentityProvider.token={token}", "--ip=127.0.0.1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.5)
        names = {a["name"] for a in get(f"{base}/formgrader/api/assignments", token)}
        assert {m.id for m in course_model.load(ROOT).modules} <= names
        request = urllib.request.Request(f"{base}/lab/tree/exercises/trust/trust_practice.ipynb",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as page:
            assert page.status == 200 and b"JupyterLab" in page.read()
        assert (root / "exchange").is_dir()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
