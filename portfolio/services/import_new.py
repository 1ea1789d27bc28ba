"""New programmes of an overview, planned as plain rows and inserted in bulk.

An overview of 100 000 awards creates a programme per few rows with its fundings,
phases, awards or Anträge: a quarter of a million new rows. As ORM objects every
one carried an instance state, relationship events on each ``append`` and a place
in one huge unit of work (most of the time and 1.8 GB). The planner makes these
light objects instead when the import creates programmes (``NewProgramme`` and its
children, the same attribute names as the models, so the row handlers work on
either) and ``insert_new`` writes them after the ORM flush (new funders and
contacts have their keys by then), table by table, parents first, through
``portfolio.storage.bulk`` — the values the ORM would store, its column defaults
for what the row left empty, the same German ``validate`` checks, and a change-log
row per new row exactly as the flush listener writes it (the snapshot of every
column), stamped with the import batch so that ``portfolio imports undo`` takes
them back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import attrgetter, is_
from typing import Any, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import Base
from portfolio.domain.enums import ApplicationStatus, ProgrammeStatus
from portfolio.domain.models import (
    Application,
    Award,
    Contact,
    Funder,
    Funding,
    Phase,
    Programme,
    surely,
)
from portfolio.domain.periods import Period
from portfolio.storage.bulk import BulkInsert, Same, one_object
from portfolio.storage.changes import log_column, record_created

CHUNK = 5000  # rows per insert and change-log write


def _columns(model: type[Base]) -> tuple[str, ...]:
    return tuple(c.key for c in cast(sa.Table, model.__table__).columns)


class NewRow:
    """A row the import creates, before insert: the model's columns, plain.

    Every column and parent is ``None`` until set: a class attribute of each
    subclass (``__init_subclass__``), so a new row stores only what the planner
    gives it (an award of 24 columns typically gets four) and is made with one
    dictionary update instead of a ``setattr`` per column. ``where`` is the
    last source cell that touched it (its ``source_ref`` where the table has
    one, as the ORM path stamps touched rows).
    """

    model: ClassVar[type[Base]]
    # (attribute holding a new or stored parent, its key column)
    parents: ClassVar[tuple[tuple[str, str], ...]] = ()

    id: int | None
    where: object = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The model's columns and the parents, empty by default."""
        super().__init_subclass__(**kwargs)
        for name in (*_columns(cls.model), *(name for name, _ in cls.parents)):
            setattr(cls, name, None)

    def __init__(self, **values: Any) -> None:
        """The given values; every other column and parent reads ``None``."""
        self.__dict__.update(values)


class NewProgramme(NewRow):
    """A programme this import creates, with its new children."""

    model = Programme
    parents = (("lead", "lead_id"),)

    key: str
    name: str
    short_name: str | None
    status: ProgrammeStatus | None
    lead: Contact | None
    phases: list[NewPhase]
    fundings: list[NewFunding]
    applications: list[NewApplication]
    awards: list[NewAward]
    obligations: list[Any]

    def __init__(self, **values: Any) -> None:
        """Empty child lists, as a new ORM programme has."""
        super().__init__(**values)
        self.phases, self.fundings, self.applications = [], [], []
        self.awards, self.obligations = [], []

    @property
    def label(self) -> str:
        """As ``Programme.label``: the short name if there is one."""
        return self.short_name or self.name


class NewPhase(NewRow):
    """A phase of a new programme."""

    model = Phase
    parents = (("programme", "programme_id"),)

    name: str
    start: date
    end: date | None
    precision: Any

    @property
    def period(self) -> Period:
        """As ``Phase.period``."""
        return Period(self.start, self.end, self.precision)


class NewFunding(NewRow):
    """A funder's part in a new programme."""

    model = Funding
    parents = (("programme", "programme_id"), ("funder", "funder_id"))

    funder: Funder


class NewApplication(NewRow):
    """An Antrag of a new programme."""

    model = Application
    parents = (
        ("programme", "programme_id"),
        ("phase", "phase_id"),
        ("funder", "funder_id"),
    )

    reference: str | None
    status: ApplicationStatus | None
    funder: Funder | None
    phase: NewPhase | None


class NewAward(NewRow):
    """An award of a new programme."""

    model = Award
    parents = (
        ("programme", "programme_id"),
        ("phase", "phase_id"),
        ("funder", "funder_id"),
        ("application", "application_id"),
    )

    reference: str | None
    amount: Decimal | None
    start: date | None
    end: date | None
    regime: str | None
    funder: Funder
    phase: NewPhase | None


