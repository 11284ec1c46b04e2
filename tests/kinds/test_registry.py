"""The kind registry and the front-end bundle: what a kind folder must hold, and clear refusals when it does not."""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from support import ROOT

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
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
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
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = ("import fs from 'fs'; const m = await import('./item.js');"
              "const cases = JSON.parse(fs.readFileSync('cases.json'));"
              "await m.loadKinds(cases.map((c) => c.spec.kind));"
              "console.log(JSON.stringify(cases.map((c) => m.fraction(c.spec, c.value, c.key))));")
    out = subprocess.run([node, "--input-type=module", "-e", script], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == pytest.approx([fraction(c["spec"], c["value"], c["key"]) for c in cases])
    assert any(0 < f < 1 for f in json.loads(out))
