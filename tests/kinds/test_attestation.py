"""The attestation kind: a record of box, name, minutes and optional license fields; what a certificate needs."""

from __future__ import annotations

import pytest

from empathy_ce import kinds
from empathy_ce.items import InvalidAnswer, ItemError, check_value, validate_item
from empathy_ce.kinds.attestation import complete

SPEC = {"id": "m.post.attestation", "kind": "attestation", "mode": "assessment", "objective": "attestation-1",
        "points": 0, "prompt": "I did this module myself."}


def test_an_attestation_is_normalised_and_what_it_lacks_is_said_in_words():
    validate_item(SPEC)
    value = check_value(SPEC, {"attested": True, "name": "  Sam Rivera ", "minutes": 70.0, "license_number": "LPC-1"})
    assert value == {"attested": True, "name": "Sam Rivera", "minutes": 70, "license_number": "LPC-1",
                     "license_jurisdiction": ""}
    assert complete(value) == []
    assert complete(check_value(SPEC, {"attested": False, "name": "Sam"})) == [
        "the attestation box is not ticked", "no minutes stated"]
    assert complete(None) == ["no attestation"]
    assert check_value(SPEC, {"attested": False, "name": " ", "minutes": None}) is None  # nothing given yet
    assert "incomplete" in kinds.get("attestation").describe(SPEC, check_value(SPEC, {"attested": True}))


@pytest.mark.parametrize("value", ["yes", [1], {"attested": "yes"}, {"minutes": -1}, {"minutes": 1.5},
                                   {"name": 3}, {"name": "x" * 201}, {"signature": "x"}])
def test_a_malformed_attestation_is_refused(value: object):
    with pytest.raises(InvalidAnswer):
        check_value(SPEC, value)


def test_an_attestation_carries_no_points():
    with pytest.raises(ItemError):
        validate_item({**SPEC, "points": 1})


def test_every_post_test_ends_with_the_attestation_cells_the_helper_makes():
    """`notebook_cells` is how a new post-test (another form) gets its attestation: the same cells as these."""
    import nbformat
    from support import ROOT

    from empathy_ce import course as course_model
    from empathy_ce.kinds.attestation import notebook_cells

    course = course_model.load(ROOT)
    for module in course.modules:
        nb = nbformat.read(course.source(module, module.posttest), as_version=4)
        at = next(i for i, c in enumerate(nb.cells) if "kind=\"attestation\"" in c.source)
        intro, cell = notebook_cells(f"{module.id}.post.attestation")
        assert (nb.cells[at - 1].source, nb.cells[at].source) == (intro.source, cell.source), module.id
        assert dict(nb.cells[at].metadata) == dict(cell.metadata), module.id
