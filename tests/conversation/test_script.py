"""The authoring check over every course conversation, and each refusal on a broken script.

The broken scripts are made from one small valid script by a single change each, written to a YAML file and
loaded the way the course loads its own, so each message is checked for naming the file, node and reply.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from statistics import fmean
from typing import Any

import nbformat
import pytest
import yaml
from support import ROOT
from support.testwise import ABSOLUTES, HEDGES, count_words

from empathy_ce import cells
from empathy_ce import course as course_model
from empathy_ce.conversation import graph, script, split
from empathy_ce.conversation import path as paths
from empathy_ce.conversation.script import CODES, ScriptError

FILES = sorted((ROOT / script.FOLDER).glob("*.yml"))
COURSE = course_model.load(ROOT)


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_every_course_conversation_passes_the_check(file: Path) -> None:
    data = script.load(file, ROOT)
    assert data["id"] == file.stem


def conversations() -> dict[str, dict[str, Any]]:
    return script.load_all(ROOT)


def test_the_course_has_the_four_conversations_the_issue_asks_for() -> None:
    found = {(script.module_of(c), c["mode"]) for c in conversations().values()}
    assert {("m1-trust", "practice"), ("m3-cultivation", "practice"), ("m3-cultivation", "assessment"),
            ("m4-boundaries", "practice")} <= found
    names = [c["client"]["name"] for c in conversations().values()]
    assert len(set(names)) == len(names), "each conversation has a different client"
    # Every notebook cell but the conversations themselves (embedded as conversation items, and a graded written
    # turn's hand-graded task cell, whose rubric names the client).
    items = "\n".join(c.source for p in (ROOT / "solutions").rglob("*.ipynb") for c in nbformat.read(p, 4).cells
                      if (cells.item_spec(c.source) or {}).get("kind") != "conversation"
                      and not c.metadata.get("nbgrader", {}).get("task"))
    assert not set(names) & set(re.findall(r"\*\*Client\*\* \(([^,]+),", items)), "and none from the items"
    # Nor any name an item uses elsewhere (a "Samuel" in a Module 4 scenario clashed with a conversation's client).
    pages = items + "\n".join(p.read_text("utf-8") for p in (ROOT / "course").glob("*.qmd"))
    assert not [n for n in names if re.search(rf"\b{n}\b", pages)], "a client's name is used in an item or page"
    for item in conversations().values():
        module = next(m for m in COURSE.modules if m.id == script.module_of(item))
        assert item["objective"] in module.objectives


def test_every_code_is_used_and_each_conversation_mixes_skills_and_missteps() -> None:
    used = set()
    for item in conversations().values():
        codes = {r["code"] for node in item["nodes"].values() for r in node.get("replies", [])}
        used |= codes
        assert len(codes) >= 6, f"{item['id']} uses only {sorted(codes)}"
    assert used == set(CODES)


def test_every_graded_conversation_has_a_written_turn_with_examples_and_a_rubric() -> None:
    graded = [c for c in conversations().values() if c["mode"] == "assessment"]
    assert graded
    for item in graded:
        written = item["written_turn"]
        assert len(written["examples"]) >= 2 and written["rubric"] and written["points"] > 0


def test_the_client_opens_up_after_empathy_closes_down_after_missteps_and_can_be_brought_back() -> None:
    for item in conversations().values():
        nodes = item["nodes"]
        expert_end = paths.walk(item, item["expert_path"]).last
        for name, node in nodes.items():
            replies = node.get("replies", [])
            if not replies:
                continue
            good = {r["next"] for r in replies if r["rating"] >= 3}
            poor = {r["next"] for r in replies if r["rating"] <= 2}
            assert good and poor and not good & poor, f"{item['id']} {name}: empathy and missteps lead apart"
            # From every line, even after a misstep, some path still reaches the expert's ending.
            reachable = graph.reachable(graph.edges(item), name)
            assert expert_end in reachable, f"{item['id']}: from {name} the client cannot be brought back"


Reply = dict[str, Any]
def surface_strategies() -> dict[str, Callable[[list[Reply]], list[Reply]]]:
    """Ways to pick a reply without reading the client (by length, position, hedges or absolute words, as in
    tests/test_testwise.py; by the second-longest reply, by the phrases empathic replies tend to use, or by
    always picking a reflection); each returns the replies it cannot tell apart."""
    def most(measure: Callable[[Reply], float]) -> Callable[[list[Reply]], list[Reply]]:
        return lambda rs: [r for r in rs if measure(r) == max(map(measure, rs))]

    def second_longest(rs: list[Reply]) -> list[Reply]:
        lengths = sorted({len(r["text"]) for r in rs}, reverse=True)
        return [r for r in rs if len(r["text"]) == lengths[min(1, len(lengths) - 1)]]

    def containing(words: tuple[str, ...]) -> Callable[[list[Reply]], list[Reply]]:
        # The phrases of empathic replies ("It sounds like...", "it makes sense..."); no such reply: a guess.
        return lambda rs: [r for r in rs if any(w in r["text"].lower() for w in words)] or rs

    found = {
        "longest": most(lambda r: len(r["text"])),
        "second-longest": second_longest,
        "keyword ('sounds' / 'makes sense')": containing(("sounds", "makes sense")),
        # A learner who can tell a reflection by its form ("You...", "It sounds...") and always picks one.
        "reflection": lambda rs: [r for r in rs if r["code"] in ("simple-reflection", "complex-reflection")] or rs,
        "shortest": most(lambda r: -len(r["text"])),
        "most hedged": most(lambda r: count_words(r["text"], HEDGES)),
        "fewest absolutes": most(lambda r: -count_words(r["text"], ABSOLUTES)),
        "most absolutes": most(lambda r: count_words(r["text"], ABSOLUTES)),
        "last": lambda rs: [rs[-1]],
    }
    for i in range(4):
        found[f"position {i + 1}"] = lambda rs, i=i: [rs[min(i, len(rs) - 1)]]
    return found


def expected_share(item: dict[str, Any], choose: Callable[[list[Reply]], list[Reply]]) -> float:
    """Mean score over the paths the strategy may take, guessing uniformly among the replies it ties."""
    def walk(node: str, keys: list[str]) -> float:
        if item["nodes"][node].get("end"):
            return paths.fraction(item, keys)
        picks = choose(item["nodes"][node]["replies"])
        return fmean(walk(r["next"], [*keys, r["key"]]) for r in picks)
    return walk(item["start"], [])


def test_options_are_not_test_wise() -> None:
    """The limits of tests/test_testwise.py: under 50% on an assessment, under 60% in practice."""
    for item in conversations().values():
        limit = 0.5 if item["mode"] == "assessment" else 0.6
        for name, choose in surface_strategies().items():
            share = expected_share(item, choose)
            assert share < limit, f"{item['id']}: choosing the {name} reply earns {share:.0%}"
    # The best reply is not always in the same place: across the course's expert paths, positions vary.
    assert len({k for item in conversations().values() for k in item["expert_path"]}) >= 3


def test_rationales_cite_known_references_and_quote_no_statistics() -> None:
    """Citations are checked by script.load; here: no statistic a module's figures list would have to carry."""
    for file in FILES:
        text = file.read_text("utf-8")
        assert not re.search(r"\b[rdg] = |\d+(\.\d+)?%|\bCI\b|\bp [<=]", text), file.name
    cited = [k for f in FILES for k in re.findall(r"@([A-Za-z0-9_:-]+)", f.read_text("utf-8"))]
    assert cited, "at least one rationale cites its source"


