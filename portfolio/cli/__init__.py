"""The ``portfolio`` command line: ``main`` and the commands of every area.

Each area registers its commands on ``main`` in its own module; ``main`` imports a
command's modules only when that command is asked for (``app.COMMAND_MODULES``),
so a command starts without loading every other area's libraries. The
``portfolio`` program is ``run``: ``main`` in a process of its own.
"""

from portfolio.cli.app import main, run

__all__ = ["main", "run"]