@dataclass(slots=True)
class NewRows:
    """What the import creates as plain rows, per table in the order created."""

    programmes: list[NewProgramme] = field(default_factory=list)
    phases: list[NewPhase] = field(default_factory=list)
    fundings: list[NewFunding] = field(default_factory=list)
    applications: list[NewApplication] = field(default_factory=list)
    awards: list[NewAward] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether there is anything to insert."""
        return bool(self.programmes)

    def tables(self) -> list[Sequence[NewRow]]:
        """Parents before children: a child's insert needs its parent's key."""
        return [
            self.programmes,
            self.phases,
            self.fundings,
            self.applications,
            self.awards,
        ]

    def release(self) -> None:
        """Unlink the new programmes from their children once planned (and written).

        A child names its programme and the programme lists its children: a
        reference cycle per programme, which only Python's cyclic collector would
        free – one pass over a quarter of a million objects after a big
        overview. Unlinked, they are freed as soon as the run lets go of them.
        """
        for programme in self.programmes:
            programme.phases, programme.fundings, programme.applications = [], [], []
            programme.awards, programme.obligations = [], []


@dataclass(frozen=True, slots=True)
class _Table:
    """How the rows of one model are inserted and logged."""

    table: sa.Table
    columns: tuple[str, ...]  # without the key
    logged: tuple[str, ...]  # the change log's keys, as ``Base.snapshot`` orders them
    defaults: dict[str, Callable[[], Any]]
    provenance: bool
    bulk: BulkInsert


def _table(model: type[Base]) -> _Table:
    table = cast(sa.Table, model.__table__)
    columns = tuple(c.key for c in table.columns if c.key != "id")
    if len(columns) < 2:  # attrgetter of one name gives no tuple
        raise ValueError(f"{table.name}: a plain new row needs several columns")
    defaults: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default = column.default
        if isinstance(default, sa.ColumnDefault) and default.is_callable:
            make = default.arg
            defaults[column.key] = lambda make=make: make(None)  # type: ignore[misc]
        elif isinstance(default, sa.ColumnDefault) and default.is_scalar:
            value = default.arg
            defaults[column.key] = lambda value=value: value  # type: ignore[misc]
    logged = tuple(c.key for c in table.columns if c.key not in model.__audit_exclude__)
    return _Table(
        table,
        columns,
        logged,
        defaults,
        "import_batch_id" in table.c,
        BulkInsert(table, columns),
    )


_TABLES: dict[type[Base], _Table] = {}


def insert_new(session: Session, rows: NewRows, batch_id: int) -> None:
    """Insert the new rows table by table, parents first, each logged as created."""
    for items in rows.tables():
        for start in range(0, len(items), CHUNK):
            _insert_chunk(session, items[start : start + CHUNK], batch_id)


def _insert_chunk(session: Session, items: Sequence[NewRow], batch_id: int) -> None:
    if not items:
        return
    model = type(items[0]).model
    spec = _TABLES.get(model)
    if spec is None:
        spec = _TABLES[model] = _table(model)
    values = _values(items, spec.columns)
    # The same German checks as the flush runs on an ORM object (before the
    # column defaults apply, as there): column by column where that says every
    # row passes, else row by row for the message of the first that fails.
    check = getattr(model, "surely_valid", None)
    if check is None or not surely(check, values):
        for item in items:
            model.validate(cast(Any, item))  # type: ignore[attr-defined]
    _complete(values, items, spec, batch_id)
    ids = spec.bulk.insert_columns_with_ids(
        session, [values[name] for name in spec.columns]
    )
    for item, new_id in zip(items, ids, strict=True):
        item.id = new_id
    _log(session, spec, {"id": ids, **values})


def _values(items: Sequence[NewRow], columns: tuple[str, ...]) -> dict[str, list[Any]]:
    """The rows' values column by column.

    A new row stores only what the planner gave it; a column no row of the
    chunk holds is the class's ``None`` in every row, without reading it from
    each.
    """
    kind = type(items[0])
    count = len(items)
    held: set[str] | None = None
    if all(map(is_, map(type, items), repeat(kind))):
        with suppress(TypeError):  # no ``__dict__``: read every column
            held = set().union(*map(vars, items))
    values: dict[str, list[Any]] = {}
    for name in columns:
        if held is not None and name not in held and getattr(kind, name, 0) is None:
            values[name] = Same([None] * count)
        else:
            values[name] = list(map(attrgetter(name), items))
    return values


def _complete(
    values: dict[str, list[Any]],
    items: Sequence[NewRow],
    spec: _Table,
    batch_id: int,
) -> None:
    """Keys of the parents, column defaults for what is empty, provenance.

    Column by column, as the insert takes them; the plain objects keep what
    the planner set (only their keys are read afterwards).
    """
    count = len(items)
    for attr, column in items[0].parents:
        with suppress(AttributeError):  # a row without this parent
            # Every row's key from its parent, in one look at each row.
            values[column] = list(map(attrgetter(f"{attr}.id"), items))
            continue
        parents = list(map(attrgetter(attr), items))
        if not all(map(is_, parents, repeat(None))):
            values[column] = [
                key if parent is None else parent.id
                for key, parent in zip(values[column], parents, strict=True)
            ]
    for name, make in spec.defaults.items():
        # One default value per chunk: the driver and the log get its text.
        default = make()
        given = values[name]
        if one_object(given) and given[0] is None:
            values[name] = Same([default] * count)
        else:
            values[name] = [default if value is None else value for value in given]
    if spec.provenance:
        values["import_batch_id"] = Same([batch_id] * count)
        wheres = list(map(_WHERE, items))
        if set(map(type, wheres)) == {str} and max(map(len, wheres)) <= _REF:
            values["source_ref"] = wheres  # str() and the cut give each itself
        else:
            values["source_ref"] = [
                None if where is None else str(where)[:_REF] for where in wheres
            ]


_WHERE = attrgetter("where")
_REF = 300  # the length of ``source_ref``


def _log(session: Session, spec: _Table, inserted: dict[str, list[Any]]) -> None:
    """Log each new row with its values after, as ``Base.snapshot`` gives them.

    ``inserted``: the values inserted (and the new keys), column by column. A
    date or status repeats across thousands of rows and is made JSON-friendly
    once.
    """
    columns = [log_column(inserted[name]) for name in spec.logged]
    entity_ids = list(map(str, inserted["id"]))
    record_created(session, spec.table.name, spec.logged, columns, entity_ids)
