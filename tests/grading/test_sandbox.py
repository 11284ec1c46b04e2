"""Learner code at autograde: limits, no planted modules, and a sandbox without network, keys or gradebook.

Each attack is a learner's answer cell; its hidden test gives the point only if the answer is 42, and the
isolation attacks set 42 only when they get at something they must not (the key in solutions/, the gradebook,
another learner's answer, the grader's environment, a server on the grader's network). A control learner
submits the same attacks graded with ``isolation = "none"``, which proves each would raise the score without
the sandbox.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import nbformat
import pytest
from nbgrader.api import Gradebook
from support import golden
from support.course import Course
from support.hardening import tried

from empathy_ce.grading.sandbox import bwrap_problem

pytestmark = [pytest.mark.slow, pytest.mark.hardening]

SECRET = "EMPATHY_CE_TEST_GRADER_SECRET"
ATTACKS = {
    "loop": "while True:\n    pass",
    "memory": "hog = bytearray(6 * 1024 ** 3)",
    "output": "for _ in range(20000):\n    print('flood ' * 20)",
    "disk": "open('big.bin', 'wb').write(bytes(200 * 1024 ** 2))",
}
# Formatted with the course root and the port of a server on the grader's loopback that answers "42".
ISOLATION = {
    "read_key": "import pathlib\n"
                "source = pathlib.Path('{root}/solutions/attack/attack.ipynb').read_text()\n"
                "read_key = 42 if 'read_key = 42' in source else None",
    "read_gradebook": "import sqlite3\n"
                      "db = sqlite3.connect('file:{root}/gradebook.db?mode=ro', uri=True)\n"
                      "rows = db.execute('select source from source_cell').fetchall()\n"
                      "read_gradebook = 42 if any('read_gradebook == 42' in r[0] for r in rows) else None",
    "write_gradebook": "import sqlite3\n"
                       "db = sqlite3.connect('{root}/gradebook.db')\n"
                       "db.execute(\"update student set first_name = 'changed by a learner'\")\n"
                       "db.commit()\n"
                       "write_gradebook = 42",
    "other_learner": "import pathlib\n"
                     "answer = pathlib.Path('{root}/submitted/honest/attack/attack.ipynb').read_text()\n"
                     "other_learner = 42 if 'other_learner = 42' in answer else None",
    "environment": f"import os\nenvironment = int(os.environ['{SECRET}'])",
    "processes": "import glob\n"
                 "seen = b''\n"
                 "for path in glob.glob('/proc/[0-9]*/environ'):\n"
                 "    try:\n"
                 "        seen += open(path, 'rb').read()\n"
                 "    except OSError:\n"
                 "        pass\n"
                 f"processes = 42 if b'{SECRET}=42' in seen else None",
    "network": "import socket\n"
               "network = int(socket.create_connection(('127.0.0.1', {port}), timeout=5).recv(16))",
}
# Tricks from inside the kernel: each would pass its hidden test (or every later one) without the answer.
IN_KERNEL = {
    "rewrite_tests": "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
    "always_equal": "class Anything:\n"
                    "    def __eq__(self, other):\n"
                    "        return True\n"
                    "always_equal = Anything()",
    "hide_failures": "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
                     "get_ipython().showsyntaxerror = lambda *args, **kwargs: None",
}
needs_bwrap = pytest.mark.skipif(bwrap_problem("bwrap") is not None and not os.environ.get("CI"),
                                 reason=f"bubblewrap is not usable here: {bwrap_problem('bwrap')}")


def code_cell(source: str, grade_id: str, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "task": False, "locked": False,
                                 "grade": False, "solution": False, **flags}
    return cell


def attack_notebook() -> nbformat.NotebookNode:
    """One answer cell and one hidden-test cell (1 point) per attack, then an honest question."""
    cells = [nbformat.v4.new_markdown_cell("# Sandbox check")]
    for name in [*ATTACKS, *ISOLATION, *IN_KERNEL, "honest"]:
        cells.append(code_cell(f"{name} = None\n### BEGIN SOLUTION\n{name} = 42\n### END SOLUTION", name,
                               solution=True))
        cells.append(code_cell(f"### BEGIN HIDDEN TESTS\nassert {name} == 42\n### END HIDDEN TESTS", f"{name}-test",
                               grade=True, locked=True, points=1))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, list[str]]]:
    """A TCP server on the grader's loopback that hands out the answer to anyone who connects."""
    listener = socket.create_server(("127.0.0.1", 0))
    visitors: list[str] = []

    def serve() -> None:
        while True:
            try:
                connection, address = listener.accept()
            except OSError:
                return
            visitors.append(address[0])
            connection.sendall(b"42")
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], visitors
    listener.close()


