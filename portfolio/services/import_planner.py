"""The base of the row planner: indexes, field setting with diffs, rejections.

``PlannerBase`` loads every stored row an import can touch once (programmes with
their phases, fundings, awards and obligations; funders; contacts), so that planning
costs no query per row. ``set`` changes one field only when it differs and records
the change (old → new) for the preview; every touched object is remembered for its
provenance (import batch, source cell). A row that cannot be imported raises
``Rejected`` with a ``Problem`` before anything is changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from types import NoneType
from typing import Any

from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationKind, ObligationStatus
from portfolio.domain.errors import Problem
from portfolio.domain.models import (
    Contact,
    Obligation,
    Programme,
)
from portfolio.domain.periods import Period
from portfolio.domain.records import FunderRef, Record, Source
from portfolio.services.import_bulk import (
    PendingObligation,
    StoredObligation,
    load_stored,
)
from portfolio.services.import_done import DoneConflict, DoneMarks, Since
from portfolio.services.import_match import (
    ContactIndex,
    FunderIndex,
    ProgrammeIndex,
    fold,
    person_key,
)
from portfolio.services.import_new import NewProgramme, NewRow, NewRows
from portfolio.services.import_result import (
    EntityChange,
    FieldDiff,
    RowResult,
    RowStatus,
    display,
)

# Where a touched row came from: the source cell, made text only when stored.
Ref = str | Source


class Rejected(Exception):
    """A row cannot be imported; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        """Keep the problem."""
        super().__init__(problem.message)
        self.problem = problem


