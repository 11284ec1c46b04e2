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
    store.save("trust.post.q1", "b", "single")
    store.save("trust.post.q2", ["a", "c"], "multiple")
    data = json.loads((tmp_path / "answers.json").read_text())
    assert data["format"] == FORMAT and data["version"] == 1
    assert store.values() == {"trust.post.q1": "b", "trust.post.q2": ["a", "c"]}
    assert [p.name for p in tmp_path.iterdir()] == ["answers.json"]  # no temp or lock files left beside it


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"), (b"{not json", "not valid JSON"), (b'{"format": "x"}', "not an answer file"),
    (b'{"format": "empathy-ce/answers", "version": 9, "items": {}}', "unsupported version"),
    (b'{"format": "empathy-ce/answers", "version": 1, "items": {"a": 1}}', "items"),
    (b'{"format": "empathy-ce/answers", "version": 1, "items": {"a": {"value": NaN}}}', "NaN"),
    (b"\xff\xfe", "not valid JSON"),
])
def test_broken_files_are_named(tmp_path: Path, content: bytes, reason: str):
    learner = tmp_path / "submitted" / "maria" / "trust"
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
    AnswerStore(tmp_path).save("trust.post.q1", "b", "single")
    kept = list(tmp_path.glob("answers.broken-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == "{half written"
    assert AnswerStore(tmp_path).values() == {"trust.post.q1": "b"}


def _save_many(folder: str, worker: int) -> None:
    store = AnswerStore(folder)
    for i in range(25):
        store.save(f"mod.w{worker}.q{i}", i, "numeric")


def test_concurrent_writers_lose_nothing(tmp_path: Path):
    """Two kernels (say, two notebooks in one folder) saving at once: every answer survives."""
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_save_many, args=(str(tmp_path), w)) for w in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert len(AnswerStore(tmp_path).values()) == 75
