"""The ``portfolio`` command line: ``main`` and the commands of every area.

Each area registers its commands on ``main`` in its own module; ``main`` imports a
command's modules only when that command is asked for (``app.COMMAND_MODULES``),
so a command starts without loading every other area's libraries. The
``portfolio`` program is ``run``: ``main`` in a process of its own. This package
itself loads nothing until ``main`` or ``run`` is used: ``run`` starts reading an
import's files before the libraries load (``early``).
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portfolio.cli.app import main

__all__ = ["main", "run"]


def run() -> None:
    """The ``portfolio`` program: ``main`` in a process that ends with its command.

    The cyclic collector is off from here: loading the libraries makes only
    objects that live as long as the process (``app.run`` says what happens to
    them). An import's files start being opened and parsed on a second thread
    first.
    """
    gc.disable()
    from portfolio.cli.early import import_files

    if files := import_files(sys.argv[1:]):
        from imports.prefetch import start

        start(files)
    from portfolio.cli.app import run as run_program

    run_program()


def __getattr__(name: str) -> Any:
    """``main``, loaded when asked for (``from portfolio.cli import main``)."""
    if name == "main":
        from portfolio.cli.app import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
