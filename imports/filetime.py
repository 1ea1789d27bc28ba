"""When a workbook was last saved, as the workbook itself says.

xlsx keeps it in ``docProps/core.xml`` (``dcterms:modified``, UTC), ods in
``meta.xml`` (``dc:date``). The import compares it with the time a deadline was
marked done: a list saved before that must not silently reopen it. CSV files carry
no such time (their file-system time says when they were copied, not written).
"""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

MEMBERS = {"xlsx": "docProps/core.xml", "xlsm": "docProps/core.xml", "ods": "meta.xml"}
STAMP_RE = {
    "docProps/core.xml": re.compile(rb"<dcterms:modified[^>]*>([^<]{10,40})<"),
    "meta.xml": re.compile(rb"<dc:date>([^<]{10,40})<"),
}
MAX_MEMBER = 1024 * 1024  # a metadata part is small; anything larger is not read


def written_at(path: Path, fmt: str) -> datetime | None:
    """The time the workbook was saved (naive UTC), or None if it does not say."""
    member = MEMBERS.get(fmt)
    if member is None:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.file_size > MAX_MEMBER:
                return None
            data = archive.read(member)
    except (KeyError, OSError, zipfile.BadZipFile, ValueError):
        return None
    match = STAMP_RE[member].search(data)
    if match is None:
        return None
    return _parse(match[1].decode("ascii", "replace").strip())


def _parse(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC).replace(tzinfo=None)
    return stamp
