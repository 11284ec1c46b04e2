"""A golden notebook: one item of every kind, with keys, used across the tests."""

from __future__ import annotations

from empathy_ce import authoring

OPTIONS = [{"key": k, "label": f"Option {k.upper()}"} for k in "abcd"]

ITEMS = [
    ({"id": "gold.post.single", "kind": "single", "mode": "assessment", "objective": "gold-1", "points": 1,
      "prompt": "Pick the best option.", "options": OPTIONS}, "b"),
    ({"id": "gold.post.multiple", "kind": "multiple", "mode": "assessment", "objective": "gold-1", "points": 2,
      "prompt": "Select all that apply.", "options": OPTIONS}, ["a", "c"]),
    ({"id": "gold.post.rating", "kind": "rating", "mode": "assessment", "objective": "gold-2", "points": 2,
      "tolerance": 1, "prompt": "Rate the reply.", "scale": {"min": 1, "max": 5, "labels": {"1": "low", "5": "high"}}},
     3),
    ({"id": "gold.post.ordering", "kind": "ordering", "mode": "assessment", "objective": "gold-2", "points": 3,
      "prompt": "Put the steps in order.", "options": [OPTIONS[2], OPTIONS[0], OPTIONS[3], OPTIONS[1]]},
     ["a", "b", "c", "d"]),
    ({"id": "gold.post.numeric", "kind": "numeric", "mode": "assessment", "objective": "gold-3", "points": 1,
      "tolerance": 0.005, "prompt": "Compute r squared for r = .28."}, 0.0784),
    ({"id": "gold.post.text", "kind": "text", "mode": "assessment", "objective": "gold-3", "points": 2,
      "prompt": "Write a reflection.", "rubric": [{"criterion": "Names the feeling", "points": 1},
                                                  {"criterion": "Captures the meaning", "points": 1}]}, None),
    ({"id": "gold.practice.single", "kind": "single", "mode": "practice", "objective": "gold-1",
      "prompt": "Practice: pick A.", "options": [{"key": "a", "label": "A", "feedback": "Yes, A."},
                                                 {"key": "b", "label": "B", "feedback": "No, not B."}],
      "answer": "a", "rationale": "A is the one."}, None),
]

GRADED = {spec["id"]: (spec, key) for spec, key in ITEMS if spec["mode"] == "assessment" and spec["kind"] != "text"}
ALL_RIGHT = {spec["id"]: key for spec, key in ITEMS if key is not None}
ALL_WRONG = {"gold.post.single": "a", "gold.post.multiple": ["b", "d"], "gold.post.rating": 5,
             "gold.post.ordering": ["d", "c", "b", "a"], "gold.post.numeric": 0.5}
# multiple: a right, d wrong -> 0; rating off by one -> half; ordering: a,b,d,c -> 5 of 6 pairs.
PARTIAL = {"gold.post.single": "b", "gold.post.multiple": ["a", "d"], "gold.post.rating": 4,
           "gold.post.ordering": ["a", "b", "d", "c"], "gold.post.numeric": 0.079}
PARTIAL_SCORES = {"gold.post.single": 1.0, "gold.post.multiple": 0.0, "gold.post.rating": 1.0,
                  "gold.post.ordering": 2.5, "gold.post.numeric": 1.0}


def notebook():
    cells = [authoring.markdown_cell("# Golden notebook\nOne item of every kind.")]
    cells += [authoring.item_cell(spec, key) for spec, key in ITEMS]
    return authoring.notebook("gold", cells)
