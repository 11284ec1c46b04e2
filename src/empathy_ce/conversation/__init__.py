"""Simulated-client conversations (issue 13): scripts as data, the authoring check, paths and scoring.

- ``script``: load course/conversations/<id>.yml, the JSON schema and the authoring check.
- ``path``: validate a learner's path of reply keys and score it (the documented partial-credit rule).
- ``profile``: the end-of-conversation transcript, codes and MITI summary scores (training heuristics).
- ``split``: the learner-facing script (no key) and the key for hidden tests, and joining them back.
- ``analysis``: a group's paths turn by turn (which replies were chosen, where the group split), for the report.
- ``path.js``: the path rule and the end-screen summary for the browser, proven equal to Python's.

Pure Python with no Jupyter import, so the conversation kind's widget, the kernel-free grader and the report
can all use it. The end screen's data is ``profile.profile(script, path)``.
"""

from .path import InvalidAnswer, check_path, fraction, points
from .script import CODES, ScriptError, check, load, load_all
from .split import answer_key, join, learner_script

__all__ = ["CODES", "InvalidAnswer", "ScriptError", "answer_key", "check", "check_path", "fraction", "join",
           "learner_script", "load", "load_all", "points"]
