"""The course's nbgrader configuration, loaded exactly as nbgrader's own commands load it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from ..grading.config import ConfigTypoError, check_file


class SetupError(RuntimeError):
    """The course cannot be worked on as configured; the message says what to change."""


def load(root: Path) -> Config:
    """nbgrader's configuration for the course at root: Jupyter's config path, then the course's own file."""
    from nbgrader.apps.baseapp import NbGrader

    try:
        check_file(root / "nbgrader_config.py")
    except ConfigTypoError as err:
        raise SetupError(str(err)) from None
    with contextlib.chdir(root):  # nbgrader finds nbgrader_config.py in the working directory
        app = NbGrader()
        app.initialize([])
        config = app.config
    config.CourseDirectory.root = str(root)
    check_db_url(CourseDirectory(config=config).db_url)
    return config


def coursedir(config: Config) -> CourseDirectory:
    return CourseDirectory(config=config)


def check_db_url(url: str) -> None:
    """A PostgreSQL URL must name the psycopg (v3) driver that this project installs."""
    scheme = url.split(":", 1)[0]
    if scheme in ("postgres", "postgresql"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise SetupError(f"the gradebook URL {redact(url)} needs the psycopg2 driver, which is not installed; "
                             "write it as postgresql+psycopg://user:password@host/database") from None


def redact(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
