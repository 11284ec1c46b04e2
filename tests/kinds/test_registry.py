"""The kind registry and the front-end bundle: what a kind folder must hold, and clear refusals when it does not."""

from __future__ import annotations

import copy
import random
import re
import shutil
from pathlib import Path

import pytest
from support import ROOT
from support.node import run_module

from empathy_ce import authoring, kinds
from empathy_ce.item_html import static_html
from empathy_ce.items import InvalidAnswer, ItemError, check_value, schema, validate_item
from empathy_ce.kinds import front
from empathy_ce.scoring import fraction
from empathy_ce.site.preview import item_markdown
from empathy_ce.widget import ItemWidget, front_end_spec

FIXTURE = Path(__file__).parent / "fixtures" / "yesno"


def kind_folder(tmp_path: Path, name: str = "yesno") -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURE, folder)
    return folder


def test_every_kind_is_listed_once_and_builds_the_schema():
    assert kinds.names()[:6] == ("single", "multiple", "rating", "ordering", "numeric", "text")
    assert schema()["properties"]["kind"]["enum"] == list(kinds.names())
    for kind in kinds.all_kinds():
        for spec, _ in kind.examples():
            validate_item(copy.deepcopy(spec))
            assert kinds.get(spec["kind"]) is kind
    with pytest.raises(InvalidAnswer, match="unknown item kind 'essay'"):
        check_value({"kind": "essay"}, "x")


@pytest.mark.parametrize("name", kinds.names())
def test_every_kind_has_its_static_html_preview_and_front_end(name):
    kind = kinds.get(name)
    spec, _ = kind.examples()[0]
    html = static_html(front_end_spec(spec))
    assert f"ece-kind-{name}" in html and kind.hint in html
    assert (kind.preview_hint or kind.hint) in item_markdown(1, spec)
    assert {"check", "fraction", "render"} <= set(front.exports(kind))
    assert f'"{name}": (() =>' in front.bundle()


def test_the_widget_carries_the_bundle_and_the_site_gets_each_part():
    bundle = ItemWidget(spec={"id": "a.b.c", "kind": "single"})._esm
    assert bundle == front.bundle() and front.MARKER not in bundle
    assert front.MARKER in front.core()  # the file the site serves imports the parts instead
    assert sorted(front.site_files()) == sorted(["item.css", *(f"kinds/{n}.js" for n in kinds.names())])


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: (f / "front.js").write_text((f / "front.js").read_text().replace("export function render",
                                                                                 "function render")),
     "does not export render"),
    (lambda f: (f / "front.js").write_text("import x from './y.js';\n" + (f / "front.js").read_text()),
     "may not use 'import'"),
    (lambda f: (f / "front.js").write_text((f / "front.js").read_text() + "\nexport default {};\n"),
     "may not use 'export default'"),
])
def test_a_front_end_part_that_breaks_the_rules_is_refused(tmp_path, change, message):
    folder = kind_folder(tmp_path)
    change(folder)
    kind = kinds.register(folder)
    try:
        with pytest.raises(front.FrontEndError, match=message):
            front.bundle()
    finally:
        kinds.unregister(kind.name)
    assert "yesno" not in front.bundle()


RULE = "export function same(value, key) {\n  return value === key ? 1 : 0;\n}\nexport const ANSWERS = ['yes', 'no'];\n"


def importing_kind(tmp_path: Path, statement: str = 'import { same as agree } from "./rule.js";') -> Path:
    """The fixture kind with its scoring rule in a module beside front.js, which front.js imports."""
    folder = kind_folder(tmp_path)
    (folder / "rule.js").write_text(RULE)
    text = (folder / "front.js").read_text().replace("return value === key ? 1 : 0;", "return agree(value, key);")
    assert "agree(value, key)" in text
    (folder / "front.js").write_text(f"{statement}\n{text}")
    return folder


def test_a_front_end_part_may_import_a_module_which_lab_and_site_get_inlined(tmp_path):
    kind = kinds.register(importing_kind(tmp_path))
    try:
        site, bundle = front.site_files()["kinds/yesno.js"], front.bundle()
    finally:
        kinds.unregister(kind.name)
    assert not re.search(r"^\s*import\b", site, re.M) and site.count("function same(") == 1
    assert bundle.count("function same(") == 1
    (tmp_path / "site.mjs").write_text(site)
    (tmp_path / "lab.mjs").write_text(bundle)
    cases = [{"value": value, "key": key} for value in ("yes", "no") for key in ("yes", "no")]
    both = "cases.map((c) => [site.fraction({}, c.value, c.key), lab.fraction({kind: 'yesno'}, c.value, c.key)])"
    out = run_module(tmp_path, cases, "import * as site from './site.mjs'; import * as lab from './lab.mjs';", both)
    assert out == [[1, 1] if c["value"] == c["key"] else [0, 0] for c in cases]


