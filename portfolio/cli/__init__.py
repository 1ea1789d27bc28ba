"""The ``portfolio`` command line: ``main`` and the commands of every area.

Each area registers its commands in its own module; importing them here attaches
them to the group.
"""

from portfolio.cli import (
    admin,  # noqa: F401 - registers commands
    backup,  # noqa: F401 - registers commands
    checks,  # noqa: F401 - registers commands
    core,  # noqa: F401 - registers commands
    documents,  # noqa: F401 - registers commands
    imports,  # noqa: F401 - registers commands
    nachweis,  # noqa: F401 - registers commands
    reminders,  # noqa: F401 - registers commands
    reports,  # noqa: F401 - registers commands
    web,  # noqa: F401 - registers commands
)
from portfolio.cli.app import main

__all__ = ["main"]
