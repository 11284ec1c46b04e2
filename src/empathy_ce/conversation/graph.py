"""The script as a graph: which line each reply leads to, what is reachable, loops, the longest path.

Kept apart from script.py (the authoring check's messages) because these are plain graph algorithms. Reachability
and loops are iterative; longest_from is memoized and recursive, and the check calls it only once loops have been
refused, so it recurses no deeper than the longest path.
"""

from __future__ import annotations

from typing import Any


def edges(data: dict[str, Any]) -> dict[str, list[str]]:
    """Node -> the nodes its replies lead to (only nodes that exist)."""
    nodes = data["nodes"]
    return {n: [r["next"] for r in node.get("replies", []) if r["next"] in nodes] for n, node in nodes.items()}


def reachable(graph: dict[str, list[str]], start: str, without: str | None = None) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node in seen or node == without:
            continue
        seen.add(node)
        todo.extend(graph.get(node, []))
    return seen


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative: scripts are small but untrusted)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def longest_from(data: dict[str, Any], node: str, memo: dict[str, tuple[int, list[str]]] | None = None
                 ) -> tuple[int, list[str]]:
    """(turns, reply keys) of the longest path from node to an end; only for a script without loops."""
    memo = {} if memo is None else memo
    if node not in memo:
        best: tuple[int, list[str]] = (0, [])
        for reply in data["nodes"][node].get("replies", []):
            turns, keys = longest_from(data, reply["next"], memo)
            if turns + 1 > best[0]:
                best = (turns + 1, [reply["key"], *keys])
        memo[node] = best
    return memo[node]
