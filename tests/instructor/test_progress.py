"""Progress that works everywhere (issue 16): plain lines when output is not a terminal, also while one long
job runs; tqdm's bar on a terminal; nothing with --no-progress."""

from __future__ import annotations

import io
import re
import time

import pytest

from empathy_ce.instructor import parallel, progress

LINE = re.compile(r"^Slow: (\d+) of 3 submissions, \d+:\d\d:\d\d elapsed, (.+)$")


def setup() -> None:
    return None


def slow(_state: None, seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def crashed(unit: float, message: str) -> float:
    raise AssertionError(message)


@pytest.mark.parametrize("workers", [1, 2])
def test_plain_lines_keep_coming_while_a_long_job_runs(workers: int, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("EMPATHY_CE_PROGRESS_SECONDS", "0.5")
    started = time.monotonic()
    done = parallel.run([0.1, 3.0, 0.1], slow, setup=setup, setup_args=(), crashed=crashed, workers=workers,
                        desc="Slow")
    assert done == [0.1, 3.0, 0.1]
    lines = capsys.readouterr().err.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    matches = [LINE.match(line) for line in lines]
    assert matches[0].group(1) == "0" and matches[0].group(2) == "remaining not known yet"
    assert matches[-1].group(1) == "3" and matches[-1].group(2) == "done"
    assert any(m.group(2).startswith("about ") for m in matches)
    # The 3-second job alone runs for 3 s: with a line at most every 0.5 s, at least 4 lines come meanwhile.
    assert len(lines) >= 5 and time.monotonic() - started < 10


def test_a_terminal_gets_a_bar_and_no_progress_means_none():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress.start(3, "Grading", file=Terminal()), progress.BarProgress)
    assert isinstance(progress.start(3, "Grading", file=io.StringIO()), progress.PlainProgress)
    assert isinstance(progress.start(3, "Grading", enabled=False, file=io.StringIO()), progress.NoProgress)
