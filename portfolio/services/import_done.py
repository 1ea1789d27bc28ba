"""Done stays done: a deadline list must not silently reopen what was done since.

A list written before a deadline was marked done (or submitted) in portfolio still
shows it open; importing it would take the mark back. The list's own time is what the
workbook says it was saved (``FileResult.written``) and when a list of the same name
or run key was last imported; a deadline marked done after either is a conflict: the
row is taken without reopening it (the default) and the preview names it, unless the
user chose to reopen (``--reopen``, or the browser's choice). When a deadline was
marked done comes from the change log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import ImportStatus, ObligationStatus
from portfolio.domain.models import Change, ImportBatch
from portfolio.domain.periods import format_date
from portfolio.domain.records import FileResult

DONE = (ObligationStatus.DONE, ObligationStatus.SUBMITTED)
DONE_VALUES = {s.value for s in DONE}


@dataclass(frozen=True, slots=True)
class Since:
    """A moment the list knew the database by, and how to name it."""

    at: datetime
    what: str  # "die Datei gespeichert wurde", "Import 3 derselben Liste lief"
    seconds: bool = False  # known to the second only (a workbook's own time)


@dataclass(frozen=True, slots=True)
class DoneConflict:
    """A row that would reopen a deadline marked done after the list's time."""

    row: int
    name: str
    status: str
    done_at: datetime
    since: Since
    reopened: bool

    def text(self) -> str:
        """The German line of the preview."""
        when = format_date(self.done_at.date())
        known = f"{self.since.what} ({format_date(self.since.at.date())})"
        if self.reopened:
            return (
                f"Zeile {self.row}: „{self.name}“ war seit {when} {self.status}, nach "
                f"dem Stand der Liste ({known}) – wird auf Wunsch wieder geöffnet."
            )
        return (
            f"Zeile {self.row}: „{self.name}“ wurde am {when} als {self.status} "
            f"markiert, nachdem {known} – bleibt {self.status}. Wieder öffnen nur "
            "ausdrücklich (--reopen, im Browser „Trotzdem wieder öffnen“)."
        )


def naive(moment: datetime) -> datetime:
    """A moment as naive UTC (the database may give it with its zone)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def list_times(
    session: Session, result: FileResult, run_key: str | None
) -> list[Since]:
    """When the file was saved, and when a list like it was last imported."""
    times = []
    if result.written is not None:
        saved = naive(result.written)
        times.append(Since(saved, "die Datei gespeichert wurde", seconds=True))
    same = sa.or_(ImportBatch.file_name == result.file, ImportBatch.run_key == run_key)
    last = session.execute(
        sa.select(ImportBatch.id, ImportBatch.created_at)
        .where(same, ImportBatch.status == ImportStatus.APPLIED)
        .order_by(ImportBatch.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        times.append(Since(naive(last[1]), f"Import {last[0]} derselben Liste lief"))
    return times


class DoneMarks:
    """When stored deadlines were marked done, read from the change log on need."""

    def __init__(self, session: Session) -> None:
        """Nothing is read until a row would reopen a deadline."""
        self.session = session
        self.cache: dict[int, datetime | None] = {}

    def marked_at(self, obligation_id: int, status: str) -> datetime | None:
        """When the deadline got its current done/submitted mark (None: unknown)."""
        if obligation_id not in self.cache:
            self.cache[obligation_id] = self._marked_at(obligation_id, status)
        return self.cache[obligation_id]

    def _marked_at(self, obligation_id: int, status: str) -> datetime | None:
        rows = self.session.execute(
            sa.select(Change.at, Change.before, Change.after)
            .where(
                Change.entity == "obligations", Change.entity_id == str(obligation_id)
            )
            .order_by(Change.id.desc())
        )
        for at, before, after in rows:
            now = (after or {}).get("status")
            was = (before or {}).get("status")
            if now == status and was != status:
                return naive(at)
        return None

    def conflict(
        self, obligation_id: int, status: str, since: list[Since]
    ) -> tuple[datetime, Since] | None:
        """The mark and the list time it is newer than, if it is."""
        if status not in DONE_VALUES or not since:
            return None
        marked = self.marked_at(obligation_id, status)
        if marked is None:
            return None
        for moment in since:
            # Workbooks keep whole seconds: a mark in the second of saving is older.
            mark = marked.replace(microsecond=0) if moment.seconds else marked
            if mark > moment.at:
                return marked, moment
        return None