@pytest.mark.parametrize(("statement", "extra", "message"), [
    ('import { same } from "./missing.js";', None, r"\./missing\.js \(imported by front\.js\) does not exist"),
    ('import { other } from "./rule.js";', None, "rule.js .* does not export other"),
    ('import { same } from "./rule.js";', 'import { x } from "./y.js";\n',
     r"rule\.js \(imported by front\.js\) may not use 'import' \(it imports nothing"),
    ('import { same } from "./rule.js";', "export { same as alike };\n", "may not use 'export {'"),
    ('import { same } from "../outside.js";', None, "outside the kind's folder and the empathy_ce package"),
    ('import same from "./rule.js";', None, "front.js may not use 'import' \\(import only \\{ names \\}"),
])
def test_what_a_front_end_part_imports_is_checked(tmp_path, statement, extra, message):
    folder = importing_kind(tmp_path, statement.replace("{ same }", "{ same as agree }"))
    (tmp_path / "outside.js").write_text(RULE)
    if extra:
        (folder / "rule.js").write_text(extra + RULE)
    kind = kinds.register(folder)
    try:
        with pytest.raises(front.FrontEndError, match=message):
            front.bundle()
        with pytest.raises(front.FrontEndError, match=message):
            front.site_files()
    finally:
        kinds.unregister(kind.name)


def _code_lines(text: str) -> list[str]:
    """A module's lines that carry code, white space folded, `export ` dropped (as inlining drops it)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return [line.removeprefix("export ") for line in lines if len(line.strip("{}()[];, ")) > 2
            and not line.startswith("//")]


def test_no_kind_copies_a_shared_front_end_module():
    """A rule shared in JavaScript (conversation/path.js) is written once: a kind's front.js imports it rather than
    carrying a copy (no four code lines in a row of any other module of the package), and the conversation's
    front end, in JupyterLab and on the site, holds path.js exactly once."""
    shared = [p for p in (ROOT / "src" / "empathy_ce").rglob("*.js") if p.name != "front.js"]
    runs = {tuple(lines[i:i + 4]): p.name for p in shared for lines in [_code_lines(p.read_text())]
            for i in range(len(lines) - 3)}
    for kind in kinds.all_kinds():
        lines = _code_lines(kind.front_end)
        copied = [(runs[run], run) for i in range(len(lines) - 3) if (run := tuple(lines[i:i + 4])) in runs]
        assert not copied, f"item kind {kind.name}: front.js repeats {copied[0]}: import it (kinds/front.py)"
    conversation = kinds.get("conversation")
    assert '"../../conversation/path.js"' in conversation.front_end
    for served in (front.site_files()["kinds/conversation.js"], front.inlined(conversation)):
        assert served.count("function checkPath(") == 1 and served.count("function totals(") == 1


def test_a_kind_folder_is_checked_when_registered(tmp_path):
    wrong_name = kind_folder(tmp_path, "maybe")
    with pytest.raises(ValueError, match=r"KIND\.name is 'yesno'"):
        kinds.register(wrong_name)
    no_front = kind_folder(tmp_path / "x")
    (no_front / "front.js").unlink()
    with pytest.raises(FileNotFoundError, match=r"front\.js is missing"):
        kinds.register(no_front)
    assert "yesno" not in kinds.names()
    with pytest.raises(ValueError, match="built in"):
        kinds.unregister("single")


def test_a_kind_may_add_fields_but_not_redefine_another_kinds(tmp_path):
    folder = kind_folder(tmp_path)
    (folder / "schema.json").write_text('{"properties": {"answers": {"type": "array"}}, "then": {}}')
    kinds.register(folder)
    try:
        spec = {"id": "y.post.q1", "kind": "yesno", "mode": "assessment", "objective": "y-1", "points": 1,
                "prompt": "P", "answers": ["yes"]}
        validate_item(spec)
        assert 'answers=["yes"]' in authoring.item_source(spec, "yes")  # the notebook cell carries it
        with pytest.raises(ItemError, match="answers"):
            validate_item({**spec, "answers": "yes"})
        with pytest.raises(ItemError, match="answers"):  # another kind does not gain the field
            validate_item({**spec, "kind": "numeric"})
    finally:
        kinds.unregister("yesno")
    (folder / "schema.json").write_text('{"properties": {"options": {"type": "string"}}, "then": {}}')
    kinds.register(folder)
    try:
        with pytest.raises(ItemError, match="'options' differs"):
            schema()
    finally:
        kinds.unregister("yesno")


def test_no_kind_source_file_is_long():
    files = [*(ROOT / "src/empathy_ce/kinds").rglob("*.py"), *(ROOT / "src/empathy_ce/kinds").rglob("*.js"),
             ROOT / "src/empathy_ce/static/item.js"]
    long = {f.relative_to(ROOT).as_posix(): n for f in files if (n := len(f.read_text().splitlines())) > 300}
    assert long == {}


def test_the_site_layout_imports_each_kind_part(tmp_path):
    """As on the website: item.js served as it is, each kind's part imported from kinds/<kind>.js beside it."""
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "item.js").write_text(front.core())
    for name, text in front.site_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    cases = []
    for kind in (k for k in kinds.all_kinds() if not k.manual):
        for spec, key in kind.examples():
            samples = kind.samples(spec, key, random.Random(1))  # a right answer: a key need not be one
            values = [*samples["partial"][:1], samples["right"][0]]
            cases += [{"spec": spec, "value": value, "key": key} for value in values]
    load = "const m = await import('./item.js'); await m.loadKinds(cases.map((c) => c.spec.kind));"
    out = run_module(tmp_path, cases, load, "cases.map((c) => m.fraction(c.spec, c.value, c.key))")
    assert out == pytest.approx([fraction(c["spec"], c["value"], c["key"]) for c in cases])
    assert any(0 < f < 1 for f in out)
