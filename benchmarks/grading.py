"""Benchmark: nbgrader's own serial autograde against `empathy-ce grade` on the same synthetic submissions.

    .venv/bin/python benchmarks/grading.py            # 1,000 submissions of each kind (takes hours serially)
    .venv/bin/python benchmarks/grading.py --n 40     # a quick run
    .venv/bin/python benchmarks/grading.py --n-code 150   # 1,000 post-tests, 150 data notebooks (serially
                                                          # about 75 and 35 minutes for nbgrader here)

Two kinds of submission are made from the real course (solutions/, generated with nbgrader):

- post-tests: N learners, each submitting one module's post-test (modules in turn) with an answers.json of
  random quality: right, partly right, wrong, blank, invalid or tampered answers, written answers, a few
  broken answer files and learners' own code cells;
- code: N learners submitting the outcomes module's data notebook, whose optional coding path is run by
  nbgrader (right, wrong, blank or failing code).

Each kind is graded three times from identical copies of the course, each with its own gradebook:

- baseline: stock `nbgrader autograde "*"` (one serial process, as an instructor runs it) with every notebook
  executed in a kernel: the course's plug-ins that only save time turned off (``KERNEL_ONLY``);
- stock: the same command with the course's nbgrader_config.py as it is (kernel-free execution on), what
  formgrader's Autograde button runs;
- empathy-ce: `empathy-ce grade` (worker processes, per-run set-up once per worker).

All are timed as whole commands from the shell, start-up included. Every grade (auto score and manual-grading
flag of every grade cell of every submission) and every autograded notebook (outputs and execution counts; the
kernel's timing metadata aside) must be identical to the baseline's, or the benchmark fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from empathy_ce import cells, kinds  # noqa: E402
from empathy_ce import course as course_model  # noqa: E402

BIN = Path(sys.executable).parent
# Everything that makes stock nbgrader autograde faster with this course's configuration, turned off.
# (One engine per gradebook database, grading/engines.py, is turned off through the environment: KERNEL_ONLY_ENV.)
KERNEL_ONLY_ENV = {"EMPATHY_CE_SHARED_ENGINES": "0"}
KERNEL_ONLY = ["--KernelFreeExecute.kernel_free=False", "--KernelFreeExecute.sliced_polling=False",
               "--Exporter.optimistic_validation=False", "--OneCommitSaveAutoGrades.one_commit=False"]
STAMP = "2026-05-04 09:30:00.000000 UTC"
OWN_CELL = "score = lambda item_id, key: 99\nimport empathy_ce.notebook as _n\n_n.score = score\n"


def run(command: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> float:
    # nbgrader runs `alembic` (and start-up runs `jupyter`) from PATH: this environment's, activated or not.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(extra_env or {})}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{tail}")
    return seconds


def make_course(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("nbgrader_config.py",):
        shutil.copy(ROOT / name, folder / name)
    for name in ("course", "solutions"):
        shutil.copytree(ROOT / name, folder / name)
    run([str(BIN / "nbgrader"), "generate_assignment", "*", "--force"], folder)
    return folder


def items(course: course_model.Course, module: course_model.Module, notebook: str) -> list[tuple[dict, object]]:
    found = []
    for cell in nbformat.read(course.source(module, notebook), as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec:
            found.append((spec, cells.keys(cell.source).get(spec["id"])))
    return found


def random_answer(spec: dict, key: object, ability: float, rng: random.Random) -> object:
    """One learner's answer from the item kind's own sample generator (kinds/<kind>/, shared with the tests):
    blank, invalid (as if the file had been edited by hand), right with probability `ability`, else partly
    right, wrong or a guess."""
    kind = kinds.get(spec["kind"])
    roll = rng.random()
    if roll < 0.05:
        return None  # left blank
    if key is None:
        key = spec.get("answer")
    if key is None and not kind.manual:
        return kind.guess(spec, rng)
    samples = kind.samples(spec, key, rng)
    if roll < 0.08:
        return rng.choice(samples["invalid"])
    if kind.manual:
        return kind.guess(spec, rng)
    if rng.random() < ability:
        return key
    return rng.choice([*samples["partial"], *samples["wrong"], kind.guess(spec, rng)])


def answer_file(values: dict[str, object]) -> str:
    return json.dumps({"format": "empathy-ce/answers", "version": 1,
                       "items": {k: {"value": v} for k, v in values.items() if v is not None}})


def submit(course_root: Path, learner: str, module: str, notebooks: dict[str, nbformat.NotebookNode],
           answers: str | None) -> None:
    folder = course_root / "submitted" / learner / module
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    if answers is not None:
        (folder / "answers.json").write_text(answers)
    (folder / "timestamp.txt").write_text(STAMP)


def posttest_submissions(course_root: Path, n: int, rng: random.Random) -> None:
    course = course_model.load(course_root)
    for i in range(n):
        module = course.modules[i % len(course.modules)]
        nb = nbformat.read(course.release(module, module.posttest), as_version=4)
        ability = rng.random()
        values = {spec["id"]: random_answer(spec, key, ability, rng) for spec, key in items(course, module,
                                                                                           module.posttest)}
        answers: str | None = answer_file(values)
        roll = rng.random()
        if roll < 0.02:
            answers = "{ not json"
        elif roll < 0.04:
            answers = None
        elif roll < 0.06:  # a learner's own code cell before the items
            nb.cells.insert(2, nbformat.v4.new_code_cell(OWN_CELL))
        submit(course_root, f"p{i:05d}", module.id, {module.posttest: nb}, answers)


def code_submissions(course_root: Path, n: int, rng: random.Random) -> None:
    course = course_model.load(course_root)
    module = next(m for m in course.modules if m.data)
    release = nbformat.read(course.release(module, module.data), as_version=4)
    solutions = {}
    for cell in nbformat.read(course.source(module, module.data), as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and cells.item_spec(cell.source) is None:
            solutions[meta["grade_id"]] = re.sub(r"### (BEGIN|END) SOLUTION\n?", "", cell.source)
    practice = items(course, module, module.data)
    for i in range(n):
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in solutions:
                variable = re.search(r"^(\w+) = None", solutions[gid], re.M)[1]
                cell.source = rng.choice([
                    solutions[gid],                                   # right
                    cell.source,                                      # left as released
                    f"{cell.source}\n{variable} = 0.123",             # wrong
                    f"{cell.source}\n{variable} = undefined_name",    # fails
                ])
        values = {spec["id"]: random_answer(spec, None, rng.random(), rng) for spec, _ in practice}
        submit(course_root, f"d{i:05d}", module.id, {module.data: nb}, answer_file(values))


def grades(course_root: Path) -> dict[tuple[str, str, str, str], tuple[float | None, bool]]:
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        found[submission.student.id, assignment.name, notebook.name, grade.name] = (
                            grade.auto_score, grade.needs_manual_grade)
    return found


def stalls(course_root: Path) -> int:
    """Kernel runs that sat idle a minute or more between two cells (nbclient issue #312, after widget cells)."""
    import datetime as dt

    found = 0
    for path in course_root.glob("autograded/*/*/*.ipynb"):
        previous = None
        for cell in nbformat.read(path, as_version=4).cells:
            timing = cell.get("metadata", {}).get("execution", {})
            if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
                start = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
                if previous is not None and (start - previous).total_seconds() >= 60:
                    found += 1
                previous = dt.datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    return found


def notebooks(course_root: Path) -> dict[str, object]:
    """Every autograded notebook's cells as formgrader shows them (kernel timing aside, the folder as <root>)."""
    found = {}
    for path in sorted(course_root.glob("autograded/*/*/*.ipynb")):
        text = path.read_text().replace(str(course_root), "<root>")
        nb = nbformat.reads(text, as_version=4)
        found[str(path.relative_to(course_root))] = [
            (c.cell_type, c.source, {k: v for k, v in c.metadata.items() if k != "execution"}, c.get("outputs"),
             c.get("execution_count")) for c in nb.cells]
    return found


def check_same(kind: str, name: str, expected: dict, got: dict, what: str) -> None:
    differ = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
    if differ or not expected:
        for k in differ[:20]:
            print(f"  DIFFERENT {k}: nbgrader {str(expected.get(k))[:200]}, {name} {str(got.get(k))[:200]}")
        raise SystemExit(f"[{kind}] {name}: {what} differ on {len(differ)} of {len(expected)}")


def compare(kind: str, n: int, base: Path, make: callable, seed: int, workers: int | None,
            before_src: Path | None = None) -> dict[str, float]:
    nb_course = base / f"{kind}-nbgrader"
    stock = base / f"{kind}-stock"
    ours = base / f"{kind}-empathy-ce"
    shutil.copytree(base / "template", nb_course)
    make(nb_course, n, random.Random(seed))
    shutil.copytree(nb_course, ours)
    shutil.copytree(nb_course, stock)
    if before_src is not None:
        for name in ("stock-before", "empathy-ce-before"):
            shutil.copytree(nb_course, base / f"{kind}-{name}")
    print(f"[{kind}] {n} submissions; nbgrader autograde (serial, kernels) ...", flush=True)
    serial = run([str(BIN / "nbgrader"), "autograde", "*", *KERNEL_ONLY], nb_course, KERNEL_ONLY_ENV)
    print(f"[{kind}] nbgrader: {serial:.1f} s; nbgrader autograde (serial, course config) ...", flush=True)
    plugged = run([str(BIN / "nbgrader"), "autograde", "*"], stock)
    print(f"[{kind}] nbgrader with the plug-in: {plugged:.1f} s; empathy-ce grade ...", flush=True)
    command = [str(BIN / "empathy-ce"), "--root", str(ours), "grade", "--no-progress"]
    if workers:
        command += ["--workers", str(workers)]
    fast = run(command, ours)
    checked = [("stock", stock), ("empathy-ce", ours)]
    before = {}
    if before_src is not None:  # the same two commands with another version of the package (e.g. main's src/)
        env = {"PYTHONPATH": str(before_src)}
        for name, root in (("stock-before", base / f"{kind}-stock-before"), ("empathy-ce-before",
                                                                           base / f"{kind}-empathy-ce-before")):
            print(f"[{kind}] {name} ({before_src}) ...", flush=True)
            before[name] = run([str(BIN / "nbgrader"), "autograde", "*"] if name == "stock-before" else
                               # (python -m: an older package's command may have another entry point)
                               [sys.executable, "-m", "empathy_ce.cli", "--root", str(root), "grade", "--no-progress",
                                *(["--workers", str(workers)] if workers else [])], root, env)
            checked.append((name, root))
    expected, expected_nbs = grades(nb_course), notebooks(nb_course)
    for name, root in checked:
        check_same(kind, name, expected, grades(root), "grades")
        check_same(kind, name, expected_nbs, notebooks(root), "autograded notebooks")
    result = {"n": n, "grades": len(expected), "nbgrader_s": serial, "stock_s": plugged, "ours_s": fast,
              "nbgrader_per_min": n / serial * 60, "stock_per_min": n / plugged * 60, "ours_per_min": n / fast * 60,
              "stock_ratio": serial / plugged, "ratio": serial / fast,
              "nbgrader_stalls": stalls(nb_course), "ours_stalls": stalls(ours)}
    if before:
        result.update(stock_before_s=before["stock-before"], ours_before_s=before["empathy-ce-before"],
                      stock_before_ratio=serial / before["stock-before"],
                      ratio_before=serial / before["empathy-ce-before"])
        print(f"[{kind}] before ({before_src}): with the plug-in {result['stock_before_ratio']:.1f}x, empathy-ce "
              f"{result['ratio_before']:.1f}x; now {result['stock_ratio']:.1f}x and {result['ratio']:.1f}x", flush=True)
    print(f"[{kind}] identical scores on all {len(expected)} grades and all {len(expected_nbs)} autograded notebooks "
          f"of {n} submissions; nbgrader {result['nbgrader_per_min']:.1f}/min, with the plug-in "
          f"{result['stock_per_min']:.1f}/min ({result['stock_ratio']:.1f}x), empathy-ce "
          f"{result['ours_per_min']:.1f}/min ({result['ratio']:.1f}x); kernel runs stalled a minute or more: "
          f"nbgrader {result['nbgrader_stalls']}, empathy-ce {result['ours_stalls']}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="submissions of each kind (default 1000)")
    parser.add_argument("--n-code", type=int, default=None,
                        help="submissions of the notebook with code cells (default: --n)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=None, help="empathy-ce grade --workers (default: its own)")
    parser.add_argument("--only", choices=("posttests", "code"), default=None)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's course folders")
    parser.add_argument("--before-src", type=Path, default=None,
                        help="also time both commands with this src/ folder first on PYTHONPATH (e.g. an export of "
                             "main's src/), on identical copies, for before/after ratios in one run")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="empathy-ce-bench-"))
    try:
        make_course(base / "template")
        results = {}
        kinds = {"posttests": posttest_submissions, "code": code_submissions}
        for kind, make in kinds.items():
            if args.only in (None, kind):
                n = args.n_code if kind == "code" and args.n_code is not None else args.n
                results[kind] = compare(kind, n, base, make, args.seed, args.workers, args.before_src)
        print("\nkind       submissions  nbgrader/min  +plug-in/min  speed-up  empathy-ce/min  speed-up")
        for kind, r in results.items():
            print(f"{kind:<10} {r['n']:>11}  {r['nbgrader_per_min']:>12.1f}  {r['stock_per_min']:>12.1f}  "
                  f"{r['stock_ratio']:>7.1f}x  {r['ours_per_min']:>14.1f}  {r['ratio']:>7.1f}x")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        if args.keep:
            print(f"course folders kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
