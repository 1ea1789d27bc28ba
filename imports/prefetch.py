"""Open and parse spreadsheet files on a second thread, before anyone asks.

``portfolio import FILE`` spends its first half second loading its libraries and
looking at the database; python-calamine parses a sheet without holding Python's
lock, so the command starts the parse of its files first (``start``) and
``read_file`` takes the opened workbook when it gets there (``take``), scanning an
xlsx for what calamine does not report while the parse finishes – for a
100 000-row sheet most of the parse is done by then. What is handed over is what
``open_workbook`` and ``load_sheet`` make of the file, with the default limits; a
file that changed since (size, time or inode), a failure (the reading then says
what is wrong itself) or other limits make ``take`` return None, and the file is
read as always.
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from imports.readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_UNPACKED,
    CheckedFile,
    Workbook,
    book_facts,
    check_file,
    parse_checked,
    with_book_facts,
)

FileKey = tuple[int, int, int, int]  # device, inode, size, modified (ns)

_lock = threading.Lock()
_pending: dict[Path, tuple[FileKey, _Steps]] = {}


class _Steps:
    """A file's way through the thread: checked first, parsed then."""

    def __init__(self) -> None:
        self.checked: Future[CheckedFile] = Future()
        self.parsed: Future[Workbook] = Future()


def start(paths: Iterable[Path]) -> None:
    """Open the files one after the other on a thread of their own.

    Only regular files are taken; the thread is a daemon, so a command that ends
    without reading (the file was imported before) does not wait for it.
    """
    work: list[tuple[Path, _Steps]] = []
    with _lock:
        for path in paths:
            key = _key(path)
            if key is None or path.absolute() in _pending:
                continue
            steps = _Steps()
            _pending[path.absolute()] = (key, steps)
            work.append((path, steps))
    if work:
        threading.Thread(target=_open_all, args=(work,), daemon=True).start()


def take(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unpacked: int = DEFAULT_MAX_UNPACKED,
) -> Workbook | None:
    """The workbook opened ahead for ``path``, if it is still the file's content.

    Scans an xlsx for what calamine does not report while the parse goes on,
    then waits for the parse. None when nothing was started for the path, the
    file changed since, the limits asked for are stricter than the defaults it
    was checked against (or looser: a file refused by them is then read as
    usual), or opening failed.
    """
    with _lock:
        entry = _pending.pop(path.absolute(), None)
    if entry is None:
        return None
    key, steps = entry
    try:
        facts = book_facts(steps.checked.result(), path.name)
        workbook = with_book_facts(steps.parsed.result(), facts)
    except Exception:  # the reading opens it again and says why
        return None
    usable = (
        _key(path) == key
        and key[2] <= max_bytes
        and max_unpacked == DEFAULT_MAX_UNPACKED
    )
    if not usable:
        workbook.close()
        return None
    return workbook


def _open_all(work: list[tuple[Path, _Steps]]) -> None:
    for path, steps in work:
        future: Future[Any] = steps.checked
        try:
            file = check_file(path)
            steps.checked.set_result(file)
            future = steps.parsed
            steps.parsed.set_result(parse_checked(path, file))
        except BaseException as exc:  # to ``take``, which must not wait forever
            future.set_exception(exc)
            if future is steps.checked:
                steps.parsed.set_exception(exc)


def _key(path: Path) -> FileKey | None:
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
