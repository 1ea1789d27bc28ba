"""New deadlines of stored programmes, inserted in bulk instead of row by row.

A big deadline list is the common large import. Building an ORM object per row and
letting the unit of work insert them costs most of an import's time, so the planner
creates a light ``PendingObligation`` instead (same attributes, no instrumentation)
and ``insert_pending`` writes them in chunks straight through the database driver
(``portfolio.storage.bulk``), column by column, logging each row in the change log
exactly as the ORM listener would (action, values after, who, batch). When another
file of the same run follows, the rows become persistent ORM objects so that it can
still change them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached

from portfolio.domain.enums import ObligationKind, ObligationStatus
from portfolio.domain.models import Award, Contact, Obligation, Programme, surely
from portfolio.storage.bulk import BulkInsert
from portfolio.storage.changes import log_column, record_created

CHUNK = 2000  # rows per insert: bounds the memory of big imports
TABLE = cast(sa.Table, Obligation.__table__)
COLUMNS = tuple(c.key for c in TABLE.columns if c.key != "id")
# Positions of the columns whose values the change log writes differently (dates,
# enums); the other columns hold str, int, bool or a list, logged as they are.
TYPED = [
    index
    for index, c in enumerate(c for c in TABLE.columns if c.key != "id")
    if isinstance(c.type, sa.Enum)
    or not isinstance(c.type, sa.String | sa.Integer | sa.Boolean | sa.JSON)
]
# The keys of a new row's change-log values, in the table's order as
# ``Base.snapshot`` writes them (the key first).
AFTER = ("id", *COLUMNS)
OBLIGATIONS = BulkInsert(TABLE, COLUMNS)
# The columns and, last, what a pending row knows beyond them.
_GETTERS = [attrgetter(name) for name in (*COLUMNS, "where", "responsible", "award")]
_CHECKLIST, _SOURCE_REF, _RESPONSIBLE_ID, _AWARD_ID, _PROGRAMME_ID = (
    COLUMNS.index(name)
    for name in (
        "checklist",
        "source_ref",
        "responsible_id",
        "award_id",
        "programme_id",
    )
)


class PendingObligation:
    """A new obligation before insert: the columns of ``Obligation``, plain."""

    # ``where``: the source cell, written as ``source_ref`` only when inserted
    # (one string per row less to hold); ``claimed_in``: the planner's sheet that
    # claimed it (a mark instead of a set entry per row).
    __slots__ = (
        *COLUMNS,
        "award",
        "claimed_in",
        "id",
        "programme",
        "responsible",
        "where",
    )

    id: int | None
    programme_id: int  # None until a new programme (``programme``) is inserted
    award_id: int | None
    kind: ObligationKind
    title: str
    due_on: date
    due_effective: date | None
    responsible_id: int | None
    status: ObligationStatus
    done_on: date | None
    origin: str
    template_id: str | None
    rule_key: str | None
    source: str | None
    checklist: list[str] | None  # None: empty (no list per pending row)
    edited: bool
    notes: str | None
    import_batch_id: int | None
    source_ref: str | None
    responsible: Contact | None
    award: Award | None
    programme: Programme | None
    where: object
    claimed_in: int

    def __init__(
        self, programme_id: int | None, title: str, due_on: date, kind: ObligationKind
    ) -> None:
        """Start with the values every imported deadline has (the rest empty)."""
        _blank(self)
        self.programme_id = programme_id  # type: ignore[assignment] # see above
        self.title = title
        self.due_on = due_on
        self.kind = kind
        self.status = ObligationStatus.OPEN
        self.origin = "import"
        self.edited = False
        self.claimed_in = 0


def _blank_setter(names: tuple[str, ...]) -> Callable[[object], None]:
    """A function that sets each of ``names`` to None on an object.

    Generated as ``dataclasses`` generates ``__init__``: one plain assignment per
    name runs three times as fast as a loop of ``setattr``, and a big list
    creates 100 000 deadlines. The names are the table's column names.
    """
    body = "".join(f"    item.{name} = None\n" for name in names)
    scope: dict[str, Any] = {}
    exec(f"def blank(item):\n{body}", scope)  # noqa: S102 - names from the model
    return cast(Callable[[object], None], scope["blank"])


_blank = _blank_setter((*COLUMNS, "id", "responsible", "award", "programme", "where"))


def insert_pending(
    session: Session, pending: list[PendingObligation], *, keep: bool
) -> dict[int, Obligation]:
    """Insert in chunks; with ``keep`` return ORM objects for them (by ``id(obj)``)."""
    kept: dict[int, Obligation] = {}
    for start in range(0, len(pending), CHUNK):
        kept.update(_insert_chunk(session, pending[start : start + CHUNK], keep=keep))
    return kept


def _insert_chunk(
    session: Session, pending: list[PendingObligation], *, keep: bool
) -> dict[int, Obligation]:
    columns = _columns(pending)
    # The same German checks as on a flush, without building an ORM object per
    # row (that alone cost a third of a big import): column by column where
    # that says every row passes, else row by row for the first one's message.
    if not surely(Obligation.surely_valid, dict(zip(COLUMNS, columns, strict=True))):
        for item in pending:
            Obligation.validate(cast(Obligation, item))
    ids = OBLIGATIONS.insert_columns_with_ids(session, columns)
    for item, new_id in zip(pending, ids, strict=True):
        item.id = new_id
    _log_created(session, columns, ids)
    if not keep:
        return {}
    return {
        id(item): _persistent(session, row, new_id)
        for item, row, new_id in zip(
            pending, zip(*columns, strict=True), ids, strict=True
        )
    }


def _columns(pending: list[PendingObligation]) -> list[Sequence[Any]]:
    """The values to insert column by column, in ``COLUMNS`` order."""
    columns: list[Sequence[Any]] = [list(map(get, pending)) for get in _GETTERS]
    if None in columns[_PROGRAMME_ID]:  # of programmes inserted just before
        columns[_PROGRAMME_ID] = [
            key if key is not None else item.programme.id  # type: ignore[union-attr]
            for key, item in zip(columns[_PROGRAMME_ID], pending, strict=True)
        ]
    awards, people, wheres = columns.pop(), columns.pop(), columns.pop()
    # None stands for an empty checklist on a pending row (no list per row).
    columns[_CHECKLIST] = [
        [] if items is None else items for items in columns[_CHECKLIST]
    ]
    columns[_SOURCE_REF] = [
        ref if ref is not None or where is None else str(where)[:300]
        for ref, where in zip(columns[_SOURCE_REF], wheres, strict=True)
    ]
    columns[_RESPONSIBLE_ID] = [
        key if person is None else person.id
        for key, person in zip(columns[_RESPONSIBLE_ID], people, strict=True)
    ]
    columns[_AWARD_ID] = [
        key if award is None else award.id
        for key, award in zip(columns[_AWARD_ID], awards, strict=True)
    ]
    return columns


def _log_created(
    session: Session, columns: list[Sequence[Any]], ids: list[int]
) -> None:
    """Log the new obligations: their values after (with the id), as the ORM would.

    Column by column: a date or kind repeats across thousands of rows and is made
    JSON-friendly once, and the log needs no dictionary per row.
    """
    after = [ids, *columns]
    for index in (1 + i for i in TYPED):
        after[index] = log_column(list(after[index]))
    record_created(session, TABLE.name, AFTER, after, list(map(str, ids)))


def _persistent(session: Session, row: tuple[Any, ...], new_id: int) -> Obligation:
    obligation = Obligation(**dict(zip(COLUMNS, row, strict=True)))
    obligation.id = new_id
    make_transient_to_detached(obligation)
    session.add(obligation)
    return obligation


def replace_kept(index: Iterable[list[Any]], kept: dict[int, Obligation]) -> None:
    """Swap inserted pending objects for their persistent ORM objects in an index."""
    if not kept:
        return
    for items in index:
        for position, item in enumerate(items):
            if id(item) in kept:
                items[position] = kept[id(item)]


class StoredObligation(PendingObligation):
    """A stored obligation as plain values: compared cheaply, written if changed."""

    __slots__ = ()


def load_stored(
    session: Session,
    programmes: dict[int, Programme],
    contacts: dict[int, Contact],
) -> list[StoredObligation]:
    """Every stored obligation as plain values (no ORM object per row).

    Values that repeat (programme, contact, batch, dates, origin, notes) are
    shared, one object per distinct value: 300 000 stored deadlines hold 200
    programme ids, not 300 000. ``source_ref`` is not loaded: only a touched row
    is written back, and that gets the new source cell (``_close_batch``).
    """
    awards = {a.id: a for p in programmes.values() for a in p.awards}
    stored = []
    # The checklist is read as text and parsed here: most are "[]".
    columns = [c for c in TABLE.columns if c.key != "source_ref"]
    query = sa.select(
        *(
            sa.type_coerce(c, sa.Text).label(c.key) if c.key == "checklist" else c
            for c in columns
        )
    )
    # (column, its shared values or None); with id.
    steps: list[tuple[str, dict[Any, Any] | None]] = [
        (c.key, {} if c.key in SHARED_COLUMNS else None) for c in columns
    ]
    for values in session.execute(query):
        item = StoredObligation.__new__(StoredObligation)
        for (name, shared), value in zip(steps, values, strict=True):
            setattr(
                item, name, value if shared is None else shared.setdefault(value, value)
            )
        item.checklist = _checklist(item.checklist)
        item.source_ref = None
        item.where = None
        item.claimed_in = 0
        item.programme = programmes.get(item.programme_id)
        item.responsible = contacts.get(item.responsible_id or 0)
        item.award = awards.get(item.award_id or 0)
        stored.append(item)
    return stored


SHARED_COLUMNS = {
    "programme_id",
    "award_id",
    "responsible_id",
    "import_batch_id",
    "due_on",
    "due_effective",
    "done_on",
    "origin",
    "notes",
    "template_id",
    "source",
}


def _checklist(raw: Any) -> Any:
    """A stored checklist; PostgreSQL's driver hands JSON over parsed already."""
    if not isinstance(raw, str):
        return raw or None
    # None stands for empty (as on a pending row): no list per stored row.
    return None if raw == "[]" else json.loads(raw)


def write_changed(session: Session, changed: list[StoredObligation]) -> None:
    """Copy changed plain obligations onto their ORM rows (the flush logs them)."""
    for start in range(0, len(changed), CHUNK):
        chunk = {item.id: item for item in changed[start : start + CHUNK]}
        query = sa.select(Obligation).where(Obligation.id.in_(list(chunk)))
        for obligation in session.scalars(query):
            item = chunk[obligation.id]
            for column in COLUMNS:
                if column in ("responsible_id", "award_id"):
                    continue
                value = getattr(item, column)
                if column == "checklist" and value is None:
                    value = []  # None: empty, see _checklist
                if getattr(obligation, column) != value:
                    setattr(obligation, column, value)
            if obligation.responsible is not item.responsible:
                obligation.responsible = item.responsible
            if obligation.award is not item.award:
                obligation.award = item.award
