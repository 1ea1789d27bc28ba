"""The folder that holds the documents' bytes, each file named by its SHA-256.

Identical uploads are stored once. A file is written beside its final name and
renamed into place, so a crash never leaves half a file under a hash; it is never
rewritten afterwards. Every read checks the hash: a file altered or lost on disk is
an ``IntegrityProblem`` naming the document, never silently served. Where the folder
lies is a setting (``documents.dir``); by default beside the SQLite file
(``portfolio.db`` → ``portfolio-documents/``), for PostgreSQL ``documents/`` in the
working directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from portfolio.domain.errors import InputError, PortfolioError

HEX = frozenset("0123456789abcdef")


class IntegrityProblem(PortfolioError):
    """A stored file is missing or its bytes no longer match their hash."""

    exit_code = 1
    http_status = 500


def default_dir(database_url: str, configured: str | None) -> Path:
    """The documents folder for a database URL and the ``documents.dir`` setting."""
    if configured:
        return Path(configured).expanduser()
    url = make_url(database_url)
    in_file = url.database not in (None, "", ":memory:")
    if url.get_backend_name() == "sqlite" and in_file:
        database = Path(str(url.database)).expanduser()
        return database.with_name(f"{database.stem}-documents")
    return Path("documents")


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class DocumentStore:
    """Content-addressed files in one folder."""

    root: Path

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives (the hash is checked to be one)."""
        if len(sha256) != 64 or not set(sha256) <= HEX:
            raise InputError(f"{sha256!r} ist keine SHA-256-Prüfsumme.")
        return self.root / sha256

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store bytes (once per content); return their hash."""
        digest = sha256 or sha256_hex(data)
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return digest
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = self.root / f".{digest}.{secrets.token_hex(4)}.tmp"
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(target)
        except OSError as exc:
            with contextlib.suppress(OSError, UnboundLocalError):
                temporary.unlink(missing_ok=True)
            raise InputError(
                f"Der Dokumentenordner {str(self.root)!r} ist nicht beschreibbar "
                f"({exc.strerror or type(exc).__name__}) – documents.dir prüfen."
            ) from exc
        return digest

    def read(self, sha256: str, label: str = "Das Dokument") -> bytes:
        """The bytes of a file, checked against their hash."""
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise IntegrityProblem(
                f"{label}: die Datei fehlt im Dokumentenordner "
                f"({self.path(sha256)}) – aus der Sicherung zurückholen."
            ) from None
        except OSError as exc:
            raise IntegrityProblem(
                f"{label}: die Datei lässt sich nicht lesen ({exc.strerror})."
            ) from None
        if sha256_hex(data) != sha256:
            raise IntegrityProblem(
                f"{label}: die Datei wurde auf der Festplatte verändert (Prüfsumme "
                "stimmt nicht) – sie wird nicht ausgeliefert; aus der Sicherung "
                "zurückholen."
            )
        return data

    def state(self, sha256: str) -> str:
        """``ok``, ``missing`` or ``altered`` (reads and hashes the file)."""
        path = self.path(sha256)
        try:
            with path.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "missing"
        return "ok" if digest == sha256 else "altered"

    def remove(self, sha256: str) -> None:
        """Delete a file (callers check that no document still uses it)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def hashes(self) -> Iterator[str]:
        """The hashes of all files in the folder."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if len(entry.name) == 64 and set(entry.name) <= HEX:
                yield entry.name
