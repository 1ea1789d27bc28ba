"""Open and parse spreadsheet files on a second thread, before anyone asks.

``portfolio import FILE`` spends its first three quarters of a second loading
its libraries and looking at the database; python-calamine parses a sheet without
holding Python's lock, so the command starts the parse of its files first
(``start``) and ``read_file`` takes the opened workbook when it gets there
(``take``) – for a 100 000-row sheet most of the parse is done by then. What is
handed over is what ``open_workbook`` and ``load_sheet`` make of the file
(``open_parsed``), with the default limits; a file that changed since (size,
time or inode), a failure (the reading then says what is wrong itself) or other
limits make ``take`` return None, and the file is read as always.
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path

from imports.readers import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_UNPACKED,
    Workbook,
    open_parsed,
)

FileKey = tuple[int, int, int, int]  # device, inode, size, modified (ns)

_lock = threading.Lock()
_pending: dict[Path, tuple[FileKey, Future[Workbook]]] = {}


def start(paths: Iterable[Path]) -> None:
    """Open the files one after the other on a thread of their own.

    Only regular files are taken; the thread is a daemon, so a command that ends
    without reading (the file was imported before) does not wait for it.
    """
    work: list[tuple[Path, Future[Workbook]]] = []
    with _lock:
        for path in paths:
            key = _key(path)
            if key is None or path.absolute() in _pending:
                continue
            future: Future[Workbook] = Future()
            _pending[path.absolute()] = (key, future)
            work.append((path, future))
    if work:
        threading.Thread(target=_open_all, args=(work,), daemon=True).start()


def take(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unpacked: int = DEFAULT_MAX_UNPACKED,
) -> Workbook | None:
    """The workbook opened ahead for ``path``, if it is still the file's content.

    Waits for its parse. None when nothing was started for the path, the file
    changed since, the limits asked for are stricter than the defaults it was
    checked against (or looser: a file refused by them is then read as usual),
    or opening failed.
    """
    with _lock:
        entry = _pending.pop(path.absolute(), None)
    if entry is None:
        return None
    key, future = entry
    try:
        workbook = future.result()
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


def _open_all(work: list[tuple[Path, Future[Workbook]]]) -> None:
    for path, future in work:
        try:
            workbook = open_parsed(path)
        except BaseException as exc:  # to ``take``, which must not wait forever
            future.set_exception(exc)
        else:
            future.set_result(workbook)


def _key(path: Path) -> FileKey | None:
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