class PlannerBase:
    """Indexes and helpers shared by the row handlers of one import run."""

    def __init__(self, session: Session, default_programme: str | None = None) -> None:
        """Load every stored row the import can touch, once."""
        self.session = session
        self.programmes = ProgrammeIndex(session)
        self.funders = FunderIndex(session)
        self.contacts = ContactIndex(session)
        self.default_programme = default_programme
        self.touched: dict[int, tuple[Any, Ref]] = {}
        self.unlinked: set[str] = set()
        # New obligations of stored programmes are inserted in bulk (no unit of
        # work per row): big deadline lists are the common large import.
        self.bulk: list[PendingObligation] = []
        # New programmes with their fundings, phases, awards and Anträge as plain
        # rows (``import_new``) when ``plain_new`` is set: an overview creates a
        # quarter of a million of them.
        self.plain_new = False
        self.fresh = NewRows()
        self.claimed: set[int] = set()
        # Per sheet: rows by their values (duplicates), new programmes that
        # resemble stored ones, and which row of a programme sets its status.
        self.row_keys: dict[tuple[Any, ...], int] = {}
        # ... and the first row of each rough key (``rough_key``), whose full key
        # is made only when a second row shares its rough one.
        self.first_rows: dict[tuple[Any, ...], Record | None] = {}
        self.similar: list[tuple[int, str, str]] = []
        self.status_rows: dict[str, int] = {}
        # Programme rows of this run that were rejected: their deadlines say so.
        self.rejected_programmes: dict[str, Source] = {}
        self.sheet_serial = 1
        self.programme_ids: dict[int, int] = {}
        self.labels: dict[int, str] = {}  # per sheet: a sheet changes no label
        # Per sheet: names written short and what they were taken as, with rows.
        self.recognised: dict[tuple[str, str], int] = {}
        self.clear_names: set[str] = set()  # people's names that fit one or none
        # Done stays done: the list's times (per file), the choice to reopen
        # anyway, and per sheet the rows that would have reopened a deadline.
        self.since: list[Since] = []
        self.reopen = False
        # Stored rows the file no longer lists, deleted on apply (import_remove).
        self.removals: list[Any] = []
        self.done_marks = DoneMarks(session)
        self.conflicts: list[DoneConflict] = []
        # Programme fields come from a programme's first row; later rows of the
        # same programme (one per award) must not overwrite them back and forth.
        self.seen: set[int] = set()
        # Programmes with an open Verwendungsnachweis (stored: found on first
        # need; this run: added when a status word opens one).
        self.open_reports_of: set[int] | None = None
        self.open_reports: set[int] = set()
        # Stored obligations as plain values: comparing 100 000 deadlines must not
        # build 100 000 ORM objects; changed ones are written at the end.
        stored = load_stored(session, self.programmes.by_id, self.contacts.by_id)
        self.obligations: dict[int, StoredObligation] = {o.id or 0: o for o in stored}
        self.by_title: dict[tuple[int, str], list[Obligation | PendingObligation]] = (
            defaultdict(list)
        )
        for item in stored:
            slot = (self.programme_id(item.programme), fold(item.title))
            self.by_title[slot].append(item)

    # --- helpers -------------------------------------------------------------

    def problem(self, record: Record, field: str, message: str, hint: str) -> Rejected:
        """A rejection of a row at the column of one field."""
        value = record.values.get(field, "")
        return Rejected(
            Problem(
                message,
                record.source.file,
                record.source.sheet,
                record.source.row,
                record.columns.get(field, ""),
                display(value) if value != "" else "",
                hint,
            )
        )

    def set(  # noqa: PLR0917 - obj, field, value, label, change, source
        self,
        obj: Any,
        attr: str,
        value: Any,
        label: str,
        change: EntityChange,
        ref: Ref,
    ) -> None:
        """Set one field if it differs; remember the diff and the touched object."""
        old = getattr(obj, attr)
        if old == value and type(old) is type(value):
            return
        if isinstance(old, Decimal) and isinstance(value, Decimal) and old == value:
            return
        setattr(obj, attr, value)
        if not change.created:
            change.add(FieldDiff(label, display(old), display(value)))
        self._touch(obj, ref)

    def created(self, obj: Any, ref: Ref) -> None:
        """Remember a new object for provenance."""
        self._touch(obj, ref)

    def _touch(self, obj: Any, ref: Ref) -> None:
        if type(obj) is PendingObligation:
            # New bulk rows are all in ``bulk`` and carry their source cell: no
            # entry per row here.
            obj.where = ref
            return
        if isinstance(obj, NewRow):
            obj.where = ref  # the last cell that touched it, as ``touched`` keeps
            return
        self.touched[id(obj)] = (obj, ref)

    def _new_obligation(  # noqa: PLR0917 - the new row's parts
        self,
        programme: Programme | NewProgramme,
        slot: tuple[int, str],
        title: str,
        due: Any,
        kind: ObligationKind,
        ref: Ref,
    ) -> Obligation | PendingObligation:
        """A new deadline: a pending bulk row for a stored programme, else ORM.

        A new programme planned as a plain row (``import_new``) gets a pending
        row too; its key is filled in when it is inserted, before the deadlines.
        """
        target: Obligation | PendingObligation
        key = programme.id  # an ORM attribute: read once
        if key is not None:
            target = PendingObligation(key, title, due, kind)
            self.bulk.append(target)
        elif isinstance(programme, NewProgramme):
            target = PendingObligation(None, title, due, kind)
            target.programme = programme  # type: ignore[assignment] # plain, alike
            self.bulk.append(target)
        else:
            target = Obligation(
                title=title,
                due_on=due,
                kind=kind,
                origin="import",
                checklist=[],
                status=ObligationStatus.OPEN,
                edited=False,
            )
            programme.obligations.append(target)
            self.created(target, ref)
        self.by_title[slot].append(target)
        if type(target) is PendingObligation:
            target.where = ref  # what ``created`` does for one, without the call
        return target

    def programme_id(self, programme: object) -> int:
        """``id(programme)``, one int object per programme (not one per row)."""
        return self.programme_ids.setdefault(id(programme), id(programme))

    def label_of(self, programme: Programme) -> str:
        """``programme.label``, read once per sheet (rows of a list repeat it)."""
        label = self.labels.get(id(programme))
        if label is None:
            label = self.labels[id(programme)] = programme.label
        return label

    def claim(self, target: Any) -> None:
        """Mark a stored or new row as taken by a row of the current sheet."""
        if isinstance(target, PendingObligation):
            target.claimed_in = self.sheet_serial
        else:
            self.claimed.add(id(target))

    def is_claimed(self, target: Any) -> bool:
        """Whether a row of the current sheet took this one already."""
        if isinstance(target, PendingObligation):
            return target.claimed_in == self.sheet_serial
        return id(target) in self.claimed

    def new_sheet(self, records: Sequence[Record] = ()) -> None:
        """Claims, first rows and unlinked names are per sheet."""
        self.claimed.clear()
        self.seen.clear()
        self.unlinked.clear()
        self.labels.clear()
        self.row_keys.clear()
        self.first_rows.clear()
        self.similar.clear()
        self.sheet_serial += 1
        self.status_rows = _status_rows(records)
        self.recognised.clear()
        self.conflicts = []

    def recognise(self, written: str, full: str) -> None:
        """Count a name the sheet wrote short (``KAoA``) and what it was taken as."""
        key = (written, full)
        self.recognised[key] = self.recognised.get(key, 0) + 1

    def check_names(self, record: Record, person: str) -> None:
        """Reject a row whose short form fits two funders or two people.

        Checked before anything of the row is made, so a rejected row leaves
        nothing behind.
        """
        values = record.values
        funders = self.funders
        for ref in values.get("funders") or ():
            # ``abbreviated`` keeps its answers: asked directly first (every row).
            fits = funders.short_forms.get(ref.name)
            if fits is None:
                fits = funders.abbreviated(ref.name)
            if len(fits) > 1 and funders.names.get(fold(ref.name)) is None:
                raise self._ambiguous(record, "funders", "Fördergeber", fits)
        name = values.get(person)
        if not name or name in self.clear_names or values.get("email"):
            return
        if "@" in name or self.contacts.by_name.get(person_key(name)):
            self.clear_names.add(name)  # lists repeat their people: once each
            return
        people = self.contacts.abbreviated(name)
        if len(people) > 1:
            raise self._ambiguous(record, person, "Person", people)
        self.clear_names.add(name)

    def _ambiguous(
        self, record: Record, field: str, what: str, fits: Sequence[Any]
    ) -> Rejected:
        names = " oder ".join(f"„{f.name}“" for f in fits[:3])
        return self.problem(
            record,
            field,
            f"Dieser Name passt zu mehr als einem {what}.",
            f"meinten Sie {names}? Schreiben Sie den Namen aus.",
        )

    def duplicate_of(self, record: Record) -> int | None:
        """The earlier row of this sheet with exactly the same values, if any.

        Rows are told apart by a rough key first (``rough_key``: rows of equal
        values have equal rough keys); the full key of a row is made only when
        its rough key is not its alone, which in an overview of distinct
        references is never.
        """
        values = record.values
        # ``rough_key``, written out: asked for every row of a sheet.
        name, reference = values.get("name"), values.get("reference")
        rough = (
            len(values),
            name if type(name) is str else None,
            reference if type(reference) is str else None,
        )
        first = self.first_rows.get(rough, _NO_ROW)
        if first is _NO_ROW:
            self.first_rows[rough] = record
            return None
        if first is not None:
            # The first row of this rough key gets its full key now, as it
            # would have got when it was planned (no row before it was equal).
            self.row_keys[row_key(first.values)] = first.source.row or 0
            self.first_rows[rough] = None
        key = row_key(values)
        earlier = self.row_keys.get(key)
        if earlier is None:
            self.row_keys[key] = record.source.row or 0
        return earlier

    def _contact(
        self, name: str | None, email: str | None, ref: Ref, changes: list[EntityChange]
    ) -> Contact | None:
        if not name and not email:
            return None
        if name and not email and "@" in name:  # a column of addresses
            email = name.strip().lower()
            name = None
        contact = self.contacts.find(name, email)
        if contact is not None and name and name in self.contacts.recognised:
            self.recognise(name, contact.name)
        if contact is None and not email and name:
            self.unlinked.add(name)
        if contact is None and email:
            contact = Contact(email=email, name=name or email)
            self.session.add(contact)
            self.contacts.add(contact)
            self.clear_names.clear()  # a new person may make a short name ambiguous
            self.created(contact, ref)
            changes.append(EntityChange("Kontakt", f"{contact.name} <{email}>", True))
        return contact

    def _programme_of(self, record: Record) -> Programme:
        values = record.values
        if "key" in values:
            found = self.programmes.by_key.get(values["key"])
            if found is None:
                raise self.problem(
                    record,
                    "key",
                    "Diesen Programmschlüssel gibt es nicht.",
                    "Lassen Sie die Spalte _key unverändert.",
                )
            return found
        if "programme" in values:
            found, suggestions = self.programmes.find(values["programme"])
            if found is not None and values["programme"] in self.programmes.recognised:
                self.recognise(values["programme"], found.name)
            if found is None:
                hint = (
                    "meinten Sie " + " oder ".join(f"„{s}“" for s in suggestions) + "?"
                    if suggestions
                    else "Legen Sie das Programm zuerst an (Übersicht importieren) "
                    "oder schreiben Sie seinen Namen wie in portfolio."
                )
                if where := self.rejected_programmes.get(fold(values["programme"])):
                    hint = (
                        f"Das Programm steht in Zeile {where.row} des Blatts "
                        f"„{where.sheet}“, die abgelehnt wurde – beheben Sie "
                        "zuerst diese Zeile."
                    )
                raise self.problem(
                    record,
                    "programme",
                    "Dieses Programm ist nicht eindeutig bekannt.",
                    hint,
                )
            return found
        if self.default_programme:
            found = self.programmes.by_key.get(self.default_programme)
            if found is not None:
                return found
            raise self.problem(
                record,
                "programme",
                f"Das Programm {self.default_programme!r} (--programme) gibt es nicht.",
                "Prüfen Sie den Schlüssel (portfolio programmes).",
            )
        raise self.problem(
            record,
            "programme",
            "Das Programm fehlt.",
            "Fügen Sie eine Spalte Programm hinzu oder geben Sie --programme an.",
        )


