"""Where browser uploads wait between preview and confirmation, and when they go.

Each server process keeps its uploads in its own folder
``<tmp>/portfolio-uploads-<pid>-<random>``, one sub-folder per upload. An upload
is removed when it is confirmed or discarded (the import views do that), when it
is older than ``imports.upload_keep_minutes`` (swept on every upload), when the
server stops, and – for folders left by a process that died – at start-up.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "portfolio-uploads-"
_OWNER = re.compile(rf"^{PREFIX}(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _orphan(folder: Path) -> bool:
    owner = _OWNER.match(folder.name)
    if owner is None:
        # Named by an older version, without its process: gone after a day.
        return folder.stat().st_mtime < time.time() - 86400
    return not _alive(int(owner[1]))


def remove_orphans(root: Path | None = None) -> list[Path]:
    """Remove upload folders whose server process is gone."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(PREFIX + "*"):
        if folder.is_dir() and _orphan(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def make_upload_dir() -> Path:
    """The upload folder of this process (after sweeping those of dead ones)."""
    remove_orphans()
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def remove_expired(folder: Path, keep_minutes: float) -> list[Path]:
    """Remove uploads older than ``keep_minutes`` (never confirmed nor discarded)."""
    limit = time.time() - keep_minutes * 60
    removed = []
    for upload in folder.iterdir() if folder.is_dir() else ():
        if upload.stat().st_mtime < limit:
            shutil.rmtree(upload, ignore_errors=True)
            removed.append(upload)
    return removed
