"""The command line starts without jsonschema's "iri" format checks (empathy_ce/cli/startup.py); kernels keep them.

Each check runs in a fresh interpreter, as `empathy-ce` starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from support import ROOT

from empathy_ce import items


def loaded_after(code: str) -> dict[str, bool]:
    probe = ("import sys\n" + code + "\nimport json\nprint(json.dumps({m: sys.modules.get(m) is not None for m in "
             "('rfc3987_syntax', 'jsonschema', 'nbformat', 'empathy_ce.notebook')}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_command_line_loads_jsonschema_without_the_iri_checks() -> None:
    loaded = loaded_after("from empathy_ce.cli import main\nfrom empathy_ce.instructor import grade")
    assert loaded["jsonschema"] and loaded["nbformat"]
    assert not loaded["rfc3987_syntax"]


def test_a_kernel_loads_the_notebook_api_and_jsonschema_as_installed() -> None:
    loaded = loaded_after("from empathy_ce import ask, score, progress\nimport empathy_ce\n"
                          "assert empathy_ce.ask is ask\n"
                          "try:\n    empathy_ce.nothing\nexcept AttributeError:\n    pass\n"
                          "else:\n    raise SystemExit(1)")
    assert loaded["empathy_ce.notebook"] and loaded["jsonschema"]
    assert loaded["rfc3987_syntax"]  # (installed here through jupyter-events; a kernel is left as it is)


def _formats(schema: Any) -> Iterator[str]:
    """Every value of a `format` keyword in a JSON schema (a property named "format" is an object, not a string)."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "format" and isinstance(value, str):
                yield value
            else:
                yield from _formats(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _formats(value)


def test_no_schema_of_the_course_names_a_format() -> None:
    """So going without a format checker's iri check loses nothing (see empathy_ce/cli/startup.py)."""
    files = [p for p in (ROOT / "src" / "empathy_ce").rglob("*schema.json")]
    assert len(files) >= 10  # every kind's, the item schema, the conversation's
    for path in files:
        assert list(_formats(json.loads(path.read_text()))) == [], path
    assert list(_formats(items.schema())) == []
    assert list(_formats({"properties": {"format": {"type": "string", "format": "iri"}}})) == ["iri"]  # the finder


def test_the_command_exits_with_mains_code_its_objects_frozen() -> None:
    """`empathy-ce` is run(): main's exit code, with the heap moved out of the collector's way before Python's
    last sweep at exit (a quarter of a second with nbgrader loaded). Run where the command runs: its own process."""
    probe = ("import gc, sys\nimport empathy_ce.cli as cli\ncli.main = lambda: 3\n"
             "sys.exit = lambda code: print(code, gc.get_freeze_count() > 1000)\ncli.run()")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split() == ["3", "True"]


def test_the_installed_command_is_run() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="empathy-ce")
    assert script.value == "empathy_ce.cli:run"
    python_m = subprocess.run([sys.executable, "-m", "empathy_ce.cli", "--root", "/nonexistent", "check"],
                              capture_output=True, text=True, cwd=ROOT)
    assert python_m.returncode != 0 and "Traceback" not in python_m.stderr
    assert python_m.stderr.strip() == ("error: no course (nbgrader_config.py and course/course.yml) at or above "
                                       "/nonexistent; run the command in the course folder or give it with --root")
