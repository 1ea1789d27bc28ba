"""Match a booking list to the awards and store the new bookings as expenses.

A booking belongs to an award when one of its code cells (Kostenträger, Auftrag,
Haushaltsstelle …) is one of the award's ``accounting_codes``: matched by code,
never guessed. A booking on a code no award names is not this portfolio's (an
export often holds the whole Fachdienst) and is skipped, counted per code, so a
missing code assignment shows at once. A booking on an award's code whose Sachkonto
maps to no plan position is rejected with what to do. A booking already stored
(same award, Belegnummer, date, Sachkonto, code, amount and occurrence number) is
unchanged, so re-importing an overlapping export adds only the new ones. New
bookings are written in bulk with their change-log rows under one ``ImportBatch``:
``portfolio imports undo NR`` removes them as a batch. The service never commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.bookings import (
    TEXT_LENGTH,
    Booking,
    BookingFile,
    category_for,
)
from portfolio.domain.models import Award, Expense, ImportBatch, Programme
from portfolio.domain.money import format_money
from portfolio.services import audit
from portfolio.services.collector import collector_paused
from portfolio.storage.bulk import BulkInsert
from portfolio.storage.changes import record_created

TABLE = cast(sa.Table, Expense.__table__)
COLUMNS = (
    "award_id", "category", "year", "spent_on", "amount", "note", "reference",
    "text", "account", "code", "occurrence", "import_batch_id",
)  # fmt: skip
EXPENSES = BulkInsert(TABLE, COLUMNS)
CHUNK = 5000
Identity = tuple[int, str | None, Any, str | None, str | None, Decimal, int]


@dataclass(slots=True)
class AwardSum:
    """What a file adds to one award."""

    label: str
    count: int = 0
    total: Decimal = Decimal(0)


@dataclass(slots=True)
class BookingPlan:
    """The preview of one booking list: new, known, skipped, rejected."""

    file: BookingFile
    new: list[tuple[int, Booking, str, str]] = field(default_factory=list)
    unchanged: int = 0
    unknown_codes: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)
    per_award: dict[int, AwardSum] = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def exit_code(self) -> int:
        """0 all read, 1 some rows rejected, 2 nothing usable (DESIGN §6)."""
        if not self.rejected:
            return 0
        return 1 if self.new or self.unchanged else 2

    def counts(self) -> dict[str, int]:
        """The counts an import batch keeps."""
        return {
            "new": len(self.new),
            "unchanged": self.unchanged,
            "skipped": sum(self.unknown_codes.values()) + self.file.skipped,
            "rejected": len(self.rejected),
        }

    def text(self) -> str:
        """The preview in German, one line per fact."""
        lines = [
            f"{self.file.file} (Buchungsliste, Blatt {self.file.sheet}): "
            f"{len(self.new)} neu, {self.unchanged} schon vorhanden, "
            f"{sum(self.unknown_codes.values())} auf fremden Kontierungen, "
            f"{len(self.rejected)} abgelehnt"
        ]
        for item in sorted(self.per_award.values(), key=lambda a: a.label):
            lines.append(
                f"  neu für {item.label}: {item.count} Buchungen, "
                f"{format_money(item.total)}"
            )
        if self.unknown_codes:
            lines.append(
                "  übersprungen (keiner Bewilligung zugeordnet – gehört eine davon "
                "zu einer Bewilligung, tragen Sie den Code dort unter "
                "Buchungsschlüssel ein):"
            )
            for code, count in sorted(self.unknown_codes.items()):
                lines.append(f"    {code or '(ohne Kontierung)'}: {count}")
        lines.extend(f"  abgelehnt: {line}" for line in self.rejected)
        return "\n".join(lines) + "\n"

    def document(self) -> dict[str, Any]:
        """The preview for machines."""
        return {
            "file": self.file.file,
            "kind": "bookings",
            "counts": self.counts(),
            "unknown_codes": dict(sorted(self.unknown_codes.items())),
            "awards": {
                a.label: {"new": a.count, "amount": str(a.total)}
                for a in self.per_award.values()
            },
            "rejected": self.rejected,
            "batch": self.batch_id,
        }


def _awards_by_code(session: Session) -> tuple[dict[str, Award], set[str]]:
    """Every code named by an award; codes two awards name are ambiguous."""
    by_code: dict[str, Award] = {}
    twice: set[str] = set()
    query = sa.select(Award).join(Award.programme).order_by(Programme.key, Award.id)
    for award in session.scalars(query):
        for code in award.accounting_codes or []:
            if code in by_code and by_code[code] is not award:
                twice.add(code)
            by_code[code] = award
    return by_code, twice


def _unknown(columns: list[str], codes: tuple[str, ...]) -> str:
    """The most specific code of a booking no award names, with its column."""
    for label, code in zip(columns, codes, strict=True):
        if code:
            return f"{label} {code}"
    return ""


def _label(award: Award) -> str:
    return f"{award.programme.key} {award.reference or f'#{award.id}'}"


def _stored(session: Session, award_ids: set[int]) -> set[Identity]:
    if not award_ids:
        return set()
    query = sa.select(
        Expense.award_id, Expense.reference, Expense.spent_on, Expense.account,
        Expense.code, Expense.amount, Expense.occurrence,
    ).where(Expense.award_id.in_(sorted(award_ids)))  # fmt: skip
    return {cast(Identity, tuple(row)) for row in session.execute(query)}


def plan_bookings(
    session: Session,
    booking_file: BookingFile,
    default_categories: Mapping[str, str] | None = None,
) -> BookingPlan:
    """Decide for every booking: new, already stored, someone else's or rejected.

    The cyclic collector is paused meanwhile (``collector_paused``): the plan of
    a big list holds a tuple per booking, none of them in a cycle.
    """
    plan = BookingPlan(booking_file)
    plan.rejected.extend(p.line(booking_file.file) for p in booking_file.problems)
    by_code, twice = _awards_by_code(session)
    with collector_paused():
        matched = _match(plan, {code: a.id for code, a in by_code.items()}, twice)
        awards = {award.id: award for award in by_code.values()}
        stored = _stored(session, {award_id for award_id, _, _ in matched})
        _sort(plan, matched, stored, awards, default_categories or {})
    return plan


FOREIGN, SHARED = 0, -1  # no award names the codes; more than one does


def _match(
    plan: BookingPlan, ids: dict[str, int], twice: set[str]
) -> list[tuple[int, Booking, str]]:
    """Bookings on an award's code (award id, booking, code); the rest counted."""
    booking_file = plan.file
    matched: list[tuple[int, Booking, str]] = []
    unknown: list[str] = []
    # A list repeats a few code combinations: each is looked at once.
    outcomes: dict[tuple[str, ...], tuple[int, str]] = {}
    for booking in booking_file.bookings:
        codes = booking.codes
        outcome = outcomes.get(codes)
        if outcome is None:
            outcome = outcomes[codes] = _outcome(booking_file, codes, ids, twice)
        award_id, word = outcome
        if award_id > 0:
            matched.append((award_id, booking, word))
        elif award_id == FOREIGN:
            unknown.append(word)
        else:
            plan.rejected.append(
                f"{booking_file.file}, Zeile {booking.row}, Spalte "
                f"{booking_file.code_columns[codes.index(word)]}: Der Code "
                f"{word!r} gehört zu mehreren Bewilligungen – bitte jedem Code genau "
                "eine Bewilligung zuordnen."
            )
    plan.unknown_codes.update(unknown)
    return matched


