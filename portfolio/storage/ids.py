"""Number new rows before a big flush on SQLite, so the ORM inserts them in batches.

SQLAlchemy's unit of work needs each new row's primary key back. On SQLite it cannot
match the keys of a multi-row ``INSERT … RETURNING`` to the rows sent, so it falls
back to one ``INSERT`` per row ("insertmanyvalues" downgrades to non-batched mode):
an overview of 100 000 awards made 250 000 statements. Rows that already carry their
key are sent with one ``executemany`` per table instead. Inside the import's write
transaction (``BEGIN IMMEDIATE``: no other writer) the next keys are simply
``max(id) + 1`` onwards. PostgreSQL batches with RETURNING already and keeps its
sequences: nothing is numbered there.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import Base

MIN_ROWS = 50  # fewer new rows: not worth a query per table


def number_new_rows(session: Session) -> int:
    """Give new rows with an integer ``id`` key their key now; return how many."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return 0
    by_table: dict[sa.FromClause, list[Base]] = defaultdict(list)
    for obj in session.new:
        if not isinstance(obj, Base) or getattr(obj, "id", 0) is not None:
            continue
        mapper = sa.inspect(obj).mapper
        key = mapper.primary_key
        if len(key) == 1 and key[0].name == "id" and key[0].type.python_type is int:
            by_table[mapper.local_table].append(obj)
    if sum(len(rows) for rows in by_table.values()) < MIN_ROWS:
        return 0
    numbered = 0
    with session.no_autoflush:  # the max() queries must not flush these rows
        for table, rows in by_table.items():
            top = session.execute(sa.select(sa.func.max(table.c["id"]))).scalar()
            top = top or 0
            for offset, obj in enumerate(rows, 1):
                obj.id = top + offset  # type: ignore[attr-defined]
            numbered += len(rows)
    return numbered
