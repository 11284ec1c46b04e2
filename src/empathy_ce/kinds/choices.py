"""What the kinds answered with option keys share: single and multiple (options picked from a list) and
ordering (the options put in order).

Each of those kinds keeps its own rule in its folder (what an answer is, how it scores, its samples); what they
have in common is written here once: that answers are option keys (`Kind.uses_options`: the summary lists the
options, the preview their labels, a changed option set is why a saved answer stops fitting), the static list of
radio buttons or checkboxes, the check of a list of keys, and the options the examples use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .base import InvalidAnswer, Kind, attr, option_keys

OPTIONS = [{"key": k, "label": f"Option {k.upper()}"} for k in "abcd"]  # the examples' four options


class Options(Kind):
    """A kind whose answers are option keys."""

    uses_options = True


class Choice(Options):
    """Options picked from a list: radio buttons for one pick, checkboxes for several. The report counts how
    many learners picked each option."""

    input_type: ClassVar[str] = "radio"  # the static HTML's control: "radio" or "checkbox"
    distractors = True

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        return option_list(view, name, self.input_type)


def option_list(view: dict[str, Any], name: str, input_type: str) -> list[str]:
    """Static radio buttons or checkboxes, one per option (labels are already safe HTML)."""
    return ['<ul class="ece-static-options">'] + [
        f'<li><label><input type="{input_type}" name="{name}" value="{attr(o["key"])}" disabled> '
        f'{o["label"]}</label></li>' for o in view["options"]] + ["</ul>"]


def check_keys(spec: dict[str, Any], value: Any) -> list[str]:
    """A list of distinct, known option keys, or InvalidAnswer."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidAnswer(f"expected a list of option keys, got {value!r}")
    if len(set(value)) != len(value):
        raise InvalidAnswer(f"option keys repeat in {value!r}")
    keys = option_keys(spec)
    unknown = [v for v in value if v not in keys]
    if unknown:
        raise InvalidAnswer(f"unknown option keys {unknown}")
    return value