@dataclass
class Graded:
    course: Course
    logs: dict[str, str]  # learner -> what autograde printed
    names: dict[str, set[str | None]]  # learner -> first names in the gradebook right after grading them
    visits: dict[str, int]  # learner -> connections that reached the server while they were graded


# learner -> (attacks in the submission, extra autograde options)
NO_SCREENING = "--ScreenLearnerCode.enabled=False"
LEARNERS = {
    "attacker": ({**ATTACKS, **ISOLATION}, [NO_SCREENING]),  # the sandbox alone
    "control": (ISOLATION, [NO_SCREENING, "--LimitedKernelManager.isolation=none"]),  # neither
    "trick_control": (IN_KERNEL, [NO_SCREENING]),  # the sandbox alone
    "trickster": ({**ATTACKS, **ISOLATION, **IN_KERNEL}, []),  # the course's configuration
    "honest": ({}, []),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, server: tuple[int, list[str]]) -> Graded:
    root = tmp_path_factory.mktemp("sandbox") / "course"
    root.mkdir()
    course = Course(root)
    course.add_source("attack", "attack", attack_notebook())
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "attack", "--force")
    course.nbgrader("generate_assignment", "gold", "--force")
    for learner, (attacks, _) in LEARNERS.items():
        folder = root / "submitted" / learner / "attack"
        shutil.copytree(root / "exercises" / "attack", folder)
        nb = nbformat.read(folder / "attack.ipynb", as_version=4)
        for cell in nb.cells:
            name = cell.metadata.get("nbgrader", {}).get("grade_id")
            if name in attacks:
                cell.source = attacks[name].format(root=root, port=server[0])
            elif cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = f"{name} = 42"
        nbformat.write(nb, folder / "attack.ipynb")
    planted = root / "submitted" / "planter" / "gold"
    shutil.copytree(root / "exercises" / "gold", planted)
    (planted / "empathy_ce").mkdir()
    (planted / "empathy_ce" / "__init__.py").write_text(
        "def ask(**spec): pass\ndef progress(): pass\ndef score(item_id, key): return 1.0\n")
    os.environ[SECRET] = "42"  # in the grader's environment, as a database password would be
    logs, names, visits = {}, {}, {}
    try:
        for learner, (_, options) in LEARNERS.items():
            before = len(server[1])
            result = course.nbgrader("autograde", "attack", f"--student={learner}", "--Execute.timeout=10", *options,
                                     check=False)
            visits[learner] = len(server[1]) - before
            logs[learner] = result.stdout + result.stderr
            with Gradebook(course.db_url) as gb:
                names[learner] = {s.first_name for s in gb.students}
        course.nbgrader("autograde", "gold")
    finally:
        del os.environ[SECRET]
    return Graded(course, logs, names, visits)


def scores(course: Course, assignment: str, learner: str) -> dict[str, float]:
    with Gradebook(course.db_url) as gb:
        return {g.name: g.auto_score for nb in gb.find_submission(assignment, learner).notebooks for g in nb.grades}


def check_scores(graded: Graded, learner: str, attacks: dict[str, str], expected: float) -> dict[str, float]:
    """Assert the learner's attack items all scored `expected`; returns all the learner's scores."""
    scored = scores(graded.course, "attack", learner)
    assert {name: scored[f"{name}-test"] for name in attacks} == dict.fromkeys(attacks, expected), \
        graded.logs[learner][-3000:]
    return scored


