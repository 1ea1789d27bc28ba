"""Many rows of one table written at once, straight through the database driver.

SQLAlchemy's executemany handles every parameter of every row in Python (a
dictionary per row, compiled-parameter bookkeeping, one bind processor call per
value); for the 100 000 deadlines of a big import and their change-log rows that
was most of the write time, and on PostgreSQL psycopg parses each of its
multi-row statements anew. ``BulkInsert`` converts the values column by column
into exactly what SQLAlchemy would hand to the driver – with the column type's
own bind processor (on SQLite dates as ``YYYY-MM-DD``, timestamps as naive UTC
with microseconds, enums as their value, booleans as 0/1), a repeated date or
enum only once – and hands plain tuples to the driver: ``executemany`` on
SQLite (many rows per statement: sqlite3 spends about as long on a statement as
on its row; a value the same in every row bound once per statement), ``COPY`` on
PostgreSQL (psycopg). JSON is written by
``json``'s own C encoder set up as ``json.dumps`` sets it up, but once per column
instead of once per value (``json.dumps`` spends most of its time on that set-up
for small values); ``json_objects`` writes many objects of the same keys at once.
Both apply only while the engine leaves SQLAlchemy's JSON serializer at its
default, ``json.dumps`` (psycopg's default too). Other drivers get SQLAlchemy's
insert.
"""

from __future__ import annotations

import enum
import json.encoder
from collections.abc import Callable, Sequence
from datetime import date
from itertools import repeat
from operator import is_
from types import NoneType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Row = Sequence[Any]
# Values one SQLite statement may bind in any version (SQLITE_MAX_VARIABLE_NUMBER
# before 3.32).
SQLITE_VALUES = 999
Convert = Callable[[Sequence[Any]], Sequence[Any]]


class BulkInsert:
    """Insert rows of ``columns`` plus per-call fixed values into one table.

    Rows come as tuples in ``columns`` order or column by column (one sequence
    per column, all of the same length). ``fixed`` columns take the same value in
    every row of one call (who, when): converted once, not once per row.
    ``encoded`` columns come as the driver takes them already (JSON text from
    ``json_objects``); such an insert needs ``direct``.
    """

    def __init__(
        self,
        table: sa.Table,
        columns: Sequence[str],
        fixed: Sequence[str] = (),
        encoded: Sequence[str] = (),
    ) -> None:
        """Name the table and the columns each row gives, in order."""
        self.table = table
        self.columns = tuple(columns)
        self.fixed = tuple(fixed)
        self.encoded = frozenset(encoded)
        given = {*self.columns, *self.fixed, self._key().key}
        for column in table.columns:
            # SQLAlchemy would fill in a Python-side default; the driver would not.
            if column.key not in given and column.default is not None:
                raise ValueError(f"{table.name}.{column.key} needs a value")
        self._plans: dict[bool, _Plan] = {}

    def insert(self, session: Session, rows: Sequence[Row], fixed: Row = ()) -> None:
        """Insert rows given as tuples (nothing for none)."""
        if rows:
            self.insert_columns(session, list(zip(*rows, strict=True)), fixed)

    def insert_columns(
        self, session: Session, columns: Sequence[Sequence[Any]], fixed: Row = ()
    ) -> None:
        """Insert rows given column by column."""
        count = self._count(columns)
        if not count:
            return
        connection = session.connection()
        if not direct(connection.dialect):
            session.execute(sa.insert(self.table), self._dicts(columns, fixed))
            return
        plan = self._plan(connection.dialect, with_id=False)
        plan.write(connection, plan.values(columns, count, fixed), count)

    def insert_columns_with_ids(
        self, session: Session, columns: Sequence[Sequence[Any]], fixed: Row = ()
    ) -> list[int]:
        """Insert rows given column by column, returning their new ids in order.

        The ids are given explicitly. SQLite cannot return the ids of a multi-row
        insert in order; the write transaction holds the database lock (``BEGIN
        IMMEDIATE``), so nobody else can take the ones after the highest.
        PostgreSQL's COPY returns nothing; the ids come from the key's sequence,
        as they would on an insert.
        """
        count = self._count(columns)
        if not count:
            return []
        connection = session.connection()
        dialect = connection.dialect
        key = self._key()
        if not direct(dialect):
            statement = sa.insert(self.table).returning(
                key, sort_by_parameter_order=True
            )
            result = session.execute(statement, self._dicts(columns, fixed))
            return [int(new_id) for new_id in result.scalars()]
        if dialect.name == "sqlite":
            top = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(key), 0)))
            first = int(top or 0) + 1
            ids = list(range(first, first + count))
        else:
            table = dialect.identifier_preparer.format_table(self.table)
            sequence = sa.func.pg_get_serial_sequence(table, key.name)
            numbers = sa.select(sa.func.nextval(sequence)).select_from(
                sa.func.generate_series(1, count)
            )
            ids = sorted(int(number) for number in connection.scalars(numbers))
        plan = self._plan(dialect, with_id=True)
        plan.write(connection, plan.values(columns, count, fixed, ids), count)
        return ids

    def _key(self) -> sa.Column[Any]:
        (key,) = self.table.primary_key.columns
        return key

    def _count(self, columns: Sequence[Sequence[Any]]) -> int:
        if len(columns) != len(self.columns):
            raise ValueError(f"{len(self.columns)} columns expected")
        counts = {len(values) for values in columns}
        if len(counts) > 1:
            raise ValueError("columns of different lengths")
        return counts.pop() if counts else 0

    def _dicts(
        self, columns: Sequence[Sequence[Any]], fixed: Row
    ) -> list[dict[str, Any]]:
        if self.encoded:
            raise ValueError("encoded columns go to the driver directly")
        names = self.columns + self.fixed
        return [
            dict(zip(names, (*values, *fixed), strict=True))
            for values in zip(*columns, strict=True)
        ]

    def _plan(self, dialect: Dialect, *, with_id: bool) -> _Plan:
        # One dialect per process in practice; the plan is rebuilt if not.
        plan = self._plans.get(with_id)
        if plan is None or plan.dialect is not dialect:
            key = (self._key().key,) if with_id else ()
            plan = _Plan(self, key, dialect)
            self._plans[with_id] = plan
        return plan


