"""Conversation scripts: loading course/conversations/<id>.yml and the authoring check.

A script is a graph: each node is a client line; each of its three or four replies leads to the client's next
line. The check refuses, in plain words naming the file, node and reply: a reply without its code, rating,
feedback, rationale or next line; a line that is neither an end nor followed by replies (a dead end); a line no
path reaches; a loop (with no exit it traps the learner, with one it lets a path run past the limit); a path
longer than ``max_turns``; an expert path that is not a complete path or scores below the best one; a written
turn that some paths never reach; in an assessed conversation, node ids that are not neutral. Pure Python, no
Jupyter: the same check runs in tests and in tooling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .graph import cycles, edges, longest_from, reachable

FOLDER = Path("course") / "conversations"

# Code -> label shown to learners. "information" covers a plain statement of fact or of the therapy frame
# (fees, limits, what the therapist does and does not do): neither a listening skill nor an error in itself.
CODES: dict[str, str] = {
    "simple-reflection": "simple reflection",
    "complex-reflection": "complex reflection",
    "open-question": "open question",
    "closed-question": "closed question",
    "affirmation": "affirmation",
    "validation": "validation",
    "information": "giving information",
    "premature-advice": "advice or reassurance given too early",
    "self-focused-or-judging": "self-focused or judging reply",
}

# Plain words for the fields a message may say are missing.
FIELDS = {"key": "key", "text": "text", "code": "code", "rating": "empathy rating (1-5)", "feedback": "feedback",
          "rationale": "rationale", "next": "next line (next:)", "client": "client line", "replies": "replies",
          "points": "points", "rubric": "rubric", "examples": "expert example replies", "prompt": "prompt"}


class ScriptError(ValueError):
    """A conversation script breaks the contract; ``problems`` lists every problem found, one sentence each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in this conversation:\n{listed}")


@cache
def schema() -> dict[str, Any]:
    return json.loads(files("empathy_ce.conversation").joinpath("schema.json").read_text("utf-8"))


def _where(data: dict[str, Any], path: list[Any]) -> str:
    """'node "t1", reply "b"' for a schema error's location, in the words an author uses."""
    if len(path) >= 2 and path[0] == "nodes":
        where = f'node "{path[1]}"'
        if len(path) >= 4 and path[2] == "replies" and isinstance(path[3], int):
            try:
                key = data["nodes"][path[1]]["replies"][path[3]].get("key")
            except (AttributeError, IndexError, KeyError, TypeError):
                key = None
            where += f', reply "{key}"' if key else f", reply number {path[3] + 1}"
            path = path[4:]
        else:
            path = path[2:]
        return where + (f" ({'/'.join(map(str, path))})" if path else "")
    return "/".join(map(str, path)) or "the conversation"


def _schema_problems(data: Any) -> list[str]:
    problems = []
    for error in sorted(jsonschema.Draft202012Validator(schema()).iter_errors(data), key=lambda e: list(e.path)):
        where = _where(data, list(error.absolute_path))
        if error.validator == "required":
            name = re.match(r"'([^']+)'", error.message)
            field = name.group(1) if name else error.message
            problems.append(f"{where} has no {FIELDS.get(field, field)}")
        elif error.validator == "additionalProperties":
            problems.append(f"{where}: {error.message} (check the spelling)")
        else:
            problems.append(f"{where}: {error.message}")
    return problems


def _graph_problems(data: dict[str, Any]) -> list[str]:
    nodes = data["nodes"]
    problems = []
    if data["start"] not in nodes:
        return [f'the start line "{data["start"]}" is not one of the nodes']
    for name, node in nodes.items():
        replies = node.get("replies", [])
        if node.get("end") and replies:
            problems.append(f'node "{name}" is marked as an end (end: true) but also has replies')
        if not node.get("end") and not replies:
            problems.append(f'node "{name}" is a dead end: it has no replies and is not marked as an end (end: true)')
        keys = [r["key"] for r in replies]
        for key in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f'node "{name}": the reply key "{key}" is used twice')
        for reply in replies:
            if reply["next"] not in nodes:
                problems.append(f'node "{name}", reply "{reply["key"]}" leads to "{reply["next"]}", '
                                "which is not a node")
    if problems:
        return problems
    graph = edges(data)
    reached = reachable(graph, data["start"])
    for name in nodes:
        if name not in reached:
            problems.append(f'node "{name}" can never be reached: no path from the start leads to it')
    loops = [c for c in cycles(graph) if c[0] in reached]
    for loop in loops:
        members = set(loop)
        exits = [n for n in loop for m in graph[n] if m not in members]
        shown = ", ".join(f'"{n}"' for n in loop)
        if not exits:
            problems.append(f"nodes {shown} form a loop without an exit: a learner who enters it can never finish")
        else:
            problems.append(f"nodes {shown} form a loop: a path could go round it and run past the limit of "
                            f"{data['max_turns']} turns (max_turns)")
    if loops:
        return problems
    turns, keys = longest_from(data, data["start"])
    if turns > data["max_turns"]:
        problems.append(f"the path {' '.join(keys)} takes {turns} turns, more than the limit of "
                        f"{data['max_turns']} (max_turns)")
    return problems


# In assessment mode the branching is released, so node ids must not say how the client is doing ("t2-open"):
# n1, n2a, n2b, ... for lines, end1, end2, ... for endings.
NEUTRAL_ID = re.compile(r"^(n[0-9]+[a-z]?|end[0-9]+)$")


