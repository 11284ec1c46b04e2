"""Paths through a conversation: validation, the scoring rule, the profile, and the learner-facing split.

Numbers are worked by hand from the graded conversation (course/conversations/m3-cultivation.post.conversation.yml,
3 points, three turns): a rating r scores (r - 1) / 4, and the expert path c b b (ratings 4, 5, 5) has mean 2.75 / 3,
the best any path reaches; a finished path earns 3 points times its mean over that.
"""

from __future__ import annotations

import copy
import json
import re
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import ROOT

from empathy_ce.conversation import path as paths
from empathy_ce.conversation import profile, script, split
from empathy_ce.items import InvalidAnswer

COURSE = script.load_all(ROOT)
GRADED = COURSE["m3-cultivation.post.conversation"]
PRACTICE = COURSE["m3-cultivation.conv.lucia"]


@pytest.mark.parametrize(("path", "expected"), [
    (["c", "b", "b"], 3.0),      # best: the expert path, ratings 4 5 5 -> .75 + 1 + 1 = 2.75
    (["a", "c", "d"], 0.0),      # worst: ratings 1 1 1
    (["b", "d", "a"], 3 * .25 / 2.75),    # nearly worst: 1 1 2
    (["d", "c", "d"], 3 * 1.75 / 2.75),   # mixed: 3 3 4 -> .5 + .5 + .75
    (["b", "a", "d"], 3 * 1.5 / 2.75),    # brought back after a misstep: 1 4 4 -> 0 + .75 + .75
    (["c"], 3 * .75 / 2.75),     # unfinished: the 2 turns still to go count 0
    (["c", "b"], 3 * 1.75 / 2.75),        # unfinished: .75 + 1, and 0 for the last turn
    (None, 0.0),                 # unanswered
    ([], 0.0),                   # unanswered
])
def test_points_follow_the_documented_rule(path: list[str] | None, expected: float) -> None:
    assert paths.points(GRADED, path) == pytest.approx(expected, abs=1e-4)


def test_the_best_path_is_the_expert_path_in_every_conversation() -> None:
    for item in COURSE.values():
        assert paths.fraction(item, item["expert_path"]) == 1.0
        assert paths.best_path(item)[1] == item["expert_path"]


def all_prefixes(item: dict[str, Any]) -> list[list[str]]:
    found, todo = [], [(item["start"], [])]
    while todo:
        node, keys = todo.pop()
        found.append(keys)
        for reply in item["nodes"][node].get("replies", []):
            todo.append((reply["next"], [*keys, reply["key"]]))
    return found


@pytest.mark.parametrize("cid", sorted(COURSE))
def test_stopping_early_never_earns_more_than_finishing(cid: str) -> None:
    item = COURSE[cid]
    prefixes = all_prefixes(item)
    complete = [p for p in prefixes if paths.walk(item, p).end]
    for prefix in prefixes:
        share = paths.fraction(item, prefix)
        assert 0.0 <= share <= 1.0
        for full in complete:
            if full[:len(prefix)] == prefix:
                assert share <= paths.fraction(item, full) + 1e-12, (prefix, full)


@pytest.mark.parametrize(("value", "words"), [
    ("abc", "must be a list of reply keys, one per turn, got text"),
    ({"1": "a"}, "must be a list of reply keys, one per turn, got an object"),
    (7, "must be a list of reply keys, one per turn, got a number"),
    (["z"], 'turn 1: "z" is not one of the replies at this point (a, b, c, d)'),
    (["c", "e"], 'turn 2: "e" is not one of the replies at this point (a, b, c, d)'),
    (["a", None, "c"], "turn 2: expected a reply key, got null (a path cannot skip a turn)"),
    ([1, 2, 3], "turn 1: expected a reply key, got 1"),
    ([True], "turn 1: expected a reply key, got true"),
    ([["a"]], 'turn 1: expected a reply key, got ["a"]'),
    (["a", "b", "c", "a"], "the path has 4 replies, but this conversation has at most 3 turns"),
    (["a"] * 1_000_000, "the path has 1000000 replies"),
])
def test_a_tampered_path_is_rejected_with_a_clear_message_and_gains_nothing(value: Any, words: str) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        paths.points(GRADED, value)
    assert words in str(caught.value)
    with pytest.raises(InvalidAnswer):
        profile.profile(GRADED, value)


def test_a_reply_after_the_conversation_ended_is_rejected() -> None:
    longer = copy.deepcopy(GRADED)
    longer["max_turns"] = 5
    with pytest.raises(InvalidAnswer, match="turn 4: the conversation had already ended after turn 3"):
        paths.check_path(longer, ["a", "b", "c", "a"])


