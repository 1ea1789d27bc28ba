"""Files the commands write or read on the user's behalf, with German failures.

An output file is written beside its target and renamed into place, so a failure
never leaves half a file; a missing folder, a read-only place or a full disk is the
user's to fix (exit 2), said in one German sentence rather than an OS error in English.
"""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path

from portfolio.domain.errors import InputError

# What the OS says, in the words of the office (the rest: "nicht möglich").
OS_REASONS = {
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EROFS: "der Speicherort ist schreibgeschützt",
    errno.ENOSPC: "der Datenträger ist voll",
    errno.EISDIR: "das ist ein Ordner, keine Datei",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Ordner",
    errno.ENOENT: "an diesem Ort lässt sich keine Datei anlegen",
    errno.ENAMETOOLONG: "der Name ist zu lang",
}


def os_reason(exc: OSError) -> str:
    """A short German reason for an OS error."""
    return OS_REASONS.get(exc.errno or 0, "nicht möglich")


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that a reader never sees half of it."""
    if path.parent and not path.parent.exists():
        raise InputError(f"Der Ordner {str(path.parent)!r} existiert nicht.")
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise InputError(
            f"{str(path)!r} lässt sich nicht schreiben: {os_reason(exc)}."
        ) from exc


def read_text(path: Path) -> str:
    """A UTF-8 text file the user named (a missing or binary file is their error)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"Die Datei {str(path)!r} gibt es nicht.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Die Datei {str(path)!r} ist kein UTF-8-Text; speichern Sie sie als UTF-8."
        ) from exc
    except OSError as exc:
        raise InputError(
            f"Die Datei {str(path)!r} lässt sich nicht lesen: {os_reason(exc)}."
        ) from exc