# Values whose equality is what their ``repr`` says (same type): kept as they are.
_SAME_AS_REPR = frozenset({str, int, bool, date, NoneType, Period, FunderRef})


_NO_ROW: Any = object()  # no row with this rough key yet


def rough_key(values: dict[str, Any]) -> tuple[Any, ...]:
    """A cheap key that rows of equal ``row_key`` share.

    Their number of values, and name and reference where these are texts
    (equal keys hold equal texts there; other values are left out).
    """
    name, reference = values.get("name"), values.get("reference")
    return (
        len(values),
        name if type(name) is str else None,
        reference if type(reference) is str else None,
    )


def row_key(values: dict[str, Any]) -> tuple[Any, ...]:
    """A row's values as one hashable key: equal exactly when their reprs are.

    The values themselves where equality says as much (a date, a text, a
    period), with their type (1 is not 1.0); a Decimal by its text (1.0 is not
    1.00); anything else by its ``repr``. Cheaper than the repr of every row.
    """
    parts: list[Any] = []
    for name in sorted(values):
        value = values[name]
        kind = type(value)
        if kind in _SAME_AS_REPR or issubclass(kind, Enum):
            parts += (name, kind, value)
        elif kind is Decimal:
            parts += (name, kind, str(value))
        elif kind is list and all(type(v) is FunderRef for v in value):
            parts += (name, kind, tuple(value))
        else:
            parts += (name, kind, repr(value))
    return tuple(parts)


