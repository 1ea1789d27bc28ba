"""The bulk write path stores exactly what the ORM and SQLAlchemy store.

Big imports write new deadlines and their change-log rows through the database
driver (``portfolio.storage.bulk``), not through SQLAlchemy. On SQLite and
PostgreSQL these tests read bulk-written rows back next to rows the ORM wrote from
the same values, compare the stored text with what SQLAlchemy's own insert stores
(tricky JSON, zones, enums given as text), check the JSON writer against
``json.dumps``, and undo a bulk import with ``portfolio imports undo``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from imports.reading import read_file
from portfolio.domain.access import AuditEvent
from portfolio.domain.enums import (
    ChangeAction,
    FunderKind,
    ObligationKind,
    ObligationStatus,
)
from portfolio.domain.errors import Conflict
from portfolio.domain.models import (
    Award,
    Change,
    Contact,
    Funder,
    ImportBatch,
    Obligation,
    Programme,
)
from portfolio.services import import_bulk
from portfolio.services.import_apply import import_files
from portfolio.services.import_bulk import COLUMNS, PendingObligation, insert_pending
from portfolio.storage.bulk import BulkInsert, json_column, json_objects
from portfolio.storage.changes import CHANGES
from portfolio.storage.db import session_scope

DATA = Path(__file__).parent / "data" / "imports"
TEXT = 'Grüße „so“ – 100 % \\ "zitiert"\n\tund ✓ 🙂 %s'


def _world(session: Session) -> dict[str, Any]:
    funder = Funder(short_name="MSB", name="Ministerium", kind=FunderKind.LAND)
    programme = Programme(key="kaoa", name="Kein Abschluss ohne Anschluss")
    contact = Contact(email="albers@kreis-re.de", name="Frau Albers")
    award = Award(programme=programme, funder=funder, reference="Az. 1")
    batch = ImportBatch(file_name="fristen.xlsx", sha256="0" * 64)
    session.add_all([funder, programme, contact, award, batch])
    session.flush()
    return {"programme": programme, "contact": contact, "award": award, "batch": batch}


def _deadlines(world: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """Deadlines of every shape, as column values (path: unique rule keys)."""
    programme, contact, award = world["programme"], world["contact"], world["award"]
    batch = world["batch"].id
    common = {"programme_id": programme.id, "import_batch_id": batch}
    return [
        common
        | {
            "kind": ObligationKind.ZWISCHENNACHWEIS,
            "title": "Zwischennachweis 2017",
            "due_on": date(2017, 6, 30),
            "status": ObligationStatus.OPEN,
            "origin": "import",
            "checklist": [],
            "edited": False,
            "source_ref": "fristen.xlsx, Blatt 'Fristen', Zeile 5",
        },
        common
        | {
            "award_id": award.id,
            "kind": ObligationKind.VERWENDUNGSNACHWEIS,
            "title": TEXT,
            "due_on": date(2017, 12, 30),
            "due_effective": date(2018, 1, 2),
            "responsible_id": contact.id,
            "status": ObligationStatus.DONE,
            "done_on": date(2017, 12, 1),
            "origin": "rule:nrw-anbest-p",
            "template_id": "vn",
            "rule_key": f"vn-2017-{path}",
            "source": "ANBest-P Nr. 6.1",
            "checklist": ["Belege", TEXT, ""],
            "edited": True,
            "notes": TEXT,
        },
        common
        | {
            "kind": ObligationKind.EVENT,
            "title": "Tag 1",
            "due_on": date(1, 1, 1),
            "status": ObligationStatus.WAIVED,
            "done_on": date(9999, 12, 31),
            "origin": "manual",
            "checklist": ["x"],
            "edited": False,
            "notes": "",
        },
    ]


def _pending(values: dict[str, Any]) -> PendingObligation:
    item = PendingObligation(
        values["programme_id"], values["title"], values["due_on"], values["kind"]
    )
    for key, value in values.items():
        setattr(item, key, value)
    return item


def _stored_text(
    session: Session, table: sa.Table, ids: list[int], *skip: str
) -> list[Any]:
    """Every column but the key as the database holds it (and its SQLite type)."""
    columns = [c for c in table.columns if not c.primary_key and c.key not in skip]
    texts: list[Any] = [sa.cast(c, sa.Text) for c in columns]
    if session.get_bind().dialect.name == "sqlite":
        texts += [sa.func.typeof(c) for c in columns]
    (key,) = table.primary_key.columns
    query = sa.select(*texts).where(key.in_(ids)).order_by(key)
    return [tuple(row) for row in session.execute(query)]


def test_bulk_deadlines_read_back_as_the_orm_writes_them(engine: Engine) -> None:
    with session_scope(engine, "test") as session:
        world = _world(session)
        batch = world["batch"].id
    with session_scope(engine, "test", batch_id=batch) as session:
        by_orm = [Obligation(**values) for values in _deadlines(world, "orm")]
        session.add_all(by_orm)
    with session_scope(engine, "test", batch_id=batch) as session:
        pending = [_pending(values) for values in _deadlines(world, "bulk")]
        pending[0].checklist = None  # a pending row's way to say "empty"
        pending[1].responsible_id = None  # given as the contact, as the import does
        pending[1].responsible = session.get(Contact, world["contact"].id)
        insert_pending(session, pending, keep=False)
        bulk_ids = [item.id or 0 for item in pending]
    orm_ids = [o.id for o in by_orm]
    with session_scope(engine, read_only=True) as session:
        orm = [session.get(Obligation, i) for i in orm_ids]
        bulk = [session.get(Obligation, i) for i in bulk_ids]
        for one, other in zip(orm, bulk, strict=True):
            assert one is not None and other is not None
            mine = {c: getattr(one, c) for c in COLUMNS if c != "rule_key"}
            assert mine == {c: getattr(other, c) for c in COLUMNS if c != "rule_key"}
            assert type(other.due_on) is date and type(other.kind) is ObligationKind
            assert type(other.edited) is bool and type(other.checklist) is list
        table = import_bulk.TABLE
        assert _stored_text(session, table, orm_ids, "rule_key") == _stored_text(
            session, table, bulk_ids, "rule_key"
        )
        logged = []
        for obligation in (*orm, *bulk):
            assert obligation is not None
            change = session.scalars(
                sa.select(Change).where(
                    Change.entity == "obligations",
                    Change.entity_id == str(obligation.id),
                )
            ).one()
            logged.append(change.id)
            assert change.action is ChangeAction.CREATE
            assert change.before is None
            assert change.after == obligation.snapshot()
            assert (change.who, change.batch_id) == ("test", batch)
            assert change.at.tzinfo is UTC
            assert abs(datetime.now(UTC) - change.at).total_seconds() < 600
        # Stored alike, "before" as JSON's null too; "after" has the id last.
        changes = CHANGES.table
        text = _stored_text(session, changes, logged, "entity_id", "after", "at")
        assert text[: len(orm)] == text[len(orm) :]


def _tricky_changes() -> list[dict[str, Any]]:
    return [
        {
            "entity": "obligations",
            "entity_id": "1",
            "action": ChangeAction.CREATE,
            "before": None,
            "after": {"id": 1, "title": TEXT, "checklist": [], "edited": False},
        },
        {
            "entity": "programmes",
            "entity_id": "7/2",
            "action": "update",  # as text: stored as the same value
            "before": {"a": [1, True, 1.0, 0.5, -0.0, 1e100, None, "1"], "b": {}},
            "after": {"a": [True, 1, 1.0, 0.0, 12345678901234567890], "ü": {"x": [[]]}},
        },
        {
            "entity": "contacts",
            "entity_id": "",
            "action": ChangeAction.DELETE,
            "before": sa.JSON.NULL,  # JSON's null, like None
            "after": sa.null(),  # SQL NULL
        },
        {
            "entity": "awards",
            "entity_id": "3",
            "action": ChangeAction.UPDATE,
            "before": [],
            "after": "nur Text",
        },
    ]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2017, 3, 26, 1, 59, 59, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2017, 3, 26, 3, 0, 0, 1, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(1, 1, 2, tzinfo=UTC),
    ],
)
def test_bulk_change_rows_store_what_sqlalchemy_stores(
    session: Session, at: datetime
) -> None:
    session.info["batch_id"] = _world(session)["batch"].id
    fixed = ("bulk ✓", session.info["batch_id"], at)
    rows = _tricky_changes()
    before = set(session.scalars(sa.select(Change.id)))
    session.execute(
        sa.insert(Change),
        [row | dict(zip(CHANGES.fixed, fixed, strict=True)) for row in rows],
    )
    by_sqlalchemy = sorted(set(session.scalars(sa.select(Change.id))) - before)
    CHANGES.insert(session, [tuple(row.values()) for row in rows], fixed)
    by_bulk = sorted(set(session.scalars(sa.select(Change.id))) - before)
    by_bulk = by_bulk[len(by_sqlalchemy) :]
    table = CHANGES.table
    assert _stored_text(session, table, by_bulk) == _stored_text(
        session, table, by_sqlalchemy
    )
    change = session.get(Change, by_bulk[0])
    assert change is not None and change.at == at


def test_bulk_rows_of_repeated_values_store_what_sqlalchemy_stores(
    session: Session,
) -> None:
    # Values the same in every row are bound once per statement (numbered):
    # full statements of many rows, then one of the rest, each row as given.
    session.info["batch_id"] = _world(session)["batch"].id
    fixed = ("bulk", session.info["batch_id"], datetime(2024, 5, 6, tzinfo=UTC))
    entity, empty = "awards", {"a": [1, "ü"]}
    rows = [
        (entity, str(number), ChangeAction.CREATE, None, empty if number % 7 else {})
        for number in range(1100)
    ]
    before = set(session.scalars(sa.select(Change.id)))
    session.execute(
        sa.insert(Change),
        [
            dict(zip(CHANGES.columns + CHANGES.fixed, (*row, *fixed), strict=True))
            for row in rows
        ],
    )
    by_sqlalchemy = sorted(set(session.scalars(sa.select(Change.id))) - before)
    CHANGES.insert(session, rows, fixed)
    by_bulk = sorted(set(session.scalars(sa.select(Change.id))) - before)
    by_bulk = by_bulk[len(by_sqlalchemy) :]
    assert len(by_bulk) == len(rows)
    assert _stored_text(session, CHANGES.table, by_bulk) == _stored_text(
        session, CHANGES.table, by_sqlalchemy
    )


def test_bulk_deadlines_store_what_sqlalchemy_stores(session: Session) -> None:
    world = _world(session)
    columns = []
    for path in ("core", "bulk"):
        values = _deadlines(world, path)
        values[0] |= {"kind": "report", "status": "submitted"}  # enums as text
        columns.append([[v.get(c) for v in values] for c in COLUMNS])
    rows = [
        dict(zip(COLUMNS, row, strict=True)) for row in zip(*columns[0], strict=True)
    ]
    statement = sa.insert(Obligation).returning(Obligation.id)
    by_sqlalchemy = list(session.scalars(statement, rows))
    by_bulk = import_bulk.OBLIGATIONS.insert_columns_with_ids(session, columns[1])
    assert by_bulk == sorted(by_bulk) and not set(by_bulk) & set(by_sqlalchemy)
    assert _stored_text(session, import_bulk.TABLE, by_bulk, "rule_key") == (
        _stored_text(session, import_bulk.TABLE, by_sqlalchemy, "rule_key")
    )


def test_a_broken_rule_is_explained_as_for_any_insert(engine: Engine) -> None:
    with session_scope(engine, "test") as session:
        world = _world(session)
    values = _deadlines(world, "broken")
    values[0]["programme_id"] = 999_999  # no such programme
    columns = [[v.get(c) for v in values] for c in COLUMNS]
    with (
        pytest.raises(Conflict, match="Der Eintrag verweist auf etwas"),
        session_scope(engine, "test") as session,
    ):
        import_bulk.OBLIGATIONS.insert_columns_with_ids(session, columns)
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Obligation.id))) == 0


def test_a_column_with_a_default_must_be_given(session: Session) -> None:
    with pytest.raises(ValueError, match=r"changes\.at needs a value"):
        BulkInsert(CHANGES.table, CHANGES.columns, ("who", "batch_id"))
    with pytest.raises(ValueError, match="columns of different lengths"):
        CHANGES.insert_columns(session, [["a"], ["1", "2"], [], [], []])


# --- JSON as json.dumps writes it ----------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from([0, 1, 0.0, -0.0, 1.0, True, False, "", "%", "%s", "ä"])
    | st.sampled_from(list(ChangeAction))
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.lists(JSON_VALUES, max_size=12))
def test_json_column_writes_what_json_dumps_writes(values: list[Any]) -> None:
    assert json_column(values) == [json.dumps(value) for value in values]


@given(
    st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True).flatmap(
        lambda keys: st.tuples(
            st.just(keys),
            st.lists(st.tuples(*(JSON_VALUES for _ in keys)), max_size=8),
        )
    )
)
def test_json_objects_write_what_json_dumps_writes(
    keys_rows: tuple[list[str], list[tuple[Any, ...]]],
) -> None:
    keys, rows = keys_rows
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in keys]
    expected = [json.dumps(dict(zip(keys, row, strict=True))) for row in rows]
    assert json_objects(keys, columns) == expected


def test_json_writer_repeats_and_refusals() -> None:
    assert json_column([1, 1, True, True, 1.0]) == ["1", "1", "true", "true", "1.0"]
    assert json_column([0.0, -0.0, 0.0, -0.0]) == ["0.0", "-0.0", "0.0", "-0.0"]
    assert json_column([math.inf, None, None]) == ["Infinity", "null", "null"]
    assert json_column([ChangeAction.CREATE] * 3 + ["create"]) == ['"create"'] * 4
    with pytest.raises(TypeError, match="date is not JSON serializable"):
        json_column([date(2017, 1, 1)])
    with pytest.raises(ValueError, match="one column per distinct key"):
        json_objects(["a", "a"], [[1], [2]])
    with pytest.raises(ValueError, match="columns of different lengths"):
        json_objects(["a", "b"], [[None, None], [None]])


def test_json_objects_with_columns_alike_in_every_row() -> None:
    # A column that writes the same in every row is part of the template.
    keys = ["%s", "b", "c", "d"]
    columns = [["%d%%"] * 3, [None] * 3, [1, 2, 3], [ChangeAction.CREATE] * 3]
    rows = zip(*columns, strict=True)
    expected = [json.dumps(dict(zip(keys, row, strict=True))) for row in rows]
    assert json_objects(keys, columns) == expected
    assert (
        json_objects(["%", "x"], [["%"] * 2, [None] * 2])
        == [json.dumps({"%": "%", "x": None})] * 2
    )


# --- undo ----------------------------------------------------------------------


def _state(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every portfolio table.

    The change log, the import batches and the audit log are the record of what
    was done, so an undo adds to them instead of taking an entry away.
    """
    state = {}
    with engine.connect() as connection:
        for table in Obligation.metadata.sorted_tables:
            if table.name in ("changes", "import_batches", "audit_events"):
                continue
            query = sa.select(*(sa.cast(c, sa.Text) for c in table.columns))
            state[table.name] = sorted(map(tuple, connection.execute(query)), key=str)
    return state