def _neutral_id_problems(data: dict[str, Any]) -> list[str]:
    if data["mode"] != "assessment":
        return []
    leaky = [name for name in data["nodes"] if not NEUTRAL_ID.match(name)]
    if not leaky:
        return []
    named = ", ".join(f'"{n}"' for n in leaky)
    return [f"nodes {named} are not neutral ids: in an assessed conversation the branching is released, so name "
            "lines n1, n2a, n2b, ... and endings end1, end2, ... (an id must not reveal how the client responds)"]


def _written_problems(data: dict[str, Any]) -> list[str]:
    written = data.get("written_turn")
    if not written:
        return []
    node = written["node"]
    if node not in data["nodes"]:
        return [f'the written turn is at "{node}", which is not a node']
    if data["nodes"][node].get("end"):
        return [f'the written turn is at "{node}", an end line: there is nothing left to reply to']
    graph = edges(data)
    ends = {n for n, v in data["nodes"].items() if v.get("end")}
    problems = []
    if node != data["start"] and reachable(graph, data["start"], without=node) & ends:
        problems.append(f'the written turn is at "{node}", but some paths never reach that line: put it on a line '
                        "every path passes through (the start, for instance)")
    rubric = written.get("rubric")
    if rubric and "points" in written and abs(sum(r["points"] for r in rubric) - written["points"]) > 1e-9:
        problems.append(f"the written turn's rubric adds up to {sum(r['points'] for r in rubric)} points, "
                        f"but the turn is worth {written['points']}")
    return problems


def _expert_problems(data: dict[str, Any]) -> list[str]:
    from . import path as paths  # path.py scores with the graph this module checks

    try:
        steps = paths.walk(data, paths.check_path(data, data["expert_path"]))
    except paths.InvalidAnswer as err:
        return [f"the expert path does not work: {err}"]
    if not data["nodes"][steps.last].get("end"):
        return [f'the expert path stops at node "{steps.last}" before the conversation ends']
    best_mean, best = paths.best_path(data)
    if best_mean <= 0:
        return ["every path scores 0: at least one path needs replies rated above 1"]
    mine = paths.mean_score(data, data["expert_path"])
    if mine < best_mean - 1e-9:
        return [f"the expert path ({' '.join(data['expert_path'])}) scores lower than the path "
                f"{' '.join(best)}: the expert path must be a best-scoring path"]
    return []


def check(data: Any, source: str = "conversation", objectives: Iterable[str] | None = None,
          citation_keys: Iterable[str] | None = None) -> dict[str, Any]:
    """Return the script if it passes every rule, else raise ScriptError listing every problem found.

    objectives: the objective ids of the script's module (checked when given); citation_keys: the keys of
    course/references.bib (every [@key] in a rationale must be one of them, when given).
    """
    if not isinstance(data, dict):
        raise ScriptError(source, [f"expected a mapping of fields (id, title, nodes, ...), got {type(data).__name__}"])
    problems = _schema_problems(data)
    if problems:
        raise ScriptError(source, problems)
    stem = Path(source).name.removesuffix(".yml").removesuffix(".yaml")
    if source.endswith((".yml", ".yaml")) and stem != data["id"]:
        problems.append(f'the file is named "{Path(source).name}" but the id is "{data["id"]}": name it '
                        f'"{data["id"]}.yml"')
    if objectives is not None:
        known = set(objectives)
        written_objective = [data["written_turn"]["objective"]] if "objective" in data.get("written_turn", {}) else []
        for objective in [data["objective"], *data.get("also_practices", []), *written_objective]:
            if objective not in known:
                problems.append(f'objective "{objective}" is not one of the module\'s objectives '
                                f'({", ".join(sorted(known))})')
    if citation_keys is not None:
        known_keys = set(citation_keys)
        for name, node in data["nodes"].items():
            for reply in node.get("replies", []):
                for key in re.findall(r"@([A-Za-z0-9_:-]+)", reply["rationale"] + reply["feedback"]):
                    if key not in known_keys:
                        problems.append(f'node "{name}", reply "{reply["key"]}": cites @{key}, which is not in '
                                        "course/references.bib")
    problems += _neutral_id_problems(data)
    graph = _graph_problems(data)
    problems += graph
    if not graph:
        problems += _written_problems(data) + _expert_problems(data)
    if problems:
        raise ScriptError(source, problems)
    return data


def module_of(data: dict[str, Any]) -> str:
    return data["id"].split(".")[0]


def load(file: Path, root: Path | None = None) -> dict[str, Any]:
    """Read and check one script. With root (the course root), objectives and citations are checked too."""
    source = str(file.relative_to(root)) if root and file.is_relative_to(root) else str(file)
    try:
        data = yaml.safe_load(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ScriptError(source, [f"cannot read the file as YAML: {err}"]) from None
    objectives = citations = None
    if root is not None and isinstance(data, dict) and isinstance(data.get("id"), str):
        module = root / "course" / "modules" / f"{data['id'].split('.')[0]}.yml"
        if module.exists():
            objectives = yaml.safe_load(module.read_text("utf-8")).get("objectives", {})
        else:
            raise ScriptError(source, [f"the id names module {module.stem}, which has no {module.relative_to(root)}"])
        bib = (root / "course" / "references.bib").read_text("utf-8")
        citations = re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M)
    return check(data, source, objectives, citations)


def load_all(root: Path) -> dict[str, dict[str, Any]]:
    """Every conversation of the course, by id, each checked."""
    return {s["id"]: s for s in (load(f, root) for f in sorted((root / FOLDER).glob("*.yml")))}