INACCURATE = "An inaccurate reflection"   # how a rationale marks a reflection that mislabels or over-reaches


def test_ratings_match_the_scale_meaning_for_the_clear_cases() -> None:
    """Advice or reassurance given too early and judging replies never rate above level 2; complex
    reflections and validation never below 3 (the course's rating items use the scale this way), unless the
    rationale marks the reflection as inaccurate: a reflection in form that mislabels or over-reads the feeling."""
    for item in conversations().values():
        for node in item["nodes"].values():
            for r in node.get("replies", []):
                if r["code"] in ("premature-advice", "self-focused-or-judging"):
                    assert r["rating"] <= 2, (item["id"], r["key"], r["text"])
                if r["code"] == "validation" or (r["code"] == "complex-reflection"
                                                 and not r["rationale"].startswith(INACCURATE)):
                    assert r["rating"] >= 3, (item["id"], r["key"], r["text"])
                if r["rationale"].startswith(INACCURATE):
                    assert r["code"] in ("simple-reflection", "complex-reflection") and r["rating"] <= 2, r["text"]


def test_every_conversation_has_an_inaccurate_reflection_among_its_distractors() -> None:
    """Otherwise "always pick the reflection" works: a distractor must look like a reflection and miss."""
    for item in conversations().values():
        wrong = [r for n in item["nodes"].values() for r in n.get("replies", [])
                 if r["code"].endswith("reflection") and r["rating"] <= 2]
        assert wrong and all(r["rationale"].startswith(INACCURATE) for r in wrong), item["id"]


