"""What one item kind is: the Python half of a kind folder, and the errors every kind raises.

A kind lives in one folder (after PrairieLearn's elements): `__init__.py` defines `KIND`, an instance of a
`Kind` subclass (validation, scoring, texts, static HTML, preview, sample answers); `schema.json` is its part of
the item schema; `front.js` is its part of the widget's front end (see `front.py` for the rules it follows);
an optional `front.css` adds its styles to item.css.
The defaults below fit the simplest kinds; a kind overrides what it needs. The kinds answered with option keys
(single, multiple, ordering) start from `choices.py`.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

# The qualities of sample answer a kind generates (PrairieLearn's test(): correct, incorrect, invalid).
QUALITIES = ("right", "partial", "wrong", "invalid")


class ItemError(ValueError):
    """An item definition breaks the contract."""


class InvalidAnswer(ValueError):
    """A stored or submitted answer does not fit its item."""


def option_keys(spec: dict[str, Any]) -> list[str]:
    return [option["key"] for option in spec.get("options", [])]


def attr(text: str) -> str:
    return html.escape(text, quote=True)


class Kind:
    """One item kind. `name` is the folder's name; `folder`, `schema`, `front_end` and `style` are set by the
    loader from the folder."""

    name: str = ""
    hint: ClassVar[str] = "Answer the question."  # under the prompt in static HTML
    preview_hint: ClassVar[str | None] = None  # in the site's post-test preview; None: the hint
    manual: ClassVar[bool] = False  # graded by hand: no key, score() is never called, fraction is None
    uses_options: ClassVar[bool] = False  # answers are option keys (messages, summaries, the report)
    folder: Path
    schema: dict[str, Any]
    front_end: str
    style: str = ""

    # ------------------------------------------------------------------------------------ the contract
    def check_item(self, spec: dict[str, Any]) -> str | None:
        """What the schema cannot say about an item of this kind: a problem in words, or None."""
        keys = option_keys(spec)
        if len(set(keys)) != len(keys):
            return f"option keys must be unique, got {keys}"
        return None

    def check_value(self, spec: dict[str, Any], value: Any) -> Any:
        """A non-None answer normalised, None for an empty one (unanswered), or raise InvalidAnswer."""
        raise NotImplementedError

    def check_key(self, spec: dict[str, Any], key: Any) -> Any:
        """The hidden key normalised, or InvalidAnswer. By default a key is a right answer; a kind whose key has
        another shape (scores per reply, say) overrides this and its front.js exports checkKey too."""
        value = self.check_value(spec, key) if key is not None else None
        if value is None:
            raise InvalidAnswer("a key cannot be empty")
        return value

    def fraction(self, spec: dict[str, Any], value: Any, key: Any) -> float:
        """The share of the points a checked, non-None answer earns against a checked key, in [0, 1]."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------ the words
    def describe(self, spec: dict[str, Any], value: Any) -> str:
        """A non-None answer in words (option labels rather than keys)."""
        labels = {o["key"]: o["label"] for o in spec.get("options", [])}
        if isinstance(value, list):
            return "; ".join(labels.get(v, str(v)) for v in value)
        return labels.get(value, str(value)) if isinstance(value, str) else str(value)

    def mismatch_reason(self) -> str:
        """Why a saved answer no longer fits, as the learner reads it."""
        return "the options changed" if self.uses_options else "the question changed"

    def summary_html(self, spec: dict[str, Any], value: Any, markdown: Callable[..., str],
                     described: str) -> list[str]:
        """The learner's answer under the item in autograded notebooks and formgrader (after the prompt)."""
        parts = []
        if self.uses_options:
            listed = "; ".join(f"[{html.escape(o['key'])}] {html.escape(o['label'])}" for o in spec["options"])
            parts.append(f"<p>Options: {listed}</p>")
        parts.append(f"<p><strong>Learner's answer:</strong> {html.escape(described)}</p>")
        return parts

    # ------------------------------------------------------------------------------------ the report
    distractors: ClassVar[bool] = False  # the report counts how many learners chose each choice

    def choices(self, spec: dict[str, Any]) -> list[tuple[str, str]]:
        """(choice, label) pairs the report counts, in order."""
        return [(o["key"], o["label"]) for o in spec.get("options", [])]

    def chosen(self, spec: dict[str, Any], value: Any) -> list[str]:
        """The choices a checked, non-None answer counts for."""
        return [value] if isinstance(value, str) else list(value)

    def credited(self, spec: dict[str, Any], key: Any) -> set[str]:
        """The choices the key credits."""
        return set(key if isinstance(key, list) else [key])

    # ------------------------------------------------------------------------------------ the views
    def front_end_view(self, view: dict[str, Any], markdown: Callable[..., str]) -> dict[str, Any]:
        """The kind's own text fields rendered to safe HTML for the front end (shared fields are done)."""
        return view

    def controls_html(self, view: dict[str, Any], name: str) -> list[str]:
        """Native, labelled, disabled inputs for the static HTML (answerable once the front end runs)."""
        return [f'<p><label>Your answer: <input type="text" name="{name}" disabled></label></p>']

    def preview_lines(self, spec: dict[str, Any]) -> list[str]:
        """Markdown lines after the hint in the site's read-only post-test preview."""
        if self.uses_options:
            return [f"- {option['label']}" for option in spec["options"]] + [""]
        return []

    # ------------------------------------------------------------------------------------ samples
    def examples(self) -> list[tuple[dict[str, Any], Any]]:
        """Small valid items of this kind with their keys (None for manual kinds), for tests and benchmarks."""
        raise NotImplementedError

    def samples(self, spec: dict[str, Any], key: Any, rng: random.Random) -> dict[str, list[Any]]:
        """Sample answers by quality (QUALITIES): right, partial (0 < share < 1), wrong, invalid.

        A list may be empty where a kind has no such answer (no partial credit for a single choice)."""
        raise NotImplementedError

    def guess(self, spec: dict[str, Any], rng: random.Random) -> Any:
        """A random valid answer, as a guessing learner would give."""
        raise NotImplementedError

