"""Bad answer files and tampered notebooks through the real pipeline: graded as far as possible, none scores more.

Learners submit the golden notebook with every kind of broken or hostile answer file and with edited or deleted
item cells. nbgrader's own `nbgrader autograde` (the formgrader's path, in kernels) grades one copy of the course
and `empathy-ce grade` an identical one. Each case must score no more than its honest counterpart, be named with
learner, file and reason, leave the submitted answer file byte for byte as it was, and not stop the batch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import golden
import nbformat
import pytest
from conftest import BIN
from hardening import tried
from learners import answers_json
from test_instructor_grading import STAMP, cell_index, gold_course, gradebook

from empathy_ce.instructor import grade

pytestmark = [pytest.mark.slow, pytest.mark.hardening]

RIGHT = answers_json(golden.ALL_RIGHT)
WRONG = answers_json(golden.ALL_WRONG)
FULL = {k.replace(".", "-"): float(spec.get("points", 1)) for k, (spec, _) in golden.GRADED.items()}
NOTHING = dict.fromkeys(FULL, 0.0)


def but(**changed: object) -> str:
    """The right answers with some items changed."""
    values = dict(golden.ALL_RIGHT)
    values.update({k.replace("_", "."): v for k, v in changed.items()})
    return answers_json(values)


# learner: (answer file bytes, or a maker of something else at that path; expected auto scores; reason shown)
CASES: dict[str, tuple[object, dict[str, float], str | None]] = {
    "honest": (RIGHT, FULL, None),
    "missing": (None, NOTHING, None),
    "empty": ("", NOTHING, "the file is empty"),
    "truncated": (RIGHT[: len(RIGHT) // 2], NOTHING, "not valid JSON"),
    "huge": (RIGHT[:-1] + ', "pad": "' + "x" * 2_100_000 + '"}', NOTHING, "larger than the 2000000-byte limit"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", NOTHING, "not valid JSON"),
    "not_an_object": ("[1, 2, 3]", NOTHING, "not an answer file"),
    "other_format": (json.dumps({"format": "quiz/answers", "version": 1, "items": {}}), NOTHING,
                     "not an answer file"),
    "future_version": (RIGHT.replace('"version": 1', '"version": 99'), NOTHING, "unsupported version 99"),
    "nan": (RIGHT.replace("0.0784", "NaN"), NOTHING, "NaN is not allowed"),
    "infinite": (RIGHT.replace("0.0784", "Infinity"), NOTHING, "Infinity is not allowed"),
    "unknown_ids": (answers_json({**golden.ALL_RIGHT, "gold.post.extra": "a", "../../etc/passwd": 1}), FULL, None),
    "unknown_options": (but(gold_post_single="z", gold_post_multiple=["a", "zz"],
                            gold_post_ordering=["a", "a", "b", "c"]),
                        {**FULL, "gold-post-single": 0.0, "gold-post-multiple": 0.0, "gold-post-ordering": 0.0},
                        "is ignored"),
    "wrong_types": (but(gold_post_single=["b"], gold_post_rating="3", gold_post_numeric={"value": 0.0784}),
                    {**FULL, "gold-post-single": 0.0, "gold-post-rating": 0.0, "gold-post-numeric": 0.0},
                    "is ignored"),
    "folder": ("mkdir", NOTHING, "not a regular file"),
    "link": ("symlink", NOTHING, "a link to another file"),
}
# Notebook tampering by learners who answered wrongly: none may score more than "wrong" does.
TAMPERING = {"wrong": None, "deleted_items": "delete", "edited_items": "edit", "setup_removed": "no-setup"}


def make_submission(root: Path, learner: str, content: object, how: str | None) -> None:
    folder = root / "submitted" / learner / "gold"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(STAMP)
    nb = nbformat.read(root / "exercises" / "gold" / "gold.ipynb", as_version=4)
    if how == "delete":
        nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    elif how == "edit":
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade"):
                c.source = "score = lambda *args, **kwargs: 3.0\n" + c.source
    elif how == "no-setup":
        del nb.cells[cell_index(nb, "gold-setup")]
    nbformat.write(nb, folder / "gold.ipynb")
    target = folder / "answers.json"
    if content == "mkdir":
        target.mkdir()
    elif content == "symlink":  # to another learner's right answers
        target.symlink_to(root / "submitted" / "honest" / "gold" / "answers.json")
    elif isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        target.write_text(str(content))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("hardening")
    course = gold_course(base / "nbgrader")
    for learner, (content, _, _) in CASES.items():
        make_submission(course.root, learner, content, None)
    for learner, how in TAMPERING.items():
        make_submission(course.root, learner, WRONG, how)
    submitted = {p: p.read_bytes() for p in course.root.glob("submitted/*/gold/answers.json") if p.is_file()}
    ours = base / "ours"
    shutil.copytree(course.root, ours, symlinks=True)
    nbgrader = subprocess.run([str(BIN / "nbgrader"), "autograde", "gold"], cwd=course.root, capture_output=True,
                              text=True, timeout=900)
    summary = grade.grade(ours, ["gold"], workers=2, progress=False)
    return course.root, ours, nbgrader, summary, submitted


def auto_scores(root: Path, learner: str) -> dict[str, float]:
    return {name: value[0] for (who, name, kind), value in gradebook(root).items()
            if who == learner and kind == "grade" and name in FULL}


def shown(root: Path, learner: str) -> str:
    nb = nbformat.read(root / "autograded" / learner / "gold" / "gold.ipynb", as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def test_both_graders_finish_the_batch_and_agree(graded):
    root, ours, nbgrader, summary, _ = graded
    assert nbgrader.returncode == 0, (nbgrader.stdout + nbgrader.stderr)[-3000:]
    assert summary.count("failed") == 0, grade.format_summary(summary, ours)
    assert gradebook(root) == gradebook(ours)
    assert len({who for who, *_ in gradebook(root)}) == len(CASES) + len(TAMPERING)


def test_each_bad_answer_file_is_graded_as_far_as_possible(graded, request: pytest.FixtureRequest):
    root, *_ = graded
    for learner, (_, expected, _) in CASES.items():
        assert auto_scores(root, learner) == expected, learner
    tried(request, bad_inputs=len(CASES) - 1)


def test_each_problem_is_named_with_learner_file_and_reason(graded):
    root, ours, *_ = graded
    for learner, (_, _, reason) in CASES.items():
        if reason is None:
            continue
        for where in (root, ours):
            text = shown(where, learner)
            assert reason in text and f"'{learner}'" in text and "answers.json" in text, (learner, text[:2000])


def test_tampered_notebooks_score_no_more_than_wrong_answers(graded, request: pytest.FixtureRequest):
    root, *_ = graded
    wrong = auto_scores(root, "wrong")
    assert wrong != FULL
    for learner in TAMPERING:
        assert auto_scores(root, learner) == wrong, learner
    tried(request, attacks=len(TAMPERING) - 1)


def test_submitted_answer_files_are_left_as_they_were(graded):
    root, ours, *_, submitted = graded
    for path, raw in submitted.items():
        assert path.read_bytes() == raw
        copy = ours / path.relative_to(root)
        assert copy.read_bytes() == raw
        graded_copy = root / "autograded" / path.relative_to(root / "submitted")
        if graded_copy.is_file() and not graded_copy.is_symlink():
            assert graded_copy.read_bytes() == raw, graded_copy
