"""What the ``portfolio`` program starts before its libraries load.

Loading the command line, SQLAlchemy and the models takes about half a second;
``portfolio import FILE`` can use it: its files are opened and parsed meanwhile
on a second thread (``imports.prefetch``). Which words of the command line are
files is read here without click (whose command modules are not loaded yet):
only a plain ``import`` command line counts, and a guess that is wrong costs a
parse nobody takes, never a different result.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Options that take the next word as their value (unless written --opt=value): of
# ``portfolio`` itself and of ``portfolio import``. tests/test_startup.py checks
# them against the commands.
MAIN_VALUES = frozenset({"--db", "--config"})
IMPORT_VALUES = frozenset(
    {"--sheet", "--kind", "--programme", "--profile", "--map", "--format"}
)
HELP = frozenset({"-h", "--help"})


def import_files(argv: Sequence[str]) -> list[Path]:
    """The files a ``portfolio import`` command line names; none for any other."""
    words = iter(argv)
    for word in words:
        if word in MAIN_VALUES:
            next(words, None)
        elif word in HELP or (word != "import" and not word.startswith("-")):
            return []
        elif word == "import":
            break
    else:
        return []
    files: list[Path] = []
    for word in words:
        if word == "--":
            files += map(Path, words)
        elif word in HELP:
            return []
        elif word in IMPORT_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            files.append(Path(word))
    return files