def test_bulk_import_is_undone_by_the_cli(
    db_url: str,
    engine: Engine,
    cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session_scope(engine, "test") as session:
        import_files(session, [read_file(DATA / "uebersicht.xlsx")], apply=True)
    before = _state(engine)
    inserted: list[int] = []
    bulk_insert = import_bulk.OBLIGATIONS.insert_columns_with_ids

    def counting(*args: Any, **kwargs: Any) -> list[int]:
        ids = bulk_insert(*args, **kwargs)
        inserted.extend(ids)
        return ids

    monkeypatch.setattr(import_bulk.OBLIGATIONS, "insert_columns_with_ids", counting)
    with session_scope(engine, "test") as session:
        preview = import_files(session, [read_file(DATA / "fristen.xlsx")], apply=True)
    batch = preview.files[0].batch_id
    assert batch is not None and len(inserted) >= 5  # written by the bulk path
    assert _state(engine) != before
    with session_scope(engine, read_only=True) as session:
        logged = session.scalars(
            sa.select(Change.entity_id).where(Change.batch_id == batch)
        ).all()
    assert {str(i) for i in inserted} <= set(logged)
    undone = cli("imports", "undo", str(batch), db=db_url)
    assert undone.exit_code == 0, undone.output
    assert "rückgängig gemacht" in undone.output
    assert _state(engine) == before
    with engine.connect() as connection:
        actions = (
            connection.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id))
            .scalars()
            .all()
        )
    assert actions[-2:] == ["import_applied", "import_undone"]  # the undo is on record
