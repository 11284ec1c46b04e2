"""What notebook cells call: ask() shows an item, score() grades it (in hidden tests), progress() counts."""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from . import kinds
from .answers import AnswerFileError, AnswerStore, learner_hint, practice_folder
from .cells import notebook_items
from .item_html import static_html
from .items import InvalidAnswer, check_value, validate_item
from .scoring import points
from .widget import ItemWidget, ProgressLine, front_end_spec, markdown, progress_text

SOURCE_FOLDERS = ("solutions", "source")
RUN_ALL = "To answer, choose Run > Run All Cells."
# Set to "0" where outputs are not for JupyterLab (the website's executed notebooks show the live view only).
STATIC_COPY_ENV = "EMPATHY_CE_STATIC_COPY"


def static_copies() -> bool:
    return os.environ.get(STATIC_COPY_ENV, "1") != "0"


# Rules that travel with each static output, for a notebook reopened with no kernel (item.css does the same for
# live views): the item's code is hidden, the live view replaces the static copy, and the widget renderer's
# text-only placeholder ("Loading widget...", "Error displaying widget: model not found") is not shown.
STATIC_STYLE = """<style>
.jp-Cell:has(.ece-static-output) .jp-Cell-inputWrapper, .jp-Cell:has(.ece-item) .jp-Cell-inputWrapper { display: none; }
.jp-Cell:has(.ece-item) .ece-static-output, .jp-Cell:has(.ece-progress) .ece-static-output { display: none; }
.jp-Cell:has(.ece-static-output) .jp-OutputArea-output:not(:has(*)) { display: none; }
.ece-static-note { font-weight: 600; }
</style>"""


def autograding() -> bool:
    """True while nbgrader's autograde executes the notebook."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def instructor_copy(folder: Path) -> bool:
    """True inside a course's nbgrader source folder, where answers must never be saved."""
    folder = folder.resolve()
    for parent in [folder, *folder.parents]:
        if (parent / "nbgrader_config.py").exists():
            relative = folder.relative_to(parent).parts
            return bool(relative) and relative[0] in SOURCE_FOLDERS
    return False


class Session:
    """The items shown in this kernel, their widgets and the answer file they persist to."""

    def __init__(self, folder: Path | None = None, notify: Callable[[str], None] = print) -> None:
        self.folder = Path.cwd() if folder is None else folder
        self.store = AnswerStore(self.folder)  # post-test answers: submitted with the assignment
        # Practice answers (reflections, self-checks) stay with the learner, outside the assignment folder.
        self.practice = AnswerStore(practice_folder(self.folder), create=True)
        self.migrated = False
        self.items: dict[str, dict[str, Any]] = {}
        self.values: dict[str, Any] = {}
        self.widgets: dict[str, ItemWidget] = {}
        self.progress_lines: list[ProgressLine] = []
        self.saving = not instructor_copy(self.folder) and not autograding()
        self.warned = False
        # Messages for the learner (printed in a kernel; collected by the instructor tools' kernel-free grading).
        self.notify = notify

    def store_for(self, spec: dict[str, Any]) -> AnswerStore:
        return self.practice if spec["mode"] == "practice" else self.store

    def migrate(self, extra_ids: set[str] = frozenset()) -> None:
        """Move practice answers that an earlier version kept in the assignment's answers.json to the private
        practice file: copied first, then removed, so an interruption never loses one."""
        if self.migrated or not self.saving:
            return
        self.migrated = True
        practice_ids = set(extra_ids)
        for notebook in self.folder.glob("*.ipynb"):
            try:
                practice_ids |= {spec["id"] for spec, _ in notebook_items(notebook) if spec.get("mode") == "practice"}
            except Exception:  # an unreadable notebook has no answers to move
                continue
        try:
            found = {k: v for k, v in self.store.load()["items"].items() if k in practice_ids}
            if not found:
                return
            kept = self.practice.load()["items"]
            newer = {k: v for k, v in found.items() if str(v.get("saved", "")) >= str(kept.get(k, {}).get("saved", ""))}
            if newer:
                self.practice.save_many({k: {"value": v["value"], "kind": v.get("kind", "text"),
                                             "saved": v.get("saved")} for k, v in newer.items()})
            self.store.take(set(found))
        except (AnswerFileError, OSError, ValueError) as err:
            self.notify(f"Practice answers could not be moved out of the assignment folder ({err}).")

    def number(self, item_id: str) -> int:
        """The item's position among the items shown in this notebook (1-based)."""
        return list(self.items).index(item_id) + 1

    def stored_value(self, spec: dict[str, Any]) -> Any:
        """The learner's saved answer for an item, or None when absent or invalid (with a message)."""
        # Whichever notebook of the folder runs first (the post-test too) moves old practice answers out.
        self.migrate({spec["id"]} if spec["mode"] == "practice" else set())
        try:
            raw = self.store_for(spec).values().get(spec["id"])
        except AnswerFileError as err:
            if not self.warned:
                self.warned = True
                self.notify(f"Saved answers could not be read: {err}. Items count as unanswered."
                            + (" New answers are saved and the unreadable file is kept aside." if self.saving else ""))
            return None
        try:
            return check_value(spec, raw)
        except InvalidAnswer as err:
            whose = learner_hint(self.store.path)  # "learner 'x', " at grading, else empty
            if whose:  # for the instructor: learner, file and the exact reason
                self.notify(f"The saved answer to {spec['id']} in {whose}file {self.store.path} is ignored: {err}.")
            else:  # for the learner: which question, what happened, what to do
                self.notify(mismatch_message(spec, self.number_of(spec)))
            return None

    def number_of(self, spec: dict[str, Any]) -> int:
        return self.number(spec["id"]) if spec["id"] in self.items else len(self.items) + 1

    def register(self, spec: dict[str, Any]) -> Any:
        self.items[spec["id"]] = spec
        value = self.stored_value(spec)
        self.values[spec["id"]] = value
        self.refresh()
        return value

    def score(self, item_id: str, key: Any) -> float:
        """Points earned by the saved answer to a shown item (what score() returns)."""
        if item_id not in self.items:
            raise LookupError(f"item {item_id} must be shown with ask() before it is scored")
        spec = self.items[item_id]
        return points(spec, self.stored_value(spec), key)

    def on_change(self, spec: dict[str, Any], widget: ItemWidget, change: dict[str, Any]) -> None:
        try:
            value = check_value(spec, change["new"])
        except InvalidAnswer as err:
            widget.report(f"Not saved: {err}. Your previous answer is kept.")
            return
        self.values[spec["id"]] = value
        self.refresh()
        if not self.saving:
            widget.report("Instructor copy: answers given here are not saved.")
            return
        try:
            self.store_for(spec).save(spec["id"], value, spec["kind"])
        except OSError as err:
            widget.report(f"Your answer could not be saved ({err.strerror}). Please tell your instructor.")
            return
        widget.report(f"Saved at {dt.datetime.now().strftime('%H:%M:%S')}.")

    def on_message(self, spec: dict[str, Any], widget: ItemWidget, content: Any) -> None:
        """A private (practice) item's view asks for its saved answer, or sends a new one."""
        if not isinstance(content, dict):
            return
        if content.get("type") == "restore":
            widget.send({"type": "restore", "value": self.values.get(spec["id"])})
        elif content.get("type") == "answer":
            self.on_change(spec, widget, {"new": content.get("value")})

    def refresh(self) -> None:
        answered = sum(v is not None for v in self.values.values())
        for line in self.progress_lines:
            line.show(answered, len(self.items))
        text = f"Progress: {progress_text(answered, len(self.items))}"
        for widget in self.widgets.values():
            widget.progress = text