def test_every_conversation_has_a_content_note_with_the_course_distress_pointers() -> None:
    for item in conversations().values():
        note = item.get("content_note", "")
        assert "988" in note and "findahelpline.com" in note, item["id"]
        assert "content_note" in split.learner_script(item), "the note is shown, also in assessment mode"


# ---------- broken scripts: each refusal ----------

def reply(key: str, next_: str, rating: int = 3, code: str = "simple-reflection") -> dict[str, Any]:
    return {"key": key, "text": f"reply {key}", "code": code, "rating": rating, "feedback": "Why, briefly.",
            "rationale": "Why, in full.", "next": next_}


def valid() -> dict[str, Any]:
    """start -> (a: good | b, c: poor) -> middle / cold -> end lines: 2 turns, expert path a, a."""
    return {
        "id": "m3-cultivation.conv.fixture", "title": "Fixture", "mode": "practice", "objective": "cultivation-3",
        "max_turns": 2, "client": {"name": "Alex", "description": "Alex, 30."}, "setting": "A session.",
        "start": "start", "expert_path": ["a", "a"],
        "nodes": {
            "start": {"client": "Hello.", "replies": [reply("a", "middle", 5), reply("b", "cold", 1),
                                                       reply("c", "cold", 2)]},
            "middle": {"client": "Yes.", "replies": [reply("a", "warm", 4), reply("b", "done", 1),
                                                     reply("c", "done", 2)]},
            "cold": {"client": "Hm.", "replies": [reply("a", "warm", 4), reply("b", "done", 1),
                                                  reply("c", "done", 2)]},
            "warm": {"client": "Thank you.", "end": True},
            "done": {"client": "Bye.", "end": True},
        },
    }


def load_broken(tmp_path: Path, data: dict[str, Any]) -> ScriptError:
    file = tmp_path / f"{data['id']}.yml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    with pytest.raises(ScriptError) as caught:
        script.load(file)
    message = str(caught.value)
    assert file.name in message, message
    return caught.value


def test_the_fixture_itself_is_valid(tmp_path: Path) -> None:
    file = tmp_path / "m3-cultivation.conv.fixture.yml"
    file.write_text(yaml.safe_dump(valid()), "utf-8")
    assert script.load(file)["id"] == "m3-cultivation.conv.fixture"


@pytest.mark.parametrize(("field", "words"), [("code", "has no code"), ("rating", "has no empathy rating"),
                                               ("feedback", "has no feedback"), ("rationale", "has no rationale"),
                                               ("next", "has no next line")])
def test_a_reply_without_a_required_part_is_refused(tmp_path: Path, field: str, words: str) -> None:
    data = valid()
    del data["nodes"]["middle"]["replies"][1][field]
    err = load_broken(tmp_path, data)
    assert f'node "middle", reply "b" {words}' in str(err)


