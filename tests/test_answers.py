"""The answer file: versioned, atomic, locked, and never destroyed when broken."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from empathy_ce.answers import FORMAT, AnswerFileError, AnswerStore


def test_round_trip_and_format(tmp_path: Path):
    store = AnswerStore(tmp_path)
    assert store.values() == {}
    store.save("m1-trust.post.q1", "b", "single")
    store.save("m1-trust.post.q2", ["a", "c"], "multiple")
    data = json.loads((tmp_path / "answers.json").read_text())
    assert data["format"] == FORMAT and data["version"] == 1
    assert store.values() == {"m1-trust.post.q1": "b", "m1-trust.post.q2": ["a", "c"]}
    assert [p.name for p in tmp_path.iterdir()] == ["answers.json"]  # no temp or lock files left beside it


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"), (b"{not json", "not valid JSON"), (b'{"format": "x"}', "not an answer file"),
    (b'{"format": "empathy-ce/answers", "version": 9, "items": {}}', "unsupported version"),
    (b'{"format": "empathy-ce/answers", "version": 1, "items": {"a": 1}}', "items"),
    (b'{"format": "empathy-ce/answers", "version": 1, "items": {"a": {"value": NaN}}}', "NaN"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_broken_files_are_named(tmp_path: Path, content: bytes, reason: str):
    learner = tmp_path / "submitted" / "maria" / "m1-trust"
    learner.mkdir(parents=True)
    (learner / "answers.json").write_bytes(content)
    with pytest.raises(AnswerFileError, match=reason) as err:
        AnswerStore(learner).load()
    assert "learner 'maria'" in str(err.value) and "answers.json" in str(err.value)


def test_huge_file_is_refused(tmp_path: Path):
    (tmp_path / "answers.json").write_bytes(b" " * 3_000_000)
    with pytest.raises(AnswerFileError, match="limit"):
        AnswerStore(tmp_path).load()


def test_saving_over_a_broken_file_keeps_it_aside(tmp_path: Path):
    (tmp_path / "answers.json").write_text("{half written")
    AnswerStore(tmp_path).save("m1-trust.post.q1", "b", "single")
    kept = list(tmp_path.glob("answers.broken-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == "{half written"
    assert AnswerStore(tmp_path).values() == {"m1-trust.post.q1": "b"}


def _save_many(folder: str, worker: int) -> None:
    store = AnswerStore(folder)
    for i in range(25):
        store.save(f"mod.w{worker}.q{i}", i, "numeric")


@pytest.mark.slow  # three processes
def test_concurrent_writers_lose_nothing(tmp_path: Path):
    """Two kernels (say, two notebooks in one folder) saving at once: every answer survives."""
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_save_many, args=(str(tmp_path), w)) for w in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert len(AnswerStore(tmp_path).values()) == 75


# ------------------------------------------------------------------ limits, privacy and messages (issues 15, 10)

TEXT = {"id": "mod.p1.q9", "kind": "text", "mode": "practice", "objective": "mod-1", "example": "An example.",
        "prompt": "Write **your own** self-care plan for the coming month, in a few sentences."}
SINGLE = {"id": "mod.post.q1", "kind": "single", "mode": "assessment", "objective": "mod-1", "points": 1,
          "prompt": "How would you respond to a client who says the plan mattered?",
          "options": [{"key": "a", "label": "One"}, {"key": "b", "label": "Two"}]}


@pytest.fixture
def private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The learner's private data folder for practice answers."""
    folder = tmp_path / "private"
    monkeypatch.setenv("EMPATHY_CE_PRACTICE_DIR", str(folder))
    return folder


def _session(folder: Path):
    from empathy_ce.notebook import Session

    messages: list[str] = []
    return Session(folder, notify=messages.append), messages


def test_the_store_refuses_text_over_the_grader_limit(tmp_path: Path):
    from empathy_ce.items import TEXT_LIMIT

    store = AnswerStore(tmp_path)
    store.save("mod.post.q2", "x" * TEXT_LIMIT, "text")  # exactly the limit is fine
    with pytest.raises(ValueError, match="limit is 20000"):
        store.save("mod.post.q2", "y" * (TEXT_LIMIT + 1), "text")
    assert store.values() == {"mod.post.q2": "x" * TEXT_LIMIT}  # the saved answer is unchanged


def test_an_over_long_text_is_not_saved_and_the_learner_is_told(tmp_path: Path, private: Path):
    from empathy_ce.items import validate_item
    from empathy_ce.widget import ItemWidget

    session, _ = _session(tmp_path)
    spec = validate_item(dict(TEXT))
    session.register(spec)
    widget = ItemWidget(spec={}, answer=None)
    session.on_change(spec, widget, {"new": "A first plan."})
    session.on_change(spec, widget, {"new": "z" * 64_000})
    assert widget.status.startswith("Not saved:") and "previous answer is kept" in widget.status
    assert session.practice.values() == {"mod.p1.q9": "A first plan."}


