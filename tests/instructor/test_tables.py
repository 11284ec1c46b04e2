"""The one CSV writer: what a spreadsheet reads back is what was written, whatever the text holds."""

from __future__ import annotations

import csv
from pathlib import Path

from empathy_ce.instructor.tables import write_csv


def test_rows_read_back_exactly_with_commas_quotes_newlines_and_accents(tmp_path: Path):
    rows = [["zoë", 'said "yes", then left', 3.5], ["ada", "line one\nline two", ""], ["bo", "Łukasiewicz; ✓", 0]]
    path = write_csv(tmp_path / "new" / "folder" / "table.csv", ["learner", "note", "score"], rows)
    assert path == tmp_path / "new" / "folder" / "table.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        back = list(csv.reader(handle))
    assert back == [["learner", "note", "score"], *[[str(v) for v in row] for row in rows]]
    assert path.read_bytes().startswith(b"learner,note,score\r\n")  # the csv module's line ending, no BOM