def _outcome(
    booking_file: BookingFile,
    codes: tuple[str, ...],
    ids: dict[str, int],
    twice: set[str],
) -> tuple[int, str]:
    """(award id, its code), (FOREIGN, how it is counted) or (SHARED, the code)."""
    hits = [c for c in codes if c in ids]
    if not hits:
        return FOREIGN, _unknown(booking_file.code_columns, codes)
    code = hits[0]
    if (len(hits) > 1 and len({ids[c] for c in hits}) > 1) or code in twice:
        return SHARED, code
    return ids[code], code


def _sort(
    plan: BookingPlan,
    matched: list[tuple[int, Booking, str]],
    stored: set[Identity],
    awards: dict[int, Award],
    defaults: Mapping[str, str],
) -> None:
    """Each matched booking: rejected (no plan position), already stored or new."""
    categories: dict[tuple[int, str], str | None] = {}
    amounts: dict[int, list[Decimal]] = {}  # per award, in the order first seen
    new = plan.new
    for award_id, booking, code in matched:
        account = booking.account
        key = (award_id, account)
        category = categories.get(key, "")
        if category == "":  # not looked up yet (no position is called "")
            award = awards[award_id]
            category = categories[key] = category_for(
                account, award.account_categories or {}, defaults
            )
        if category is None:
            plan.rejected.append(
                f"{plan.file.file}, Zeile {booking.row}, Spalte Sachkonto: Das "
                f"Sachkonto {account} ist bei {_label(awards[award_id])} keiner "
                "Position des Finanzierungsplans zugeordnet – tragen Sie es (oder "
                "seinen Anfang) unter Sachkonto → Position der Bewilligung ein."
            )
            continue
        if stored and (
            award_id, booking.reference, booking.day, account, code,
            booking.amount, booking.occurrence,
        ) in stored:  # fmt: skip
            plan.unchanged += 1
            continue
        new.append((award_id, booking, code, category))
        spent = amounts.get(award_id)
        if spent is None:
            spent = amounts[award_id] = []
        spent.append(booking.amount)
    for award_id, spent in amounts.items():
        plan.per_award[award_id] = AwardSum(
            _label(awards[award_id]), len(spent), sum(spent, Decimal(0))
        )