def test_a_valid_path_is_returned_unchanged_and_walks_to_its_line() -> None:
    assert paths.check_path(GRADED, ["d", "c", "d"]) == ["d", "c", "d"]
    steps = paths.walk(GRADED, ["d", "c", "d"])
    assert [node for node, _ in steps.turns] == ["n1", "n2b", "n3a"]
    assert steps.last == "end2" and steps.end


# ---------- the profile ----------

def test_the_profile_codes_the_replies_and_sets_them_beside_the_miti_thresholds() -> None:
    result = profile.profile(GRADED, ["b", "c", "b"])   # complex reflection, simple reflection, open question
    assert [row["code"] for row in result["transcript"]] == ["complex-reflection", "simple-reflection",
                                                              "open-question"]
    assert result["transcript"][0]["client"] == GRADED["nodes"]["n1"]["client"]
    assert result["finished"] and result["closing"] == GRADED["nodes"]["end2"]["client"]
    rq, cr = result["measures"]
    assert (rq["measure"], rq["value"], rq["fair"], rq["good"], rq["band"]) == ("R:Q", 2.0, 1.0, 2.0,
                                                                                 "at or above good")
    assert (cr["measure"], cr["value"], cr["band"]) == ("%CR", 0.5, "at or above good")
    assert "training heuristic" in result["caution"] and "not as a verdict" in result["caution"]
    assert "validating replies" in result["caution"] and "left out of both measures" in result["caution"]
    assert [row["key"] for row in result["expert"]["transcript"]] == GRADED["expert_path"]


def test_the_profile_of_a_question_heavy_path_is_below_the_thresholds() -> None:
    # Lucía: advice, closed question, open question: no reflections at all.
    result = profile.profile(PRACTICE, ["a", "a", "c"])
    rq, cr = result["measures"]
    assert (rq["value"], rq["band"]) == (0.0, "below fair")
    assert (cr["value"], cr["band"]) == (None, "not computed")
    assert result["counts"] == {"open-question": 1, "closed-question": 1, "premature-advice": 1}


def test_reflections_without_questions_are_above_any_ratio_threshold() -> None:
    summary = profile.summary(["simple-reflection", "simple-reflection", "complex-reflection", "validation"])
    rq, cr = summary["measures"]
    assert rq["value"] is None and rq["band"] == "at or above good"
    assert cr["value"] == pytest.approx(1 / 3) and cr["band"] == "below fair"


def test_an_unfinished_path_has_no_closing_line() -> None:
    result = profile.profile(GRADED, ["a"])
    assert not result["finished"] and result["closing"] is None and len(result["transcript"]) == 1
    assert profile.profile(GRADED, None)["transcript"] == []


# ---------- what a learner may receive ----------

KEY_WORDS = ("code", "rating", "feedback", "rationale", "expert_path", "examples")


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


@pytest.mark.parametrize("cid", sorted(COURSE))
def test_the_learner_script_has_the_branching_and_no_key(cid: str) -> None:
    item = COURSE[cid]
    learner = split.learner_script(item)
    assert not keys_anywhere(learner) & set(KEY_WORDS)
    text = json.dumps(learner, ensure_ascii=False)
    secrets = [r[f] for n in item["nodes"].values() for r in n.get("replies", []) for f in ("feedback", "rationale")]
    secrets += list(script.CODES) + item.get("written_turn", {}).get("examples", [])
    assert not [s for s in secrets if s in text]
    for name, node in item["nodes"].items():   # the branching itself stays: which line follows which reply
        assert [(r["key"], r["text"], r["next"]) for r in node.get("replies", [])] == \
               [(r["key"], r["text"], r["next"]) for r in learner["nodes"][name].get("replies", [])]
        assert learner["nodes"][name]["client"] == node["client"]


def test_the_learner_script_is_an_allow_list() -> None:
    item = copy.deepcopy(GRADED)
    item["nodes"]["n1"]["replies"][0]["secret_score"] = 99   # a field nobody has cleared for learners
    item["answer"] = ["a", "b", "c"]
    learner = split.learner_script(item)
    assert "secret_score" not in json.dumps(learner) and "answer" not in learner


@pytest.mark.parametrize("cid", sorted(COURSE))
def test_the_key_joins_back_to_the_same_script_and_the_same_scores(cid: str) -> None:
    item = COURSE[cid]
    joined = split.join(split.learner_script(item), split.answer_key(item))
    assert joined == item
    for path in list(product("abcd", repeat=2))[:8]:
        for candidate in (list(path), item["expert_path"]):
            try:
                expected = paths.fraction(item, candidate)
            except InvalidAnswer:
                with pytest.raises(InvalidAnswer):
                    paths.fraction(joined, candidate)
            else:
                assert paths.fraction(joined, candidate) == expected