def test_practice_answers_never_enter_the_assignment_folder(tmp_path: Path, private: Path):
    from empathy_ce.items import validate_item
    from empathy_ce.widget import ItemWidget

    folder = tmp_path / "m1-trust"
    folder.mkdir()
    session, _ = _session(folder)
    text, single = validate_item(dict(TEXT)), validate_item(dict(SINGLE))
    for spec, value in ((text, "I will walk every evening."), (single, "b")):
        session.register(spec)
        session.on_change(spec, ItemWidget(spec={}, answer=None), {"new": value})
    assert AnswerStore(folder).values() == {"mod.post.q1": "b"}  # only the post-test answer is submitted
    kept = list(private.rglob("answers.json"))
    assert len(kept) == 1 and not kept[0].is_relative_to(folder)
    assert json.loads(kept[0].read_text())["items"]["mod.p1.q9"]["value"] == "I will walk every evening."
    assert session.stored_value(text) == "I will walk every evening."  # and it comes back on the next run


def test_practice_answers_of_earlier_versions_move_out_on_first_load(tmp_path: Path, private: Path):
    """An answers.json written before this change holds practice and post-test answers alike."""
    import nbformat

    from empathy_ce.items import validate_item

    folder = tmp_path / "m1-trust"
    folder.mkdir()
    sources = ["ask(" + ", ".join(f"{k}={v!r}" for k, v in spec.items()) + ")"
               for spec in (TEXT, {**TEXT, "id": "mod.p2.q1"}, SINGLE)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(nb, folder / "practice.ipynb")
    legacy = {"format": FORMAT, "version": 1, "items": {
        "mod.p1.q9": {"value": "My burnout self-check: 4 of 5.", "kind": "text", "saved": "2026-01-01T10:00:00+00:00"},
        "mod.p2.q1": {"value": "A plan I have not run yet.", "kind": "text", "saved": "2026-01-01T10:01:00+00:00"},
        "mod.post.q1": {"value": "a", "kind": "single", "saved": "2026-01-01T10:02:00+00:00"}}}
    (folder / "answers.json").write_text(json.dumps(legacy))
    session, messages = _session(folder)
    assert session.register(validate_item(dict(SINGLE))) == "a"  # the post-test notebook runs first
    assert AnswerStore(folder).values() == {"mod.post.q1": "a"}  # nothing private left to submit
    assert session.register(validate_item(dict(TEXT))) == "My burnout self-check: 4 of 5."
    moved = session.practice.load()["items"]
    assert {k: v["value"] for k, v in moved.items()} == {  # the not-yet-run item moved too: none lost
        "mod.p1.q9": "My burnout self-check: 4 of 5.", "mod.p2.q1": "A plan I have not run yet."}
    assert moved["mod.p1.q9"]["saved"] == "2026-01-01T10:00:00+00:00" and not messages


def test_a_saved_answer_that_no_longer_fits_is_explained_plainly(tmp_path: Path, private: Path):
    from empathy_ce.items import validate_item

    AnswerStore(tmp_path).save("mod.post.q1", "Empathic distress", "single")
    session, messages = _session(tmp_path)
    session.register(validate_item({**TEXT, "id": "mod.p1.q1"}))
    session.register(validate_item({**TEXT, "id": "mod.p1.q2"}))
    assert session.register(validate_item(dict(SINGLE))) is None
    assert messages == ['Question 3 ("How would you respond to a..."): your saved answer could not be '
                        "used because the options changed. Please answer it again."]
    assert not any(s in messages[0] for s in ("mod.post", "answers.json", str(tmp_path), "['a'", "Empathic"))


def test_a_linked_answer_file_is_kept_aside_and_its_target_never_written(tmp_path: Path):
    """The one writer replaces the file and never writes through a link: another learner's file stays as it was."""
    other = tmp_path / "other" / "answers.json"
    other.parent.mkdir()
    AnswerStore(other.parent).save("m1-trust.post.q1", "a", "single")
    before = other.read_bytes()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "answers.json").symlink_to(other)
    with pytest.raises(AnswerFileError, match="a link to another file"):
        AnswerStore(mine).load()
    AnswerStore(mine).save("m1-trust.post.q1", "b", "single")
    assert other.read_bytes() == before
    assert not (mine / "answers.json").is_symlink() and AnswerStore(mine).values() == {"m1-trust.post.q1": "b"}
    assert [p.is_symlink() for p in mine.glob("answers.broken-*.json")] == [True]  # the link itself, kept aside
    assert (mine / "answers.json").stat().st_mode & 0o777 == 0o600  # a learner's answers: owner only
    assert len(list(mine.iterdir())) == 2  # answers.json and the link kept aside: no part file left


def test_each_answer_keeps_when_it_was_first_answered_across_saves(tmp_path: Path):
    """Time on task (issue 11): `first` is set by the first save and kept by later ones; `saved` moves on."""
    store = AnswerStore(tmp_path)
    store.save_many({"m.s.q1": {"value": "a", "kind": "single", "saved": "2026-05-04T09:00:00+00:00"}})
    store.save_many({"m.s.q1": {"value": "b", "kind": "single", "saved": "2026-05-04T09:20:00+00:00"},
                     "m.s.q2": {"value": "c", "kind": "single", "saved": "2026-05-04T09:21:00+00:00"}})
    store.save("m.s.q1", "d", "single")  # now
    items = json.loads((tmp_path / "answers.json").read_text())["items"]
    assert items["m.s.q1"]["first"] == "2026-05-04T09:00:00+00:00" and items["m.s.q1"]["value"] == "d"
    assert items["m.s.q1"]["saved"] > "2026-05-04T09:20:00+00:00"
    assert items["m.s.q2"]["first"] == items["m.s.q2"]["saved"] == "2026-05-04T09:21:00+00:00"
    assert set(items["m.s.q1"]) == {"value", "kind", "first", "saved"}  # timestamps only, nothing else recorded