def apply_bookings(session: Session, plan: BookingPlan) -> int | None:
    """Write the new bookings under one import batch; its number (None: nothing new)."""
    if not plan.new:
        return None
    result = plan.file
    batch = ImportBatch(
        file_name=result.file,
        sha256=result.sha256,
        sheets=[result.sheet],
        kind="bookings",
        who=str(session.info.get("who", "")),
        counts=plan.counts(),
    )
    session.add(batch)
    session.flush()
    session.info["batch_id"] = batch.id
    try:
        with collector_paused():  # the columns of 5 000 rows at a time, no cycles
            for start in range(0, len(plan.new), CHUNK):
                _insert(session, plan.new[start : start + CHUNK], batch.id)
    finally:
        session.info["batch_id"] = None
    plan.batch_id = batch.id
    audit.record(session, "import_applied", target=batch.file_name, batch=batch.id)
    return batch.id


def _insert(
    session: Session, rows: Sequence[tuple[int, Booking, str, str]], batch_id: int
) -> None:
    count = len(rows)
    bookings = [b for _, b, _, _ in rows]
    columns: list[list[Any]] = [
        [award_id for award_id, _, _, _ in rows],
        [category for _, _, _, category in rows],
        [b.day.year for b in bookings],
        [b.day for b in bookings],
        [b.amount for b in bookings],
        [None] * count,
        [b.reference for b in bookings],
        [b.text[:TEXT_LENGTH] or None for b in bookings],
        [b.account for b in bookings],
        [code for _, _, code, _ in rows],
        [b.occurrence for b in bookings],
        [batch_id] * count,
    ]
    ids = EXPENSES.insert_columns_with_ids(session, columns)
    after = list(columns)
    after[3] = [d.isoformat() for d in columns[3]]
    after[4] = [str(a) for a in columns[4]]
    record_created(
        session, TABLE.name, (*COLUMNS, "id"), [*after, ids], list(map(str, ids))
    )
