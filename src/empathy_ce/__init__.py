"""Therapeutic empathy CE course: widget exercises that nbgrader can grade."""

from .notebook import ask, progress, score

__all__ = ["ask", "progress", "score"]
__version__ = "0.1.0"
