"""Release: generate the learner notebooks with nbgrader and, optionally, release them to the exchange.

``nbgrader generate_assignment`` (solutions/ to exchange-ready exercises/, recording each assignment in the
gradebook) and ``nbgrader release_assignment`` (exercises/ to the exchange, where learners fetch them), one
module at a time: a module that fails is reported and the others are still released. Both overwrite what an
earlier run made, so the step is safe to re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbgrader.converters import GenerateAssignment
from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from .. import course as course_model
from . import configuration
from .collect import last_error
from .item_ids import duplicates


@dataclass
class StepResult:
    module: str
    step: str
    ok: bool
    message: str = ""


def generate(config: Config, module: str) -> StepResult:
    coursedir = configuration.coursedir(config)
    with temp_attrs(coursedir, assignment_id=module):
        converter = GenerateAssignment(coursedir=coursedir, config=config)
        converter.force = True
        converter.create_assignment = True
        result = capture_log(converter)
    return StepResult(module, "generate_assignment", bool(result["success"]),
                      "" if result["success"] else last_error(result))


def to_exchange(config: Config, module: str) -> StepResult:
    from nbgrader.auth import Authenticator
    from nbgrader.exchange import ExchangeFactory

    coursedir = configuration.coursedir(config)
    if config.Exchange.get("root"):
        Path(config.Exchange.root).mkdir(parents=True, exist_ok=True)
    with temp_attrs(coursedir, assignment_id=module):
        release = ExchangeFactory(config=config).ReleaseAssignment(
            coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        release.force = True
        result = capture_log(release)
    return StepResult(module, "release_assignment", bool(result["success"]),
                      "" if result["success"] else last_error(result))


def release(root: Path, modules: list[str], *, exchange: bool = False) -> list[StepResult]:
    problems = duplicates(course_model.load(root))
    if problems:  # every module's answers and grades are keyed by item id: release none of them
        raise configuration.SetupError("nothing released: " + " ".join(problems))
    config = configuration.load(root)
    retakes = course_model.load(root).retake_assignments()  # released per learner only (retakes.release_retake)
    results = []
    for module in modules:
        step = generate(config, module)
        results.append(step)
        if step.ok and exchange and module not in retakes:
            results.append(to_exchange(config, module))
    return results