class _Plan:
    """The SQL and the value conversions of one ``BulkInsert`` on one dialect."""

    def __init__(
        self, bulk: BulkInsert, key: tuple[str, ...], dialect: Dialect
    ) -> None:
        self.dialect = dialect
        table = bulk.table
        names = (*key, *bulk.columns, *bulk.fixed)
        # Names from the table's metadata, quoted by the dialect; no user text.
        quote = dialect.identifier_preparer.quote
        target = dialect.identifier_preparer.format_table(table)
        columns = ", ".join(quote(table.c[name].name) for name in names)
        if dialect.name == "sqlite":
            marks = ", ".join("?" for _ in names)  # the sqlite3 driver's paramstyle
            self.sql = f"INSERT INTO {target} ({columns}) VALUES ({marks})"  # noqa: S608
            self.head = f"INSERT INTO {target} ({columns}) VALUES "  # noqa: S608
            # Per set of columns holding one object in every row: the
            # statement of as many rows as fit (see ``_many``).
            self.many: dict[tuple[tuple[int, ...], int], str] = {}
        else:
            self.sql = f"COPY {target} ({columns}) FROM STDIN"
        self.converters = [
            None if name in bulk.encoded else _converter(table.c[name], dialect)
            for name in bulk.columns
        ]
        self.fixed = [_processor(table.c[name], dialect) for name in bulk.fixed]

    def write(
        self, connection: sa.Connection, columns: list[Sequence[Any]], count: int
    ) -> None:
        """Hand the rows to the driver: executemany on SQLite, COPY on PostgreSQL.

        ``columns``: converted, as from ``values``.
        """
        if self.dialect.name == "sqlite":
            self._many(connection, columns, count)
            return
        dbapi = self.dialect.loaded_dbapi
        try:
            with (
                connection.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(self.sql) as copy,
            ):
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
        except dbapi.Error as exc:
            # As SQLAlchemy raises it: an IntegrityError is explained in German.
            raise sa.exc.DBAPIError.instance(
                self.sql, None, exc, dbapi.Error, dialect=self.dialect
            ) from exc

    def _many(
        self, connection: sa.Connection, columns: list[Sequence[Any]], count: int
    ) -> None:
        """As ``write`` on SQLite: many rows per statement, a repeated value once.

        sqlite3 steps and resets a statement per parameter set, which costs
        about as much as the row itself: each statement takes as many rows as
        the oldest SQLite's limit of bound values allows, as one flat tuple
        built straight from the columns (every column laid into its places of
        one flat list, a C loop each, then cut into tuples). A new award leaves
        most columns empty, and every change-log row has the same table,
        action, user, batch and time: such a value is named by its number
        (``?1``, …) in every row of the statement and bound once, the rest row
        by row after them – fewer values to bind, more rows per statement.
        """
        same = tuple(i for i, column in enumerate(columns) if one_object(column))
        if len(same) == len(columns):
            same = ()  # nothing varies: no row to number (not seen in practice)
        vary = [i for i in range(len(columns)) if i not in same]
        width = len(vary)
        per = max(1, (SQLITE_VALUES - len(same)) // width)
        once = tuple(columns[index][0] for index in same)
        # The rows that fill whole statements, then one statement of the rest.
        whole = count - count % per
        for start, stop in ((0, whole), (whole, count)):
            if start == stop:
                continue
            flat: list[Any] = [None] * ((stop - start) * width)
            for slot, index in enumerate(vary):
                column = columns[index]
                part = column if stop - start == count else column[start:stop]
                flat[slot::width] = part
            rows = min(per, stop - start)
            groups = zip(*[iter(flat)] * (rows * width), strict=False)
            sql = self._sql(same, vary, len(columns), rows)
            connection.exec_driver_sql(sql, [once + group for group in groups])
            del flat

    def _sql(
        self, same: tuple[int, ...], vary: list[int], width: int, rows: int
    ) -> str:
        """The INSERT of ``rows`` rows, the values in ``same`` numbered first."""
        key = (same, rows)
        sql = self.many.get(key)
        if sql is None:  # kept for full statements only, built anew for a rest
            # Where each column's value sits among a statement's parameters.
            place = dict(zip(same, range(1, len(same) + 1), strict=True))
            parts = []
            for row in range(rows):
                first = len(same) + 1 + row * len(vary)
                place.update(zip(vary, range(first, first + len(vary)), strict=True))
                marks = ", ".join(f"?{place[i]}" for i in range(width))
                parts.append(f"({marks})")
            sql = self.head + ", ".join(parts)
            if rows == max(1, (SQLITE_VALUES - len(same)) // len(vary)):
                self.many[key] = sql
        return sql

    def values(
        self,
        columns: Sequence[Sequence[Any]],
        count: int,
        fixed: Row,
        ids: list[int] | None = None,
    ) -> list[Sequence[Any]]:
        """The columns as the driver takes their values, the ids first if given."""
        values: list[Sequence[Any]] = [] if ids is None else [ids]
        for convert, column in zip(self.converters, columns, strict=True):
            if convert is None:
                values.append(column)
            elif one_object(column):
                # One object in every row (an empty column, a default): converted
                # once, as the converter converts it.
                values.append(Same(list(convert(column[:1])) * count))
            else:
                values.append(convert(column))
        for processor, value in zip(self.fixed, fixed, strict=True):
            values.append(Same([processor(value)] * count))
        return values


class Same(list[Any]):
    """A column known to hold one object in every row (``Same([value] * count)``).

    Made where that is known (an empty column, a default, the batch): the
    checks for it cost nothing then, instead of a look at every row.
    """


def one_object(values: Sequence[Any]) -> bool:
    """Whether every row (of several) holds the very same object."""
    if isinstance(values, Same):
        return len(values) > 1
    # The last row first (most columns differ there), then ``count``: a C loop
    # that takes an identical row at once, ten times as fast as a look at each
    # identity, which only a column of equal values gets.
    return (
        len(values) > 1
        and values[-1] is values[0]
        and values.count(values[0]) == len(values)
        and all(map(is_, values, repeat(values[0])))
    )


def direct(dialect: Dialect) -> bool:
    """Whether rows go to the driver directly (SQLite; PostgreSQL with psycopg)."""
    return dialect.name == "sqlite" or (
        dialect.name == "postgresql" and dialect.driver == "psycopg"
    )


def _processor(column: sa.Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy calls on a value of the column before handing it over."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else _same


def _same(value: Any) -> Any:
    return value


def _converter(column: sa.Column[Any], dialect: Dialect) -> Convert | None:
    """How a column's values become what SQLAlchemy would hand to the driver."""
    impl = column.type.dialect_impl(dialect)
    processor = impl.bind_processor(dialect)
    if processor is None:
        return None
    kind = column.type
    if isinstance(kind, sa.JSON) and not kind.none_as_null and default_json(dialect):

        def encode(values: Sequence[Any]) -> Sequence[Any]:
            # JSON.NULL (an int to json) and null() are SQLAlchemy's to handle.
            if sa.JSON.NULL not in values:
                try:
                    return json_column(values)
                except _SqlNull:
                    pass
            return list(map(processor, values))

        return encode
    if not isinstance(kind, sa.Date | sa.Enum | sa.Boolean):
        return lambda values: list(map(processor, values))

    # These repeat, and their equal values convert alike (a date never equals
    # a datetime; an enum member equals its value and both store the value;
    # True, 1 and 1.0 all store 1). Not so timestamps: 12:00 UTC equals 14:00
    # in Berlin, but a plain DateTime writes the clock time as given.
    def once_each(values: Sequence[Any]) -> Sequence[Any]:
        converted = {value: processor(value) for value in set(values)}
        return list(map(converted.__getitem__, values))

    if isinstance(impl, SQLITE_DATE) and impl._storage_format == _ISO_DATE:
        # A date on SQLite is its year, month and day as ``%04d-%02d-%02d``:
        # what ``date.isoformat`` writes, in C (a deadline list's dates are
        # mostly distinct, and the processor builds a dictionary per date).
        def dates(values: Sequence[Any]) -> Sequence[Any]:
            distinct = set(values)
            if set(map(type, distinct)) != {date}:
                return once_each(values)
            if len(distinct) * 2 > len(values):  # mostly distinct: each its own
                return list(map(date.isoformat, values))
            text = dict(zip(distinct, map(date.isoformat, distinct), strict=True))
            return list(map(text.__getitem__, values))

        return dates
    return once_each


# SQLite's default storage format of a date (``sqlalchemy.dialects.sqlite.DATE``).
_ISO_DATE = "%(year)04d-%(month)02d-%(day)02d"


# --- JSON as json.dumps writes it ----------------------------------------------


def default_json(dialect: Dialect) -> bool:
    """Whether SQLAlchemy writes JSON with ``json.dumps`` here (no own serializer).

    ``_json_serializer`` is how SQLAlchemy's dialects keep the engine's
    ``json_serializer`` argument; its JSON type falls back to ``json.dumps``.
    """
    return (
        getattr(dialect, "_json_serializer", None) is None and _MAKE_ENCODER is not None
    )


class _SqlNull(TypeError):
    """SQLAlchemy's ``null()``: SQL NULL in a JSON column (not JSON to json)."""


_DEFAULT = json.JSONEncoder().default  # the TypeError of json.dumps
# What json.dumps uses; None where Python was built without it (then SQLAlchemy's
# own processor writes the JSON).
_MAKE_ENCODER: Callable[..., Any] | None = getattr(json.encoder, "c_make_encoder", None)


def _unknown(value: Any) -> Any:
    if isinstance(value, sa.Null):
        raise _SqlNull(value)
    return _DEFAULT(value)


def _encoder() -> Callable[[Any, int], Sequence[str]]:
    """``json``'s C encoder with the settings ``json.dumps`` uses by default.

    Fresh per column: its circular-reference markers must start empty.
    """
    assert _MAKE_ENCODER is not None  # default_json checked it
    return _MAKE_ENCODER(  # type: ignore[no-any-return]
        {},  # check_circular=True
        _unknown,
        json.encoder.encode_basestring_ascii,  # ensure_ascii=True
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )


def json_column(values: Sequence[Any]) -> list[str]:
    """``json.dumps(value)`` for each value (``default_json`` must hold)."""
    texts = _json_texts(values)
    return [texts] * len(values) if isinstance(texts, str) else texts


def _json_texts(values: Sequence[Any]) -> str | list[str]:
    """As ``json_column``; one text if every value writes it (an empty column)."""
    if one_object(values):
        # One object in every row (a column default made once per chunk, an
        # empty column): written once, whatever it is.
        return "".join(_encoder()(values[0], 0))
    kinds = set(map(type, values))
    if len(kinds) == 1 and len(values) > 1:
        (kind,) = kinds
        # An empty list or dict equals only an empty one (of its type here).
        alike = kind is NoneType or _same_text(kind)
        alike = alike or (kind in (list, dict) and not values[0])
        if alike and values.count(values[0]) == len(values):
            return "".join(_encoder()(values[0], 0))
        # What the encoder calls for a text or a number, without its set-up per
        # value: the keys and references of new rows, each its own.
        if kind is str:
            return list(map(json.encoder.encode_basestring_ascii, values))
        if kind is int:
            return list(map(int.__repr__, values))
    encode = _encoder()
    kinds.discard(NoneType)
    if len(kinds) <= 1 and all(map(_same_text, kinds)):
        distinct = set(values)
        if len(distinct) * 2 < len(values):  # mostly repeats: each value once
            text = {value: "".join(encode(value, 0)) for value in distinct}
            return list(map(text.__getitem__, values))
    return list(map("".join, map(encode, values, repeat(0))))


def _same_text(kind: type) -> bool:
    """Whether equal values of this one type are written alike.

    Not so across types (1 and True, "a" and an enum of another JSON value) or
    for floats (0.0 equals -0.0).
    """
    return kind in (str, int, bool) or (
        issubclass(kind, enum.Enum) and issubclass(kind, str | int)
    )


class JsonTexts(list[str]):
    """A column for ``json_objects`` given as its values' JSON texts already.

    The caller wrote them as ``json.dumps`` would (a date's text once for all
    its rows, say); ``json_objects`` puts them in as they are.
    """


class Quoted(list[Any]):
    """A column for ``json_objects`` whose JSON texts are their ``str`` quoted.

    Decimals and plain dates as ``to_jsonable`` writes them (a Decimal's
    ``str``: digits, a sign, a point, an exponent or a word like ``Infinity``;
    a date's ISO form) – nothing JSON escapes – so the objects go into the text
    as they are, without a text per value first.
    """


def _raw_slot(values: Sequence[Any]) -> str | None:
    """How ``%`` writes these values as ``json.dumps`` does, where it can.

    Plain ints are their ``str``; plain strings of printable ASCII other than a
    quote or a backslash are themselves in quotes (``encode_basestring_ascii``
    escapes nothing else). None: the values need their texts made.
    """
    kinds = set(map(type, values))
    if kinds == {int}:
        return "%s"
    if kinds == {str}:
        text = "".join(values)
        if (
            text.isascii()
            and text.isprintable()
            and '"' not in text
            and "\\" not in text
        ):
            return '"%s"'
    return None


def json_objects(keys: Sequence[str], columns: Sequence[Sequence[Any]]) -> list[str]:
    """``json.dumps(dict(zip(keys, row)))`` for each row of the columns.

    Rows of the same keys (the change log of new rows) are written from one
    template, each column's values encoded at once (``default_json`` must hold);
    a ``JsonTexts`` column is encoded already.
    """
    if len(set(keys)) != len(keys) or len(keys) != len(columns) or not keys:
        raise ValueError("one column per distinct key")
    counts = {len(values) for values in columns}
    if len(counts) > 1:
        raise ValueError("columns of different lengths")
    encode = json.encoder.encode_basestring_ascii
    items: list[str] = []
    encoded: list[Sequence[Any]] = []
    for key, values in zip(keys, columns, strict=True):
        name = encode(key).replace("%", "%%")
        texts: str | Sequence[Any]
        one = one_object(values)
        slot = "%s"
        if isinstance(values, JsonTexts):
            texts = values[0] if one else values
        elif isinstance(values, Quoted):
            texts = f'"{values[0]}"' if one else values
            slot = '"%s"'
        else:
            raw = None if one else _raw_slot(values)
            texts = _json_texts(values) if raw is None else values
            slot = raw or slot
        if isinstance(texts, str):
            # The same in every row (most columns of new rows are empty): part
            # of the template, not a value to fill in per row.
            items.append(f"{name}: {texts.replace('%', '%%')}")
        else:
            # Texts, or values that ``%`` writes as JSON does (see _raw_slot).
            items.append(f"{name}: {slot}")
            encoded.append(texts)
    template = "{" + ", ".join(items) + "}"
    if not encoded:
        return [template % ()] * counts.pop()
    return list(map(template.__mod__, zip(*encoded, strict=True)))
