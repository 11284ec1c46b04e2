"""Therapeutic empathy CE course: widget exercises that nbgrader can grade."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .notebook import ask, progress, score

__all__ = ["ask", "progress", "score"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The notebook API is loaded when a notebook first asks for it, not by every `import empathy_ce.x`: so the
    # command line can choose how jsonschema is loaded before anything loads it (cli/startup.py).
    if name in __all__:
        return getattr(importlib.import_module(".notebook", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
