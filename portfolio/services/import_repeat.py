"""Recognise a file imported before into a database that has not changed since.

The office lead imports the same workbook again and again. Reading and comparing
100 000 rows only to learn that nothing changed costs seconds; but an import's result
depends only on the file, what it was read with (sheet, kind, programme, profile, the
portfolio version: the *run key*) and the stored data, and every change of stored
data writes the change log. So an applied batch remembers its run key and the state
of the change log when the database matched the file exactly (``matched_at``: the
log's row count and last id, written when the batch was applied and renewed by every
re-import that found nothing to change). The same run key on the same log state
means the same result: nothing to change. A batch with rejected rows never counts
(their list would have to be shown again), and ``--recheck`` compares row by row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio import __version__
from portfolio.domain.enums import ImportStatus
from portfolio.domain.models import Change, ImportBatch


def run_key(
    sha256: str, read_with: Mapping[str, object] | None, programme: str | None
) -> str:
    """The digest of a file's content and everything it is read and matched with."""
    document = {
        "sha256": sha256,
        "version": __version__,
        **(read_with or {}),
        "programme": programme,
    }
    text = json.dumps(document, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def log_state(session: Session) -> str:
    """The change log's row count and last id: moves on with every stored change."""
    count, last = session.execute(
        sa.select(sa.func.count(Change.id), sa.func.coalesce(sa.func.max(Change.id), 0))
    ).one()
    return f"{count}:{last}"


@dataclass(frozen=True, slots=True)
class Repeat:
    """A file whose earlier import the database still matches."""

    file: str
    batch_id: int
    imported_on: date
    counts: Mapping[str, int]

    def unchanged_counts(self) -> dict[str, int]:
        """The counts a row-by-row re-import would show: every data row unchanged."""
        skipped = int(self.counts.get("skipped", 0))
        rows = int(self.counts.get("rows", 0))
        return {
            "new": 0,
            "changed": 0,
            "unchanged": rows - skipped,
            "rejected": 0,
            "skipped": skipped,
            "rows": rows,
        }


def find_repeats(
    session: Session, files: Sequence[tuple[str, str]]
) -> list[Repeat] | None:
    """For (file name, run key) pairs: their matching batches, if all of them match.

    One file that changed means the whole run is compared row by row: its rows may
    build on another file's.
    """
    if not files:
        return None
    state = log_state(session)
    repeats = []
    for name, key in files:
        batch = _latest(session, key)
        if (
            batch is None
            or batch.matched_at != state
            or batch.counts.get("rejected", 0)
        ):
            return None
        repeats.append(Repeat(name, batch.id, batch.created_at.date(), batch.counts))
    return repeats


def mark_matched(session: Session, keys: Sequence[str]) -> None:
    """The database matches these files now: stamp their latest batches.

    Called after a re-import that found no change and no rejected row.
    """
    state = log_state(session)
    for key in keys:
        batch = _latest(session, key)
        if batch is not None:
            batch.matched_at = state
    session.flush()


def _latest(session: Session, key: str) -> ImportBatch | None:
    query = (
        sa.select(ImportBatch)
        .where(ImportBatch.run_key == key, ImportBatch.status == ImportStatus.APPLIED)
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
