"""JavaScript run in node, for the tests that hold the front end to Python's rules (the same cases, one run).

`run_module(folder, cases, code, result)` writes `cases` to `folder/cases.json` and runs an ES module in `folder`
that reads them into `cases`, runs `code` (imports, set-up; top-level `await` works) and prints `result` (an
expression) as JSON; it returns that JSON parsed. node is required, not optional: without it the JavaScript
rules would go unchecked, so its absence fails the test, and node's own error is shown if the module fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def run_module(folder: Path, cases: Any, code: str, result: str) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the front end's rules cannot be checked against Python's")
    (folder / "cases.json").write_text(json.dumps(cases, allow_nan=False))
    program = (f"import fs from 'fs';\nconst cases = JSON.parse(fs.readFileSync('cases.json'));\n{code}\n"
               f"console.log(JSON.stringify({result}));\n")
    done = subprocess.run([node, "--input-type=module", "-e", program], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, f"node failed:\n{done.stderr}"
    return json.loads(done.stdout)