def test_each_attack_costs_only_its_own_item(graded: Graded, request: pytest.FixtureRequest):
    attacker = check_scores(graded, "attacker", ATTACKS, 0.0)
    assert attacker["honest-test"] == 1  # the cells after the attacks still ran
    assert scores(graded.course, "attack", "honest") == {
        f"{n}-test": 1.0 for n in [*ATTACKS, *ISOLATION, *IN_KERNEL, "honest"]}
    tried(request, attacks=len(ATTACKS))


@needs_bwrap
@pytest.mark.parametrize(("learner", "attacks"), [("control", ISOLATION), ("trick_control", IN_KERNEL)],
                         ids=["without the sandbox", "without screening"])
def test_without_the_protection_each_attack_would_score(graded: Graded, learner: str, attacks: dict[str, str]):
    check_scores(graded, learner, attacks, 1.0)


@needs_bwrap
def test_in_the_sandbox_no_isolation_attack_scores(graded: Graded, request: pytest.FixtureRequest):
    attacker = check_scores(graded, "attacker", ISOLATION, 0.0)
    assert attacker["honest-test"] == 1
    assert graded.names["attacker"] == {None}  # the gradebook was not written (the control run did write it)
    assert "changed by a learner" in graded.names["control"]
    assert graded.visits == {"attacker": 0, "control": 1, "trick_control": 0, "trickster": 0, "honest": 0}
    tried(request, attacks=len(ISOLATION))


@needs_bwrap
def test_with_the_course_configuration_no_attack_scores(graded: Graded, request: pytest.FixtureRequest):
    trickster = check_scores(graded, "trickster", {**ATTACKS, **ISOLATION, **IN_KERNEL}, 0.0)
    assert trickster["honest-test"] == 1
    log = graded.logs["trickster"]
    assert "Learner 'trickster', attack: answer cell rewrite_tests was not run: line 1:" in log
    autograded = nbformat.read(graded.course.root / "autograded/trickster/attack/attack.ipynb", as_version=4)
    kept = next(c.source for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "always_equal")
    assert kept.startswith("# Not run at grading: line 1: ClassDef") and "#     def __eq__(self, other):" in kept
    tried(request, attacks=len(IN_KERNEL))


def test_without_bubblewrap_autograde_refuses_to_run_learner_code(course: Course):
    course.add_source("gold", "gold", golden.notebook())
    course.nbgrader("generate_assignment", "gold", "--force")
    shutil.copytree(course.root / "exercises" / "gold", course.root / "submitted" / "someone" / "gold")
    # A kernel (kernel-free grading off, as for any notebook it cannot prove widget-only) needs the sandbox.
    result = course.nbgrader("autograde", "gold", "--LimitedKernelManager.bwrap=/nonexistent/bwrap",
                             "--KernelFreeExecute.kernel_free=False", check=False)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "bubblewrap is not usable" in log and "apt install bubblewrap" in log, log[-3000:]
    assert not (course.root / "autograded" / "someone" / "gold").exists()  # nothing graded without the sandbox
    # A widget-only notebook runs no learner code at all when graded without a kernel: no sandbox is needed.
    result = course.nbgrader("autograde", "gold", "--LimitedKernelManager.bwrap=/nonexistent/bwrap", check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert (course.root / "autograded" / "someone" / "gold" / "gold.ipynb").exists()


def test_output_is_capped(graded: Graded):
    notebook = graded.course.root / "autograded" / "attacker" / "attack" / "attack.ipynb"
    assert notebook.stat().st_size < 2_000_000


def test_a_planted_module_cannot_replace_the_grader(graded: Graded, request: pytest.FixtureRequest):
    planter = scores(graded.course, "gold", "planter")
    assert all(score == 0 for name, score in planter.items() if name != "gold-post-text")
    tried(request, attacks=1)
