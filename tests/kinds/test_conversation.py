"""The conversation item kind (issue 13): its rules, what learners receive, and grading by nbgrader's kernel and
by the kernel-free grader alike, for simulated learners (best, worst, mixed, unanswered, tampered path).

The course's graded conversation is read from the committed solutions notebook, so these tests grade exactly
what is released; its key comes from the cell's hidden tests.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from support import ROOT
from support.kernels import graded_both_ways
from support.node import run_module

from empathy_ce import authoring, cells, kinds
from empathy_ce.conversation import path as paths
from empathy_ce.conversation.split import answer_key, join, key_strings, learner_script
from empathy_ce.items import InvalidAnswer, ItemError, check_key, check_value, validate_item
from empathy_ce.kinds import front
from empathy_ce.scoring import fraction, grade_item
from empathy_ce.widget import front_end_spec

POSTTEST = ROOT / "solutions" / "m3-cultivation" / "cultivation_posttest.ipynb"
GRADED_ID = "m3-cultivation.post.conversation"
SCRIPT = yaml.safe_load((ROOT / "course" / "conversations" / f"{GRADED_ID}.yml").read_text("utf-8"))
EXAMPLE, EXAMPLE_KEY = kinds.get("conversation").examples()[0]


def graded_cell() -> tuple[str, dict[str, Any], Any]:
    for cell in nbformat.read(POSTTEST, as_version=4).cells:
        spec = cells.item_spec(cell.source) if cell.cell_type == "code" else None
        if spec and spec["id"] == GRADED_ID:
            return cell.source, spec, cells.keys(cell.source)[GRADED_ID]
    raise AssertionError(f"{GRADED_ID} is not in {POSTTEST}")


# ------------------------------------------------------------------------------------------------ the rules
def test_the_item_carries_the_learner_script_and_the_key_stays_in_hidden_tests():
    source, spec, key = graded_cell()
    assert spec["conversation"] == learner_script(SCRIPT)
    assert key == answer_key(SCRIPT)
    before_hidden = source.split("### BEGIN HIDDEN TESTS")[0]
    for text in key_strings(SCRIPT):
        assert json.dumps(text, ensure_ascii=False)[1:-1] not in before_hidden
    assert '"rating"' not in before_hidden and '"code"' not in before_hidden


def test_an_item_carrying_its_key_is_refused():
    spec = copy.deepcopy(EXAMPLE)
    spec["conversation"]["nodes"]["n1"]["replies"][0]["rating"] = 5
    with pytest.raises(ItemError, match="must not receive"):
        validate_item(spec)
    with pytest.raises(ItemError, match="does not exist"):
        bad = copy.deepcopy(EXAMPLE)
        bad["conversation"]["nodes"]["n1"]["replies"][0]["next"] = "nowhere"
        validate_item(bad)


def test_bad_paths_are_refused_with_a_message_naming_the_turn():
    cases = {
        json.dumps({"path": ["a", "zz"]}): 'turn 2: "zz" is not one of the replies',
        json.dumps({"path": ["a", None, "a"]}): "turn 2: expected a reply key, got null (a path cannot skip a turn)",
        json.dumps({"path": ["a", "a", "a", "a"]}): "at most 3 turns",
        json.dumps({"path": ["c", "b", "a"]}): "turn 3: the conversation had already ended after turn 2",
        json.dumps({"path": ["a"], "score": 3}): "not score",
        json.dumps(["a", "a", "a"]): "must be an object",
    }
    for raw, message in cases.items():
        with pytest.raises(InvalidAnswer, match=re.escape(message)):
            check_value(EXAMPLE, json.loads(raw))
    assert check_value(EXAMPLE, {"path": [], "written": "  "}) is None  # unanswered


def test_scores_follow_the_documented_rule():
    """Mean of the chosen replies' scores ((r - 1) / 4) over the best path's; unfinished turns count 0."""
    key = check_key(EXAMPLE, EXAMPLE_KEY)
    assert grade_item(EXAMPLE, {"path": ["a", "a", "a"]}, key) == 3.0  # the best path, ratings 5, 4, 5
    assert grade_item(EXAMPLE, {"path": ["c", "b"]}, key) == 0.0  # ratings 1, 1
    best = (1 + 0.75 + 1) / 3
    assert grade_item(EXAMPLE, {"path": ["b", "a", "b"]}, key) == round((0.5 + 0.75 + 0.5) / 3 / best * 3, 4)
    assert grade_item(EXAMPLE, {"path": ["a"]}, key) == round(1 / 3 / best * 3, 4)  # stopped after one turn
    assert grade_item(EXAMPLE, None, key) == 0.0
    with pytest.raises(InvalidAnswer):
        check_key(EXAMPLE, {**EXAMPLE_KEY, "expert_path": ["a"]})


def test_the_written_turn_is_kept_and_shown_to_the_grader_but_not_scored():
    key = check_key(EXAMPLE, EXAMPLE_KEY)
    with_text = {"path": ["a", "a", "a"], "written": "It has worn you down."}
    assert grade_item(EXAMPLE, with_text, key) == grade_item(EXAMPLE, {"path": ["a", "a", "a"]}, key)
    plain = lambda text, inline=False: text  # noqa: E731 (markdown stand-in)
    summary = kinds.get("conversation").summary_html(EXAMPLE, check_value(EXAMPLE, with_text), plain, "")
    assert "It has worn you down." in "".join(summary) and "Rubric for the grader" in "".join(summary)


def test_samples_score_as_they_say_on_the_course_conversation():
    _, spec, key = graded_cell()
    samples = kinds.get("conversation").samples(spec, key, random.Random(1))
    script = join(spec["conversation"], key)
    assert all(grade_item(spec, v, key) == spec["points"] for v in samples["right"])
    assert all(0 < grade_item(spec, v, key) < spec["points"] for v in samples["partial"])
    assert all(grade_item(spec, v, key) == 0 for v in samples["wrong"])
    for value in samples["invalid"]:
        with pytest.raises(InvalidAnswer):
            check_value(spec, value)
    assert paths.best_path(script)[1] == SCRIPT["expert_path"]


# ------------------------------------------------------------------------------------------------ the release
def test_the_release_key_scan_covers_conversations():
    """No key text (feedback, rationales, written examples) of an assessed conversation in anything a learner
    receives: the released notebooks, what the widget sends, the site's notebooks and pages."""
    released = [*(ROOT / "exercises").rglob("*.ipynb"), *(ROOT / "site" / "notebooks").rglob("*.ipynb")]
    texts = {p: p.read_text("utf-8") for p in released}
    assessed = [yaml.safe_load(p.read_text("utf-8")) for p in (ROOT / "course" / "conversations").glob("*.yml")]
    assessed = [s for s in assessed if s["mode"] == "assessment"]
    assert assessed
    for script in assessed:
        strings = key_strings(script)
        assert strings
        for path, text in texts.items():
            leaked = [s for s in strings if s in text or json.dumps(s, ensure_ascii=False)[1:-1] in text]
            assert not leaked, f"{path}: {leaked[:1]}"
        sent = json.dumps(front_end_spec(validate_item(graded_cell()[1])), ensure_ascii=False)
        assert not any(s in sent for s in strings) and '"rating"' not in sent and '"answer"' not in sent
    shown = sum(GRADED_ID in t for t in texts.values())
    assert shown, "the graded conversation is in no released notebook"