_session: Session | None = None


def session() -> Session:
    """This kernel's session, rebuilt when the working folder changes."""
    global _session
    if _session is None or _session.folder != Path.cwd():
        _session = Session()
    return _session


def ask(**spec: Any) -> None:
    """Show one exercise item, restoring the learner's saved answer."""
    spec = validate_item(spec)
    current = session()
    value = current.register(spec)
    if autograding():
        display(HTML(answer_summary(spec, value)))
        return
    view = front_end_spec(spec)
    number = current.number(spec["id"])
    # Beside the live view, the item as plain HTML: what JupyterLab shows when the notebook is reopened with
    # no kernel (the widget model is gone then); the live view hides it (see STATIC_STYLE and item.css).
    if static_copies():
        display(HTML(f'{STATIC_STYLE}<div class="ece-static-output">{static_html(view, number, RUN_ALL)}</div>'))
    private = spec["mode"] == "practice"
    widget = ItemWidget(spec=view, answer=None if private else value, number=number, private=private)
    if value is not None:
        widget.report("Your saved answer was restored.")
    widget.observe(lambda change: current.on_change(spec, widget, change), "answer")
    if private:
        widget.on_msg(lambda w, content, buffers: current.on_message(spec, widget, content))
    current.widgets[spec["id"]] = widget
    display(widget)


def score(item_id: str, key: Any) -> float:
    """Points earned by the learner's saved answer; the key appears only in hidden tests."""
    current = session()
    earned = current.score(item_id, key)
    if autograding():
        display(HTML(result_html(current.items[item_id], key, earned)))
    return earned


def progress() -> None:
    """Show the 'n of m answered' line; it updates as items run and as answers change."""
    current = session()
    if autograding():
        return
    line = ProgressLine()
    current.progress_lines.append(line)
    current.refresh()
    if static_copies():
        display(HTML(f'{STATIC_STYLE}<p class="ece-static-output ece-static-note"><strong>{RUN_ALL}</strong></p>'))
    display(line)


def describe(spec: dict[str, Any], value: Any) -> str:
    """An answer in words, by option label rather than key."""
    return "no answer" if value is None else kinds.get(spec["kind"]).describe(spec, value)


def result_html(spec: dict[str, Any], key: Any, earned: float) -> str:
    """Static HTML of an item's score and credited answer, shown under the item at autograde."""
    credited = html.escape(describe(spec, key))
    result = f"Score: {earned:g} of {spec['points']:g}. Credited answer: {credited}."
    return f'<p class="ece-result">{result}</p>'


def answer_summary(spec: dict[str, Any], value: Any) -> str:
    """Static HTML of an item and the learner's answer, for formgrader and feedback."""
    parts = [f'<div class="ece-summary" data-item="{html.escape(spec["id"])}">',
             f"<p><strong>{html.escape(spec['id'])}</strong> ({spec['kind']}, objective {spec['objective']})</p>",
             markdown(spec["prompt"])]
    parts += kinds.get(spec["kind"]).summary_html(spec, value, markdown, describe(spec, value))
    parts.append("</div>")
    return "".join(parts)


def first_words(html_text: str, count: int = 6) -> str:
    """The first words of an item's prompt as plain text, to name the item in a message."""
    import re

    words = re.sub(r"<[^>]+>", " ", markdown(html_text)).split()
    text = html.unescape(" ".join(words[:count]))
    return text + ("..." if len(words) > count else "")


def mismatch_message(spec: dict[str, Any], number: int) -> str:
    """A saved answer that does not fit the item, in the learner's words: which question, what, what to do."""
    what = kinds.get(spec["kind"]).mismatch_reason()
    return (f'Question {number} ("{first_words(spec["prompt"])}"): your saved answer could not be used because '
            f"{what}. Please answer it again.")
