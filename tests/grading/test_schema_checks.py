"""grading/schema_checks.py: nbgrader's cell-metadata validation, its schema checked once per process.

nbgrader's own validator (MetadataValidatorV3, as CheckCellMetadata makes one for each notebook) on real cell
metadata, against jsonschema.validate on the same schema.
"""

from __future__ import annotations

import jsonschema
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

from empathy_ce.grading import schema_checks

GOOD = {"grade": True, "grade_id": "item-1", "points": 2, "schema_version": 3, "locked": True, "solution": False}
BAD = [
    {**GOOD, "points": "two"},  # a wrong type
    {k: v for k, v in GOOD.items() if k != "locked"},  # a missing key
    {**GOOD, "locked": "yes", "grade_id": 7},  # two errors: the best match is raised
]


def _cell(meta: dict) -> object:
    return new_code_cell("ask('item-1')", metadata={"nbgrader": dict(meta)})


def _stock_error(meta: dict) -> str | None:
    try:
        jsonschema.validate(meta, MetadataValidatorV3().schema)
    except jsonschema.ValidationError as err:
        return err.message
    return None


@pytest.mark.parametrize("meta", BAD)
def test_the_same_error_as_jsonschema_validate(meta: dict) -> None:
    expected = _stock_error(meta)
    assert expected is not None
    with schema_checks.cached_schema_checks(), pytest.raises(jsonschema.ValidationError) as raised:
        MetadataValidatorV3().validate_cell(_cell(meta))
    assert raised.value.message == expected


def test_the_schema_is_checked_once_for_many_notebooks(monkeypatch: pytest.MonkeyPatch) -> None:
    schema_checks._checked.clear()
    checks: list[object] = []
    kind = jsonschema.validators.validator_for(MetadataValidatorV3().schema)
    original = kind.check_schema.__func__

    def counted(cls: type, schema: dict, *args: object, **kwargs: object) -> None:
        checks.append(schema)
        original(cls, schema, *args, **kwargs)

    monkeypatch.setattr(kind, "check_schema", classmethod(counted))
    for _ in range(3):  # one validator per notebook, each with its own copy of the schema read from nbgrader's file
        with schema_checks.cached_schema_checks():
            validator = MetadataValidatorV3()
            for _ in range(4):
                validator.validate_cell(_cell(GOOD))
            with pytest.raises(jsonschema.ValidationError):
                validator.validate_cell(_cell(BAD[0]))
    assert len(checks) == 1


def test_another_schema_is_checked_on_its_own() -> None:
    schema_checks._checked.clear()
    schema = {**MetadataValidatorV3().schema, "required": ["grade_id", "colour"]}  # not nbgrader's
    with schema_checks.cached_schema_checks():
        import nbgrader.nbgraderformat.common as common

        common.jsonschema.validate(GOOD, MetadataValidatorV3().schema)
        with pytest.raises(jsonschema.ValidationError, match="colour"):
            common.jsonschema.validate(GOOD, schema)
    assert len(schema_checks._checked) == 2


def test_nbgraders_validate_is_restored_afterwards() -> None:
    import nbgrader.nbgraderformat.common as common

    with schema_checks.cached_schema_checks():
        assert common.jsonschema is not jsonschema
    assert common.jsonschema is jsonschema


def test_metadata_that_passed_is_not_checked_again_and_changed_metadata_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every learner's copy of an item cell has the same metadata: checked once per batch. A learner's change is
    other metadata, checked (and refused) every time."""
    schema_checks._checked.clear()
    walks: list[object] = []
    kind = jsonschema.validators.validator_for(MetadataValidatorV3().schema)
    original = kind.iter_errors

    def counted(self: object, instance: object, *args: object, **kwargs: object) -> object:
        if isinstance(instance, dict) and "schema_version" in instance:  # (not its parts, nor nbformat's cells)
            walks.append(instance)
        return original(self, instance, *args, **kwargs)

    monkeypatch.setattr(kind, "iter_errors", counted)
    for _ in range(5):  # five learners' notebooks
        with schema_checks.cached_schema_checks():
            validator = MetadataValidatorV3()
            validator.validate_cell(_cell(GOOD))
            validator.validate_cell(_cell({**GOOD, "grade_id": "item-2"}))
            with pytest.raises(jsonschema.ValidationError, match="two"):
                validator.validate_cell(_cell(BAD[0]))
            with pytest.raises(jsonschema.ValidationError):
                validator.validate_cell(_cell({**GOOD, "points": float("nan"), "locked": "no"}))  # no JSON key
    assert len(walks) == 2 + 5 * 2
