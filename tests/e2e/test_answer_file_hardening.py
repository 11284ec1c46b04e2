"""The answer file under attack, as one suite (pytest -m hardening).

First the file alone: arbitrary bytes, and a writer or a kernel killed mid-write. Then the real pipeline: learners
submit the golden notebook with every kind of broken or hostile answer file and with edited or deleted item cells.
nbgrader's own `nbgrader autograde` (the formgrader's path, in kernels) grades one copy of the course and
`empathy-ce grade` an identical one. Each case must score no more than its honest counterpart, be named with
learner, file and reason, leave the submitted answer file byte for byte as it was, and not stop the batch.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BIN, golden
from support.gold_course import STAMP, cell_index, gold_course, gradebook
from support.hardening import tried
from support.learners import answers_json

from empathy_ce.answers import AnswerFileError, AnswerStore, parse
from empathy_ce.cli.grading import format_summary
from empathy_ce.instructor import grade

pytestmark = pytest.mark.hardening

PATH = Path("/tmp/learner/answers.json")


# No deadline: what is tested is the outcome, and a loaded machine makes one example slow now and then.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_load_or_fail_with_a_named_error(raw: bytes):
    try:
        data = parse(raw, PATH)
    except AnswerFileError as err:
        assert str(PATH) in str(err)
    else:
        assert isinstance(data["items"], dict)


values = st.recursive(st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
                      lambda inner: st.lists(inner, max_size=4), max_leaves=6)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(st.from_regex(r"[a-z]{1,6}\.[a-z0-9]{1,3}\.q[0-9]", fullmatch=True), values,
                               max_size=6))
def test_what_is_saved_is_what_is_loaded(tmp_path: Path, answers: dict):
    store = AnswerStore(tmp_path)
    for item_id, value in answers.items():
        store.save(item_id, value, "single")
    assert {k: v for k, v in store.values().items() if k in answers} == answers


WRITER = """
import sys
from empathy_ce.answers import AnswerStore
store = AnswerStore(sys.argv[1])
i = 0
while True:
    i += 1
    store.save("mod.set.q1", i, "numeric")
    store.save("mod.set.q2", "x" * (i % 5000), "text")
"""


@pytest.mark.slow  # kills 25 writers, 8 kernels
def test_killing_the_writer_never_leaves_a_broken_file(tmp_path: Path, request: pytest.FixtureRequest):
    """SIGKILL at random moments: the file is always a complete earlier state."""
    kills = 0
    for delay in [0.05 * (n % 7) + 0.02 for n in range(25)]:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        time.sleep(delay + 0.3)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        kills += 1
        path = tmp_path / "answers.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())  # never half written
        items = data["items"]
        assert isinstance(items["mod.set.q1"]["value"], int)
        assert set(items) <= {"mod.set.q1", "mod.set.q2"}
    assert kills == 25
    assert not list(tmp_path.glob("answers.broken-*")), "a killed writer must never look like a broken file"
    AnswerStore(tmp_path).save("mod.set.q3", "after", "text")  # the next save tidies what a kill left behind
    assert [p.name for p in tmp_path.iterdir()] == ["answers.json"]
    tried(request, bad_inputs=kills)  # each kill is a write cut short


@pytest.mark.slow  # kills 25 writers, 8 kernels
def test_killing_a_kernel_mid_save_never_leaves_a_broken_file(tmp_path: Path, request: pytest.FixtureRequest):
    """A real ipykernel saving answers in a loop, SIGKILLed at random moments, as when a learner's kernel dies."""
    from jupyter_client.manager import KernelManager

    loop = f"{WRITER.replace('sys.argv[1]', repr(str(tmp_path)))}"
    kills = 0
    for n in range(8):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(cwd=str(tmp_path))
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            client.execute(loop)
            deadline = time.monotonic() + 30
            while not (tmp_path / "answers.json").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.05 + 0.11 * n)  # the loop is saving now: kill at different points of it
            kernel = km.provisioner.process  # the ipykernel process itself
            os.kill(kernel.pid, signal.SIGKILL)  # mid-write or between writes
            kernel.wait()
            kills += 1
        finally:
            client.stop_channels()
            km.cleanup_resources()
        data = json.loads((tmp_path / "answers.json").read_text())  # never half written
        assert isinstance(data["items"]["mod.set.q1"]["value"], int)
        assert not list(tmp_path.glob("answers.broken-*"))
    AnswerStore(tmp_path).save("mod.set.q3", "after", "text")
    assert [p.name for p in tmp_path.iterdir()] == ["answers.json"]
    tried(request, bad_inputs=kills)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_numbers_are_never_written(tmp_path: Path, value: float):
    with pytest.raises(ValueError):
        AnswerStore(tmp_path).save("mod.set.q1", value, "numeric")
    assert not (tmp_path / "answers.json").exists()

# ------------------------------------------------------------------ through the real pipeline (nbgrader, grader)

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


@pytest.mark.slow
def test_both_graders_finish_the_batch_and_agree(graded):
    root, ours, nbgrader, summary, _ = graded
    assert nbgrader.returncode == 0, (nbgrader.stdout + nbgrader.stderr)[-3000:]
    assert summary.count("failed") == 0, format_summary(summary, ours)
    assert gradebook(root) == gradebook(ours)
    assert len({who for who, *_ in gradebook(root)}) == len(CASES) + len(TAMPERING)


@pytest.mark.slow
def test_each_bad_answer_file_is_graded_as_far_as_possible(graded, request: pytest.FixtureRequest):
    root, *_ = graded
    for learner, (_, expected, _) in CASES.items():
        assert auto_scores(root, learner) == expected, learner
    tried(request, bad_inputs=len(CASES) - 1)


@pytest.mark.slow
def test_each_problem_is_named_with_learner_file_and_reason(graded):
    root, ours, *_ = graded
    for learner, (_, _, reason) in CASES.items():
        if reason is None:
            continue
        for where in (root, ours):
            text = shown(where, learner)
            assert reason in text and f"'{learner}'" in text and "answers.json" in text, (learner, text[:2000])


@pytest.mark.slow
def test_tampered_notebooks_score_no_more_than_wrong_answers(graded, request: pytest.FixtureRequest):
    root, *_ = graded
    wrong = auto_scores(root, "wrong")
    assert wrong != FULL
    for learner in TAMPERING:
        assert auto_scores(root, learner) == wrong, learner
    tried(request, attacks=len(TAMPERING) - 1)


@pytest.mark.slow
def test_submitted_answer_files_are_left_as_they_were(graded):
    root, ours, *_, submitted = graded
    for path, raw in submitted.items():
        assert path.read_bytes() == raw
        copy = ours / path.relative_to(root)
        assert copy.read_bytes() == raw
        graded_copy = root / "autograded" / path.relative_to(root / "submitted")
        if graded_copy.is_file() and not graded_copy.is_symlink():
            assert graded_copy.read_bytes() == raw, graded_copy
