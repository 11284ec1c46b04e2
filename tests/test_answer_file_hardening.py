"""The answer file under attack: arbitrary bytes, and a writer killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening import tried
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empathy_ce.answers import AnswerFileError, AnswerStore, parse

pytestmark = pytest.mark.hardening

PATH = Path("/tmp/learner/answers.json")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
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


# No deadline: each save fsyncs twice, which takes over 200 ms on a loaded machine (the suite runs beside other
# work); this test is about what is loaded back, not about speed.
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
