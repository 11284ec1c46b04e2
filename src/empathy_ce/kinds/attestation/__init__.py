"""Attestation before submitting a post-test: the learner confirms they did the module themselves (checkbox and
typed name), states the minutes spent, and may give a license number and jurisdiction for the certificate.

Never scored (no key, zero points, a cell that is not graded); the record is saved in answers.json like any
answer. `complete()` says whether it is enough for a certificate (`instructor/completion.py`); the license
fields go to `certificates.issue` as the learner's `Attestation`.
"""

from __future__ import annotations

import html
import math
import random
from collections.abc import Callable
from typing import Any

from ..base import InvalidAnswer, Kind

FIELDS = ("attested", "name", "minutes", "license_number", "license_jurisdiction")
TEXT_FIELDS = ("name", "license_number", "license_jurisdiction")
FIELD_LIMIT = 200  # characters in a name, license number or jurisdiction
MAX_MINUTES = 100_000


def complete(value: Any) -> list[str]:
    """What a checked attestation value still lacks for a certificate, in words (empty: complete)."""
    if not isinstance(value, dict):
        return ["no attestation"]
    missing = []
    if value.get("attested") is not True:
        missing.append("the attestation box is not ticked")
    if not (value.get("name") or "").strip():
        missing.append("no name typed")
    if not value.get("minutes"):
        missing.append("no minutes stated")
    return missing


class Attestation(Kind):
    name = "attestation"
    hint = "Tick the box, type your name and the minutes you spent; add a license number if you want it printed."
    manual = True  # no key: never scored

    def check_item(self, spec: dict[str, Any]) -> str | None:
        return "an attestation carries no points" if spec.get("points", 0) != 0 else None

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        if not isinstance(value, dict):
            raise InvalidAnswer(f"an attestation is a record of fields, got {type(value).__name__}")
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise InvalidAnswer(f"unknown attestation fields {unknown}")
        attested = value.get("attested", False)
        if not isinstance(attested, bool):
            raise InvalidAnswer(f"'attested' must be true or false, got {attested!r}")
        found: dict[str, Any] = {"attested": attested}
        for field in TEXT_FIELDS:
            text = value.get(field, "")
            if text is None:
                text = ""
            if not isinstance(text, str):
                raise InvalidAnswer(f"'{field}' must be text, got {type(text).__name__}")
            if len(text) > FIELD_LIMIT:
                raise InvalidAnswer(f"'{field}' is {len(text)} characters, the limit is {FIELD_LIMIT}")
            found[field] = text.strip()
        minutes = value.get("minutes")
        if minutes is not None:
            if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not math.isfinite(minutes) \
                    or minutes != int(minutes) or not 0 <= minutes <= MAX_MINUTES:
                raise InvalidAnswer(f"'minutes' must be a whole number from 0 to {MAX_MINUTES}, got {minutes!r}")
            minutes = int(minutes)
        found["minutes"] = minutes
        if not attested and not minutes and not any(found[f] for f in TEXT_FIELDS):
            return None  # nothing given yet
        return found

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        raise TypeError("an attestation is never scored")

    def describe(self, spec: dict[str, Any], value: Any) -> str:
        lacking = complete(value)
        said = f"{'attested' if value['attested'] else 'not attested'} by {value['name'] or '(no name)'}, " \
               f"{value['minutes'] if value['minutes'] is not None else 'no'} minutes"
        return said + (f" (incomplete: {'; '.join(lacking)})" if lacking else "")

    def summary_html(self, spec: dict[str, Any], value: Any, markdown: Callable[..., str],
                     described: str) -> list[str]:
        return [f"<p><strong>Attestation (not scored):</strong> {html.escape(described)}</p>"]

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        return [f'<p><label><input type="checkbox" name="{name}-attested" disabled> I attest to the statement '
                "above.</label></p>",
                f'<p><label>Your full name: <input type="text" name="{name}-name" disabled></label></p>',
                f'<p><label>Minutes spent on this module: <input type="number" name="{name}-minutes" disabled>'
                "</label></p>",
                f'<p><label>License number (optional): <input type="text" name="{name}-license" disabled></label></p>',
                f'<p><label>Licensing jurisdiction (optional): <input type="text" name="{name}-jurisdiction" '
                "disabled></label></p>"]

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        return ["- a box to tick, your full name, the minutes you spent; optionally your license number and "
                "jurisdiction", ""]

    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        return [({"id": "kinds.attestation.a1", "kind": "attestation", "mode": "assessment", "objective": "kinds-1",
                  "points": 0, "prompt": "I completed this module myself."}, None)]

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        full = {"attested": True, "name": "Sam Rivera", "minutes": 70, "license_number": "LPC-123",
                "license_jurisdiction": "Oregon"}
        return {"right": [full, {"attested": True, "name": "Sam Rivera", "minutes": 55},
                          {"attested": False, "name": "Sam Rivera"}],
                "partial": [], "wrong": [],
                "invalid": ["yes", [full], {**full, "attested": "yes"}, {**full, "minutes": -5},
                            {**full, "minutes": 2.5}, {**full, "extra": 1}, {**full, "name": 7},
                            {**full, "name": "x" * (FIELD_LIMIT + 1)}, True]}

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        return rng.choice(self.samples(spec, None, rng)["right"])


KIND = Attestation()


STATEMENT = ("I attest that I completed this module and this post-test myself, without help from another person, and "
             "that the minutes I give below are my honest estimate of the time I spent on the module (reading, "
             "practice and post-test).")
INTRO = ("## Before you submit: attestation\n\nA certificate needs this attestation in every post-test. It is not "
         "scored. Tick the box, type your full name and the minutes you spent on the module. A license number and "
         "jurisdiction are optional: if you give them, they are printed on your certificate.")


def notebook_cells(item_id: str) -> list[Any]:
    """The two cells that end a post-test (before its closing note): the explanation and the attestation item, in
    a locked cell nbgrader does not grade. For a new post-test notebook (another form): insert these, with an id
    such as `<module>.<set>.attestation`, then run `empathy-ce release`."""
    import nbformat

    from ...authoring import grade_id, item_source, markdown_cell

    spec = {"id": item_id, "kind": "attestation", "mode": "assessment", "objective": "attestation-1", "points": 0,
            "prompt": STATEMENT}
    cell = nbformat.v4.new_code_cell(item_source(spec))
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id(item_id), "grade": False,
                                 "solution": False, "locked": True, "task": False}
    cell.metadata["jupyter"] = {"source_hidden": True}
    cell.metadata["tags"] = ["exercise", "attestation"]
    return [markdown_cell(INTRO), cell]