DELETE = object()  # in a change: remove the field or list entry


def changed(changes: dict[str, Any]) -> dict[str, Any]:
    """The valid script with the changes made, in order: a dotted path ("nodes.cold.replies.0.next") -> the new
    value, or DELETE."""
    data = valid()
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key = int(last) if isinstance(target, list) else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = copy.deepcopy(value)
    return data


# test id -> (the changes to the valid script, every phrase the refusal must hold)
REFUSALS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "a_rating_off_the_scale_and_an_unknown_code": (
        {"nodes.start.replies.0.rating": 6, "nodes.cold.replies.2.code": "reflection"},
        ['node "start", reply "a" (rating)', 'node "cold", reply "c" (code)']),
    "a_dead_end": ({"nodes.warm.end": DELETE}, ['node "warm" is a dead end']),
    "an_end_with_replies": ({"nodes.done.replies": valid()["nodes"]["cold"]["replies"]},
                            ['node "done" is marked as an end']),
    "an_unreachable_line": ({"nodes.orphan": {"client": "Nobody hears this.", "end": True}},
                            ['node "orphan" can never be reached']),
    "a_reply_leading_nowhere": ({"nodes.cold.replies.0.next": "wram"},
                                ['node "cold", reply "a" leads to "wram", which is not a node']),
    "a_loop_without_an_exit": (
        {"nodes.loop1": {"client": "Round...", "replies": [reply(k, "loop2") for k in "abc"]},
         "nodes.loop2": {"client": "...and round.", "replies": [reply(k, "loop1") for k in "abc"]},
         "nodes.cold.replies.2.next": "loop1"},
        ['nodes "loop1", "loop2" form a loop without an exit']),
    "a_loop_with_an_exit_as_unbounded": (
        {"nodes.cold.replies.2.next": "cold"},
        ['nodes "cold" form a loop: a path could go round it and run past the limit of 2 turns']),
    "a_path_longer_than_max_turns": (
        {"nodes.extra": {"client": "One more thing.", "replies": [reply(k, "done") for k in "abc"]},
         "nodes.cold.replies.1.next": "extra"},
        ["the path b b a takes 3 turns, more than the limit of 2 (max_turns)"]),
    "duplicate_reply_keys": ({"nodes.middle.replies.2.key": "a"}, ['node "middle": the reply key "a" is used twice']),
    "too_few_replies_at_a_turn": ({"nodes.middle.replies.2": DELETE}, ['node "middle" (replies)']),
    "an_assessment_without_points": ({"mode": "assessment"}, ["the conversation has no points"]),
}


@pytest.mark.parametrize(("changes", "words"), REFUSALS.values(), ids=REFUSALS)
def test_a_script_with_one_change_is_refused(tmp_path: Path, changes: dict[str, Any], words: list[str]) -> None:
    message = str(load_broken(tmp_path, changed(changes)))
    for phrase in words:
        assert phrase in message


@pytest.mark.parametrize(("expert", "words"), [
    (["a"], 'the expert path stops at node "middle" before the conversation ends'),
    (["a", "z"], 'the expert path does not work: turn 2: "z" is not one of the replies'),
    (["b", "a"], "the expert path (b a) scores lower than the path a a"),
])
def test_a_wrong_expert_path_is_refused(tmp_path: Path, expert: list[str], words: str) -> None:
    data = valid()
    data["expert_path"] = expert
    assert words in str(load_broken(tmp_path, data))


def test_a_written_turn_off_some_paths_or_with_a_wrong_rubric_is_refused(tmp_path: Path) -> None:
    data = valid()
    data["written_turn"] = {"node": "middle", "prompt": "Write a reply.", "examples": ["One.", "Two."]}
    assert 'the written turn is at "middle", but some paths never reach that line' in str(load_broken(tmp_path, data))
    data = valid()
    data.update(mode="assessment", points=2, id="m3-cultivation.post.fixture")
    data["written_turn"] = {"node": "start", "prompt": "Write.", "examples": ["One.", "Two."],
                            "rubric": [{"criterion": "Reflects.", "points": 1}], "points": 2}
    assert "rubric adds up to 1 points, but the turn is worth 2" in str(load_broken(tmp_path, data))


