"""Which learner code autograde runs: a small, safe part of Python, checked on the syntax tree before execution.

nbgrader runs a learner's answer cell and then the hidden test in the same kernel, so code in the answer cell
could make the test pass without the right answer: hook IPython so that later cells are rewritten
(``get_ipython().input_transformers_cleanup``), hand the test an object whose ``__eq__`` always agrees, read
the key from the test's own frame, or shadow a builtin the test uses. The sandbox (``sandbox.py``) keeps keys on
disk and the network out of reach; this keeps the kernel itself honest. An answer cell may use arithmetic,
comparisons, lists, dicts, loops, comprehensions, its own functions, and the ``math`` and ``statistics``
modules (numpy through a short list of functions); no other imports, no names or attributes beginning with an
underscore, no classes, no ``global``, no rebinding of builtins or modules, and only listed builtins and
methods. That covers every answer the course asks for (``Part D`` of the outcomes data notebook says so).
"""

from __future__ import annotations

import ast
import builtins
import math
import statistics

# Module name -> the attributes an answer may use (statistics imports other modules, so only its __all__).
MODULES: dict[str, set[str]] = {
    "math": {name for name in dir(math) if not name.startswith("_")},
    "statistics": set(statistics.__all__),
    "np": {"abs", "arange", "arctanh", "array", "asarray", "average", "clip", "corrcoef", "cov", "dot", "exp",
           "linspace", "log", "log10", "max", "mean", "median", "min", "percentile", "polyfit", "round", "sqrt",
           "std", "sum", "tanh", "var"},
}
IMPORTABLE = {"math", "statistics"}
BUILTINS = {"abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "format", "int",
            "isinstance", "len", "list", "map", "max", "min", "pow", "print", "range", "reversed", "round", "set",
            "sorted", "str", "sum", "tuple", "zip", "True", "False", "None"}
METHODS = {"append", "copy", "count", "extend", "get", "index", "insert", "items", "keys", "pop", "remove",
           "reverse", "sort", "update", "values", "conjugate", "imag", "real", "is_integer", "join", "split",
           "strip", "lower", "upper", "replace", "startswith", "endswith", "mean", "std", "var", "tolist", "item"}
NODES = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.While, ast.If, ast.Break,
    ast.Continue, ast.Pass, ast.FunctionDef, ast.Return, ast.Lambda, ast.arguments, ast.arg, ast.Import,
    ast.ImportFrom, ast.alias, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword, ast.Name, ast.Attribute,
    ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Subscript, ast.Slice, ast.Starred, ast.JoinedStr,
    ast.FormattedValue, ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)
PYTHON_BUILTINS = set(dir(builtins))
NOT_LOADED = {"get_ipython", "In", "Out", "exit", "quit"}  # IPython's own handles on the kernel


class Unsafe(Exception):
    """The code uses something outside the part of Python autograde runs; the message says what."""


def check(source: str) -> None:
    """Raise Unsafe, naming the line and the construct, unless autograde may run this answer cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise Unsafe(f"line {err.lineno}: not plain Python ({err.msg}); IPython magics and shell commands "
                     "are not run at grading") from None
    modules = dict(MODULES)
    for node in ast.walk(tree):
        _check_node(node, modules)


def _fail(node: ast.AST, what: str) -> None:
    raise Unsafe(f"line {getattr(node, 'lineno', '?')}: {what}")


def _check_node(node: ast.AST, modules: dict[str, set[str]]) -> None:
    if not isinstance(node, NODES):
        _fail(node, f"{type(node).__name__} is not allowed in an answer cell")
    if isinstance(node, ast.FunctionDef) and (node.decorator_list or node.returns):
        _fail(node, "decorators and return annotations are not allowed")
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        _check_import(node, modules)
    elif isinstance(node, ast.Name):
        _check_name(node, node.id, isinstance(node.ctx, ast.Load), modules)
    elif isinstance(node, (ast.FunctionDef, ast.arg)):
        _check_name(node, node.name if isinstance(node, ast.FunctionDef) else node.arg, False, modules)
    elif isinstance(node, ast.Attribute):
        _check_attribute(node, modules)


def _check_import(node: ast.Import | ast.ImportFrom, modules: dict[str, set[str]]) -> None:
    if isinstance(node, ast.ImportFrom):
        if node.module not in IMPORTABLE or node.level:
            _fail(node, f"only {', '.join(sorted(IMPORTABLE))} may be imported")
        for alias in node.names:
            if alias.name not in MODULES[node.module]:
                _fail(node, f"'from {node.module} import {alias.name}' is not allowed")
            _check_name(node, alias.asname or alias.name, False, modules)
        return
    for alias in node.names:
        if alias.name not in IMPORTABLE:
            _fail(node, f"'import {alias.name}': only {', '.join(sorted(IMPORTABLE))} may be imported")
        name = alias.asname or alias.name
        if name.startswith("_") or name in PYTHON_BUILTINS or name in NOT_LOADED:
            _fail(node, f"'{name}' cannot name a module")
        if name in modules and name != alias.name:
            _fail(node, f"'{name}' cannot be assigned or redefined")
        modules[name] = MODULES[alias.name]


def _check_name(node: ast.AST, name: str, loading: bool, modules: dict[str, set[str]]) -> None:
    if name.startswith("_"):
        _fail(node, f"names beginning with an underscore ('{name}') are not allowed")
    if name in NOT_LOADED or (loading and name in PYTHON_BUILTINS and name not in BUILTINS):
        _fail(node, f"'{name}' is not allowed")
    if not loading and (name in PYTHON_BUILTINS or name in modules):
        _fail(node, f"'{name}' cannot be assigned or redefined")


def _check_attribute(node: ast.Attribute, modules: dict[str, set[str]]) -> None:
    attr = node.attr
    if attr.startswith("_"):
        _fail(node, f"attributes beginning with an underscore ('.{attr}') are not allowed")
    if not isinstance(node.ctx, ast.Load):
        _fail(node, f"attributes cannot be assigned ('.{attr}')")
    base = node.value
    if isinstance(base, ast.Name) and base.id in modules:
        if attr not in modules[base.id]:
            _fail(node, f"'{base.id}.{attr}' is not allowed")
    elif attr not in METHODS:
        _fail(node, f"the method or attribute '.{attr}' is not allowed")
