"""`python -m empathy_ce.cli`: the same as the `empathy-ce` command."""

from . import run

run()
