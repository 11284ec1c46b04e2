"""The outcomes data-exercise notebook: it runs top to bottom and computes the worked meta-analysis correctly.

The notebook is executed in a fresh kernel from a temporary copy of its folder. A probe cell appended to it
prints what the notebook computed, and the test compares that with an independent computation written here
with the math module only, and with the worked values in the course facts sheet (Exercise 2).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from support import ROOT

pytestmark = pytest.mark.slow  # runs the notebooks in real kernels

NAME = "outcomes_data.ipynb"
SOURCE = ROOT / "solutions" / "m2-outcomes" / NAME
RELEASE = ROOT / "exercises" / "m2-outcomes" / NAME

STUDIES = [(0.35, 40), (0.20, 120), (0.42, 25), (0.15, 200), (0.30, 60)]  # facts sheet, Exercise 2
MARK = "OUTCOMES-PROBE "
PROBE = f"""
import json as _json
print({MARK!r} + _json.dumps({{
    "meta": {{k: meta[k] for k in ("z", "w", "sum_w", "pooled_z", "se", "pooled_r", "ci_r", "q", "df", "c",
                                   "tau2", "i2", "re_pooled_r", "re_ci_r", "d")}},
    "pooled_z": pooled_z, "pooled_r": pooled_r, "i_squared": i_squared,
    "clinic": {{"empathy": [float(v) for v in empathy], "change": [float(v) for v in change],
               "r": clinic_r, "t": clinic_t, "ci": list(clinic_ci), "z_test": clinic_z_test}},
}}))
"""


def independent_meta(studies: list[tuple[float, int]]) -> dict[str, Any]:
    """Fixed-effect and DerSimonian-Laird pooling of correlations, written independently with math only."""
    z = [0.5 * math.log((1 + r) / (1 - r)) for r, _ in studies]
    w = [n - 3 for _, n in studies]
    sw = math.fsum(w)
    zbar = math.fsum(wi * zi for wi, zi in zip(w, z, strict=True)) / sw
    se = 1 / math.sqrt(sw)
    q = math.fsum(wi * (zi - zbar) ** 2 for wi, zi in zip(w, z, strict=True))
    df = len(studies) - 1
    c = sw - math.fsum(wi * wi for wi in w) / sw

    def back(x: float) -> float:
        return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)

    r = back(zbar)
    return {"z": z, "w": w, "sum_w": sw, "pooled_z": zbar, "se": se, "pooled_r": r,
            "ci_r": [back(zbar - 1.96 * se), back(zbar + 1.96 * se)], "q": q, "df": df, "c": c,
            "tau2": max(0.0, (q - df) / c), "i2": max(0.0, (q - df) / q) * 100, "d": 2 * r / math.sqrt(1 - r * r)}


def pearson(x: list[float], y: list[float]) -> float:
    mx, my = math.fsum(x) / len(x), math.fsum(y) / len(y)
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def run(notebook: Path, folder: Path) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """Execute a copy of the notebook's folder in a fresh kernel, with the probe cell appended."""
    shutil.copytree(notebook.parent, folder, ignore=shutil.ignore_patterns("answers*.json", ".ipynb_checkpoints"))
    nb = nbformat.read(folder / notebook.name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(line for line in text.splitlines() if line.startswith(MARK))
    return nb, json.loads(line[len(MARK):])


@pytest.fixture(scope="module")
def executed(jupyter_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory):
    return run(SOURCE, tmp_path_factory.mktemp("outcomes-data") / "m2-outcomes")


@pytest.fixture(scope="module")
def found(executed) -> dict[str, Any]:
    """What the executed notebook computed (the probe's values)."""
    return executed[1]


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_runs_without_errors(executed):
    nb, _ = executed
    errors = [o for c in code_cells(nb) for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def test_pooled_estimate_matches_independent_computation(found):
    meta, expected = found["meta"], independent_meta(STUDIES)
    for key in ("sum_w", "pooled_z", "se", "pooled_r", "q", "c", "tau2", "i2", "d"):
        assert meta[key] == pytest.approx(expected[key], abs=1e-9), key
    assert meta["df"] == expected["df"]
    assert meta["z"] == pytest.approx(expected["z"], abs=1e-12)
    assert meta["w"] == expected["w"]
    assert meta["ci_r"] == pytest.approx(expected["ci_r"], abs=1e-9)
    # tau squared is 0, so the random-effects result equals the fixed-effect one.
    assert meta["re_pooled_r"] == pytest.approx(meta["pooled_r"], abs=1e-12)
    assert meta["re_ci_r"] == pytest.approx(meta["ci_r"], abs=1e-12)


def test_pooled_estimate_matches_facts_sheet_worked_values(found):
    meta = found["meta"]
    assert [round(z, 4) for z in meta["z"]] == [0.3654, 0.2027, 0.4477, 0.1511, 0.3095]
    assert meta["w"] == [37, 117, 22, 197, 57] and meta["sum_w"] == 430
    assert round(meta["pooled_z"], 4) == 0.2198 and round(meta["se"], 4) == 0.0482
    assert round(meta["pooled_r"], 3) == 0.216
    assert [round(v, 3) for v in meta["ci_r"]] == [0.125, 0.304]
    assert round(meta["q"], 3) == 3.349 and meta["df"] == 4
    assert round(meta["c"], 2) == 296.05
    assert meta["tau2"] == 0 and meta["i2"] == 0
    assert round(meta["d"], 3) == 0.443


def test_coding_path_solutions_agree(found):
    expected = independent_meta(STUDIES)
    for answer, key in (("pooled_z", "pooled_z"), ("pooled_r", "pooled_r"), ("i_squared", "i2")):
        assert found[answer] == pytest.approx(expected[key], abs=1e-9), answer


def test_clinic_statistics(found):
    clinic = found["clinic"]
    x, y = clinic["empathy"], clinic["change"]
    n = len(x)
    assert n == 60
    assert min(x) >= 10 and max(x) == 50  # capped scale with some clients at the ceiling
    r = pearson(x, y)
    assert clinic["r"] == pytest.approx(r, abs=1e-9)
    assert clinic["t"] == pytest.approx(r * math.sqrt((n - 2) / (1 - r * r)), abs=1e-9)
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    assert clinic["ci"] == pytest.approx([math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)], abs=1e-9)
    assert clinic["z_test"] == pytest.approx((z - math.atanh(0.28)) * math.sqrt(n - 3), abs=1e-9)
    # Practice item m2-outcomes.data.q1 is keyed on this: the clinic is consistent with r = .28.
    assert abs(clinic["z_test"]) < 1.96 and clinic["ci"][0] < 0.28 < clinic["ci"][1]


def test_plots_and_widgets_are_shown(executed):
    nb, _ = executed
    by_label = {c.source.splitlines()[0].removeprefix("#| label: "): c for c in code_cells(nb)}
    for label in ("m2-outcomes-data-scatter", "m2-outcomes-data-forest"):
        cell = by_label[label]
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), label
        assert "#| fig-alt: " in cell.source and "#| fig-cap: " in cell.source
    assert by_label["m2-outcomes-data-scatter"].source.rstrip().endswith("plt.show()")
    for label in ("m2-outcomes-data-slider", "m2-outcomes-data-other-clinics"):
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in by_label[label].outputs)