# ------------------------------------------------------------------------------------------------ grading
LEARNERS = {
    "best": {"path": ["c", "b", "b"], "written": "Being called the help erased what you built."},
    "worst": None,  # filled from the script below: a path of the lowest-rated replies
    "mixed": {"path": ["c", "a"]},
    "unanswered": None,
    "tampered": {"path": ["c", "b", "b", "a"]},
}


def worst_path(script: dict[str, Any]) -> list[str]:
    scored = sorted((paths.fraction(script, p), p) for p in paths.complete_paths(script))
    return scored[0][1]


def expected(name: str, value: Any) -> float:
    _, spec, key = graded_cell()
    if name in ("unanswered", "tampered"):
        return 0.0
    return grade_item(spec, value, key)


def notebook() -> nbformat.NotebookNode:
    source, _, _ = graded_cell()
    return authoring.notebook("conv", [authoring.setup_cell("conv"), nbformat.v4.new_code_cell(source)])


def answers(folder: Path, value: Any) -> None:
    items = {} if value is None else {GRADED_ID: {"value": value, "kind": "conversation"}}
    (folder / "answers.json").write_text(json.dumps({"format": "empathy-ce/answers", "version": 1, "items": items}))


@pytest.mark.parametrize("name", list(LEARNERS))
def test_kernel_and_kernel_free_grader_agree_for_simulated_learners(name: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    value = {"path": worst_path(SCRIPT)} if name == "worst" else LEARNERS[name]
    answers(tmp_path, value)
    kernel = graded_both_ways(notebook, tmp_path, monkeypatch)
    result = [o for o in kernel.cells[2].outputs if o.output_type == "execute_result"]
    points = float(result[0]["data"]["text/plain"])
    assert points == pytest.approx(expected(name, value))
    if name == "best":
        assert points == 3.0
    elif name == "worst":
        assert points == 0.0
    elif name == "mixed":
        assert 0 < points < 3
    elif name == "tampered":  # the tamperer gains nothing, and the reason is printed for the instructor
        assert points == 0.0
        assert points < grade_item(graded_cell()[1], {"path": ["c", "b", "b"]}, graded_cell()[2])


def test_front_end_scores_every_course_conversation_like_python(tmp_path: Path):
    """front.js, as the site serves it (conversation/path.js inlined): on every course conversation, every complete
    path, every prefix and tampered paths, it accepts, refuses and scores as Python."""
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "conversation.js").write_text(front.site_files()["kinds/conversation.js"])
    cases = []
    for file in sorted((ROOT / "course" / "conversations").glob("*.yml")):
        script = yaml.safe_load(file.read_text("utf-8"))
        spec = {"id": script["id"], "kind": "conversation", "mode": "assessment", "objective": script["objective"],
                "points": 1, "prompt": "Talk.", "conversation": learner_script(script)}
        key = answer_key(script)
        values: list[Any] = [None, {"path": []}, {"path": ["zz"]}, {"path": [None]}, ["a"], {"path": "abc"}]
        for full in paths.complete_paths(script):
            values += [{"path": full[:cut]} for cut in range(1, len(full) + 1)]
            values += [{"path": [*full, "a"]}, {"path": [*full[:-1], "zz"]}]
        cases += [{"spec": spec, "key": key, "value": v} for v in values]
    out = run_module(tmp_path, cases, "import {check, checkKey, fraction} from './conversation.js';",
                     "cases.map((c) => { try { const k = checkKey(c.spec, c.key);"
                     " const v = c.value === null ? null : check(c.spec, c.value);"
                     " return v === null ? 0 : fraction(c.spec, v, k); } catch (e) { return 'invalid'; } })")
    for case, js in zip(cases, out, strict=True):
        try:
            spec = case["spec"]
            python: Any = fraction(spec, check_value(spec, case["value"]), check_key(spec, case["key"]))
        except InvalidAnswer:
            python = "invalid"
        assert js == python if python == "invalid" or js == "invalid" else js == pytest.approx(python), case["value"]
    assert sum(o == "invalid" for o in out) >= 5 * 5 and sum(0 < o < 1 for o in out if o != "invalid") > 20


def test_the_reports_choice_counts_are_the_per_turn_view():
    """The report counts, per client line, which reply each learner chose there; the expert's replies are marked."""
    _, spec, key = graded_cell()
    kind = kinds.get("conversation")
    listed = dict(kind.choices(spec))
    assert len(listed) == sum(len(n.get("replies", [])) for n in spec["conversation"]["nodes"].values())
    chosen = kind.chosen(spec, {"path": ["c", "b", "b"]})
    assert len(chosen) == 3 and chosen[0] == "n1:c" and all(choice in listed for choice in chosen)
    assert kind.credited(spec, key) == set(kind.chosen(spec, {"path": SCRIPT["expert_path"]}))
    assert all(choice in listed for choice in kind.credited(spec, key))