def _status_rows(records: Sequence[Record]) -> dict[str, int]:
    """Per programme name: the row whose status counts, the one of its latest term.

    An overview lists Phase I (abgeschlossen) and Phase II (läuft) of a programme
    in two rows; the programme runs. Decided before the rows are planned, so the
    status is set once, not back and forth.
    """
    chosen: dict[str, tuple[date, int]] = {}
    # The last row's name (a text) and its folded form: the rows of a programme
    # follow each other, and its name is folded once.
    written: str | None = None
    name = ""
    for record in records:
        values = record.values
        if "status" not in values or not values.get("name"):
            continue
        period = values.get("period")
        start = period.start if period is not None else date.min
        raw = values["name"]
        if type(raw) is not str or raw != written:
            written = raw if type(raw) is str else None
            name = fold(str(raw))
        row = record.source.row or 0
        if name not in chosen or start >= chosen[name][0]:
            chosen[name] = (start, row)
    return {name: row for name, (_, row) in chosen.items()}


def row_result(
    record: Record,
    label: str,
    changes: list[EntityChange],
    *,
    new: bool | None = None,
) -> RowResult:
    """The row's status from its changes: new, changed or unchanged.

    New when the row's own entity (the first change, unless ``new`` says) was
    created; a row that only adds a link or a phase to a stored row changed it.
    """
    if new is None and len(changes) == 1 and changes[0].created:
        return RowResult(record.source, RowStatus.NEW, label, changes)  # most rows
    if new is not None and changes:
        for change in changes:
            if not (change.created or change.diffs):
                break
        else:  # every change is real (a row of an overview): the list as it is
            status = RowStatus.NEW if new else RowStatus.CHANGED
            return RowResult(record.source, status, label, changes)
    primary_created = (bool(changes) and changes[0].created) if new is None else new
    found = [c for c in changes if c.created or c.diffs]
    # No list for an unchanged row, else the caller's list (no second list per
    # row of a big import).
    real: Sequence[EntityChange] = changes if found else ()
    if found and len(found) != len(changes):
        changes[:] = found
    if real and primary_created:
        status = RowStatus.NEW
    elif real:
        status = RowStatus.CHANGED
    else:
        status = RowStatus.UNCHANGED
    return RowResult(record.source, status, label, real)