def test_a_key_that_does_not_fit_the_script_is_refused() -> None:
    learner, key = split.learner_script(GRADED), split.answer_key(GRADED)
    other = split.answer_key(PRACTICE)
    with pytest.raises(ValueError, match=re.escape("the key is for 'm3-cultivation.conv.lucia'")):
        split.join(learner, other)
    broken = copy.deepcopy(key)
    del broken["replies"]["n2b"]["d"]
    with pytest.raises(ValueError, match="node 'n2b' has replies"):
        split.join(learner, broken)


# ---------- the best path's mean, by dynamic programming ----------

def test_the_best_mean_agrees_with_trying_every_path() -> None:
    for item in COURSE.values():
        tried = max(paths.mean_score(item, p) for p in paths.complete_paths(item))
        assert paths.best_mean(item) == pytest.approx(tried, abs=1e-12)
        assert paths.best_path(item)[0] == pytest.approx(tried, abs=1e-12)


def layered(turns: int) -> dict[str, Any]:
    """A long script whose lines merge again at every turn: 4 ** turns paths, 2 lines a turn."""
    nodes: dict[str, Any] = {}
    ends = {"warm": "end1", "cold": "end2"}   # neutral ids, as an assessed conversation needs

    def name(side: str, t: int) -> str:
        return f"n{t + 1}{'a' if side == 'warm' else 'b'}"

    for t in range(turns):
        for side in ("warm", "cold") if t else ("warm",):
            nxt = (lambda s, t=t: name(s, t + 1)) if t + 1 < turns else (lambda s: ends[s])
            nodes[name(side, t)] = {"client": "...", "replies": [
                {"key": "a", "text": "x", "code": "complex-reflection", "rating": 5, "feedback": "f", "rationale": "r",
                 "next": nxt("warm")},
                {"key": "b", "text": "x", "code": "simple-reflection", "rating": 3, "feedback": "f", "rationale": "r",
                 "next": nxt("warm")},
                {"key": "c", "text": "x", "code": "closed-question", "rating": 2, "feedback": "f", "rationale": "r",
                 "next": nxt("cold")},
                {"key": "d", "text": "x", "code": "premature-advice", "rating": 1, "feedback": "f", "rationale": "r",
                 "next": nxt("cold")},
            ]}
    nodes["end1"] = {"client": "Thanks.", "end": True}
    nodes["end2"] = {"client": "Bye.", "end": True}
    return {"id": "m3-cultivation.conv.long", "title": "Long", "mode": "assessment", "objective": "cultivation-3",
            "points": 10, "max_turns": turns, "client": {"name": "Sam", "description": "Sam."}, "setting": "Here.",
            "start": "n1a", "nodes": nodes, "expert_path": ["a"] * turns}


def test_scoring_a_long_script_does_not_try_every_path() -> None:
    import time

    item = script.check(layered(12))          # 4 ** 12 = 16.7 million complete paths
    started = time.perf_counter()
    assert paths.points(item, ["a"] * 12) == 10.0
    assert paths.points(item, ["b"] * 6) == pytest.approx(10 * 3 / 12, abs=1e-4)   # 6 x .5 over 12 turns
    assert time.perf_counter() - started < 1.0


def test_key_strings_list_what_a_released_notebook_must_not_contain() -> None:
    strings = split.key_strings(GRADED)
    assert GRADED["written_turn"]["examples"][0].strip() in strings
    assert GRADED["nodes"]["n1"]["replies"][0]["rationale"].strip() in strings
    released = "\n".join(texts(split.learner_script(GRADED)))
    assert not [s for s in strings if s in released]
    assert set(strings) <= {t.strip() for t in texts(GRADED)}


def texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts(v)]
    return [t for v in value for t in texts(v)] if isinstance(value, list) else []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats() | st.text(max_size=3)
    | st.sampled_from(["a", "b", "c", "d"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=2), children, max_size=2),
    max_leaves=8,
)


@pytest.mark.hardening
@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_any_stored_value_scores_within_bounds_or_is_rejected(value: Any) -> None:
    try:
        earned = paths.points(GRADED, value)
    except InvalidAnswer:
        return
    assert 0 <= earned <= GRADED["points"]
    assert value in (None, []) or all(isinstance(k, str) for k in value)