def test_the_file_name_objective_and_citations_are_checked(tmp_path: Path) -> None:
    data = valid()
    data["objective"] = "cultivation-9"
    data["nodes"]["start"]["replies"][0]["rationale"] = "As shown [@nobody2099]."
    file = tmp_path / "wrong-name.yml"
    file.write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(ScriptError) as caught:
        script.check(yaml.safe_load(file.read_text()), str(file), objectives=["cultivation-3"],
                     citation_keys=["moyers2014"])
    message = str(caught.value)
    assert 'named "wrong-name.yml" but the id is "m3-cultivation.conv.fixture"' in message
    assert 'objective "cultivation-9" is not one of the module\'s objectives' in message
    assert 'node "start", reply "a": cites @nobody2099, which is not in course/references.bib' in message


def test_unreadable_and_non_mapping_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "m3-cultivation.conv.bad.yml"
    bad.write_text("id: [unclosed", "utf-8")
    with pytest.raises(ScriptError, match="cannot read the file as YAML"):
        script.load(bad)
    bad.write_text("- just\n- a list\n", "utf-8")
    with pytest.raises(ScriptError, match="expected a mapping of fields"):
        script.load(bad)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    data = valid()
    del data["nodes"]["start"]["replies"][0]["code"]
    del data["nodes"]["cold"]["replies"][1]["feedback"]
    err = load_broken(tmp_path, data)
    assert len(err.problems) == 2


def test_the_schema_and_front_end_rule_ship_in_the_wheel() -> None:
    """A clean wheel build leaves out non-Python files unless package-data names them (checked by hand: without
    this entry, conversation/schema.json and path.js were missing from the wheel)."""
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    assert {"schema.json", "path.js"} <= set(declared.get("empathy_ce.conversation", []))


def test_an_assessed_conversation_with_telling_node_ids_is_refused(tmp_path: Path) -> None:
    """The branching is released in assessment mode: "warm" / "cold" would tell a learner which replies are good."""
    data = valid()
    data.update(mode="assessment", points=2, id="m3-cultivation.post.fixture")
    message = str(load_broken(tmp_path, data))
    assert 'nodes "start", "middle", "cold", "warm", "done" are not neutral ids' in message
    renamed = {"start": "n1", "middle": "n2a", "cold": "n2b", "warm": "end1", "done": "end2"}
    data["start"] = "n1"
    data["nodes"] = {renamed[k]: v for k, v in data["nodes"].items()}
    for node in data["nodes"].values():
        for r in node.get("replies", []):
            r["next"] = renamed[r["next"]]
    file = tmp_path / f"{data['id']}.yml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    assert script.load(file)["start"] == "n1"


def test_a_written_turn_objective_outside_the_module_is_refused(tmp_path: Path) -> None:
    data = valid()
    data["written_turn"] = {"node": "start", "objective": "cultivation-9", "prompt": "Write.",
                            "examples": ["One.", "Two."]}
    file = tmp_path / f"{data['id']}.yml"
    file.write_text(yaml.safe_dump(data), "utf-8")
    with pytest.raises(ScriptError, match='objective "cultivation-9" is not one of the module'):
        script.check(yaml.safe_load(file.read_text()), str(file), objectives=["cultivation-3"])


def test_the_graded_written_turn_assesses_composing_a_reflection_and_is_locked_before_the_choices() -> None:
    graded = conversations()["m3-cultivation.post.conversation"]
    assert graded["written_turn"]["objective"] == "cultivation-2"
    released = split.learner_script(graded)["written_turn"]
    assert released["locked_before_choices"] is True and released["objective"] == "cultivation-2"