def test_cell_metadata():
    nb = nbformat.read(SOURCE, as_version=4)
    solutions, tests = [], []
    for cell in code_cells(nb):
        meta = cell.metadata["nbgrader"]
        first = cell.source.splitlines()[0]
        assert first == f"#| label: {meta['grade_id']}", first
        assert meta["schema_version"] == 3 and meta["task"] is False
        if meta["solution"]:
            solutions.append(meta["grade_id"])
            assert meta["grade"] is False and meta["locked"] is False
            variable = cell.source.splitlines()[1]
            assert variable.endswith(" = None") and "### BEGIN SOLUTION" in cell.source
        elif meta["grade"]:
            tests.append(meta["grade_id"])
            assert meta["locked"] is True and meta["points"] == 1
            body = cell.source.split("\n", 1)[1]
            assert body.startswith("### BEGIN HIDDEN TESTS\n") and body.rstrip().endswith("### END HIDDEN TESTS")
        else:
            assert meta["locked"] is True, meta["grade_id"]
            assert meta["grade_id"].startswith("m2-outcomes-data-"), meta["grade_id"]
    assert solutions == ["outcomes-code-pooled-z", "outcomes-code-pooled-r", "outcomes-code-i-squared"]
    assert tests == [f"{s}-test" for s in solutions]


@pytest.mark.skipif(not RELEASE.exists(), reason="exercises/m2-outcomes has not been generated")
def test_released_copy_runs_unanswered(jupyter_env, tmp_path):
    """The learner's copy runs to the end with the coding cells unanswered and no visible tests."""
    nb, found = run(RELEASE, tmp_path / "m2-outcomes")
    assert found["pooled_z"] is None and found["pooled_r"] is None and found["i_squared"] is None
    assert "BEGIN SOLUTION" not in "".join(c.source for c in nb.cells)
    assert "assert" not in "".join(c.source for c in code_cells(nb) if c.metadata.get("nbgrader", {}).get("grade"))
    check = next(c for c in code_cells(nb) if c.source.startswith("#| label: m2-outcomes-data-check"))
    assert "not answered yet" in "".join(o.get("text", "") for o in check.outputs)
