"""The report's per-turn view of a group's paths through a conversation (conversation/analysis.py)."""

from __future__ import annotations

from support import ROOT

from empathy_ce.conversation import analysis, script

GRADED = script.load_all(ROOT)["m3-cultivation.post.conversation"]


def test_per_turn_counts_choices_and_marks_where_the_group_split() -> None:
    paths = {
        "ana": ["c", "b", "b"],        # expert
        "ben": ["c", "b", "d"],        # same two turns, then a different reply
        "cy": ["a", "a", "b"],         # a misstep, then brought back
        "dee": ["c"],                  # stopped after one turn
        "eli": None,                   # unanswered
        "fay": ["c", "zz"],            # tampered
    }
    view = analysis.per_turn(GRADED, paths)
    first, *rest = view["turns"]
    assert (first["turn"], first["node"], first["learners"]) == (1, "n1", ["ana", "ben", "cy", "dee"])
    assert {r["key"]: r["learners"] for r in first["replies"]} == {"a": ["cy"], "b": [],
                                                                   "c": ["ana", "ben", "dee"], "d": []}
    assert first["diverged"]
    by_node = {(row["turn"], row["node"]): row for row in rest}
    assert set(by_node) == {(2, "n2b"), (2, "n2a"), (3, "n3a")}
    assert not by_node[(2, "n2b")]["diverged"]              # ana and ben both chose b
    assert by_node[(3, "n3a")]["diverged"]                  # ana b, ben d, cy b
    assert by_node[(2, "n2a")]["learners"] == ["cy"]
    assert view["unanswered"] == ["eli"]
    assert list(view["invalid"]) == ["fay"] and 'turn 2: "zz" is not one of the replies' in view["invalid"]["fay"]
    assert all("fay" not in row["learners"] for row in view["turns"])
