"""The money of an award in the model: plan, income, bookings, payments, Bescheide.

Round trip of every money field through ``portfolio/1`` on SQLite and PostgreSQL,
and the upgrade of a database of the previous schema with reminders in it (the
migration must not recreate tables that other tables cascade from).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from portfolio.demo import demo_path
from portfolio.domain.enums import ObligationKind
from portfolio.domain.errors import InputError
from portfolio.domain.models import Award, Expense, Obligation
from portfolio.services.export_json import export_json
from portfolio.services.restore_json import restore
from portfolio.storage.db import make_engine, session_scope
from portfolio.storage.schema import alembic_config, open_database

MONEY_AWARD: dict[str, Any] = {
    "financing_type": "anteil",
    "funding_rate": "0.8",
    "accounting_codes": ["KT-4711", "A-0815"],
    "account_categories": {"5011": "Personal", "5431": "Sachausgaben"},
    "versions": [
        {
            "issued_on": "2016-10-20",
            "reference": "Erstbescheid",
            "amount": "180000.00",
            "start": "2016-11-01",
            "end": "2018-04-30",
            "budget_lines": [
                {"category": "Personal", "year": 2017, "planned": "100000.00"}
            ],
            "income": [{"kind": "zuwendung", "year": 2017, "planned": "80000.00"}],
        },
        {
            "issued_on": "2017-06-01",
            "reference": "1. Änderungsbescheid",
            "amount": "200000.00",
            "start": "2016-11-01",
            "end": "2018-04-30",
            "budget_lines": [
                {"category": "Personal", "year": 2017, "planned": "110000.00"}
            ],
            "income": [],
            "note": "Aufstockung Sachausgaben",
        },
    ],
    "income": [
        {"kind": "zuwendung", "year": 2017, "planned": "88000.00"},
        {"kind": "eigenanteil", "year": 2017, "planned": "22000.00"},
    ],
    "budget_lines": [
        {"category": "Personal", "year": 2017, "planned": "100000.00"},
        {"category": "Sachausgaben", "year": 2017, "planned": "10000.00"},
    ],
    "expenses": [
        {
            "category": "Personal",
            "year": 2017,
            "spent_on": "2017-01-31",
            "amount": "4100.50",
            "reference": "B-1",
            "text": "Gehalt Januar",
            "account": "501100",
            "code": "KT-4711",
            "occurrence": 1,
        },
        {
            "category": "Personal",
            "year": 2017,
            "spent_on": "2017-01-31",
            "amount": "4100.50",
            "reference": "B-1",
            "text": "Gehalt Januar",
            "account": "501100",
            "code": "KT-4711",
            "occurrence": 2,
        },
        {
            "category": "Sachausgaben",
            "year": 2017,
            "spent_on": "2017-02-03",
            "amount": "-120.00",
            "reference": "S-7",
            "text": "Gutschrift Druckerei",
            "account": "543100",
            "code": "A-0815",
        },
    ],
    "disbursements": [
        {
            "requested_on": "2017-01-10",
            "amount": "20000.00",
            "received_on": "2017-01-20",
        },
        {
            "requested_on": "2017-05-02",
            "amount": "500.00",
            "received_on": "2017-05-10",
            "kind": "rueckzahlung",
            "note": "Zinsen",
        },
    ],
}


def money_document() -> dict[str, Any]:
    """The demo with the money of one award filled in."""
    document = json.loads(demo_path().read_text("utf-8"))
    zukunft = next(p for p in document["programmes"] if p["key"] == "zukunftsstadt")
    zukunft["awards"][0].update(json.loads(json.dumps(MONEY_AWARD)))
    return document


def test_money_round_trip_is_byte_identical(db_url: str, tmp_path: Path) -> None:
    first = open_database(db_url)
    with session_scope(first) as session:
        restore(session, json.dumps(money_document()))
    with session_scope(first, read_only=True) as session:
        exported = export_json(session)
        award = [
            a for a in session.scalars(sa.select(Award))
            if set(a.accounting_codes) == {"A-0815", "KT-4711"}
        ]  # fmt: skip
        expenses = session.scalars(
            sa.select(Expense).where(Expense.award_id == award[0].id)
        ).all()
    first.dispose()
    assert award
    assert sum(e.amount for e in expenses) == sum(
        Decimal(e["amount"]) for e in MONEY_AWARD["expenses"]
    )
    second = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    with session_scope(second) as session:
        restore(session, exported)
    with session_scope(second, read_only=True) as session:
        again = export_json(session)
    second.dispose()
    assert exported == again
    zukunft = next(
        p for p in json.loads(again)["programmes"] if p["key"] == "zukunftsstadt"
    )
    saved = zukunft["awards"][0]
    assert saved["financing_type"] == "anteil"
    assert saved["accounting_codes"] == ["A-0815", "KT-4711"]
    assert [v["reference"] for v in saved["versions"]] == [
        "Erstbescheid",
        "1. Änderungsbescheid",
    ]
    assert [e["occurrence"] for e in saved["expenses"]] == [1, 2, 1]
    assert saved["expenses"][2]["amount"] == "-120.00"
    assert saved["disbursements"][1]["kind"] == "rueckzahlung"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda a: a.update(financing_type="halb"), "financing_type"),
        (lambda a: a["income"][0].update(kind="spende"), "income[0].kind"),
        (lambda a: a["disbursements"][0].update(amount="-1.00"), "amount"),
        (lambda a: a["versions"][0].pop("issued_on"), "versions[0].issued_on"),
        (lambda a: a.update(account_categories={"5011": 3}), "account_categories"),
    ],
)
def test_bad_money_names_the_path(sqlite_url: str, mutate, path: str) -> None:
    document = money_document()
    zukunft = next(p for p in document["programmes"] if p["key"] == "zukunftsstadt")
    mutate(zukunft["awards"][0])
    engine = open_database(sqlite_url)
    with pytest.raises(InputError) as info, session_scope(engine) as session:
        restore(session, json.dumps(document))
    engine.dispose()
    assert path in info.value.message


def _count(connection: sa.Connection, table: str) -> int:
    return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar())


def test_upgrade_from_previous_head_keeps_reminders(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "7c1e5a9d3b20")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO funders (id, short_name, name, kind) "
            "VALUES (1, 'BMBF', 'BMBF', 'bund')"
        )
        connection.exec_driver_sql(
            "INSERT INTO programmes (id, key, name, status, tags) "
            "VALUES (1, 'p', 'P', 'running', '[]')"
        )
        connection.exec_driver_sql(
            "INSERT INTO awards (id, programme_id, funder_id, kind, overrides) "
            "VALUES (1, 1, 1, 'bescheid', '{}')"
        )
        connection.exec_driver_sql(
            "INSERT INTO obligations (id, programme_id, award_id, kind, title, due_on,"
            " status, origin, checklist, edited) VALUES (1, 1, 1,"
            " 'verwendungsnachweis', 'VN', '2018-10-31', 'open', 'manual', '[]', false)"
        )
        connection.exec_driver_sql(
            "INSERT INTO expenses (award_id, category, year, amount) "
            "VALUES (1, 'Personal', 2017, 10)"
        )
        connection.exec_driver_sql(
            "INSERT INTO reminders (obligation_id, recipient, cc, stage, due_on, "
            "planned_for, status, attempts, created_at) VALUES (1, 'a@example.org', "
            "'[]', 'd7', '2018-10-31', '2018-10-24 08:00', 'pending', 0, "
            "'2018-10-01 08:00')"
        )
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.begin() as connection:
        assert (
            connection.exec_driver_sql("SELECT count(*) FROM reminders").scalar() == 1
        )
        assert connection.exec_driver_sql("SELECT count(*) FROM expenses").scalar() == 1
        connection.exec_driver_sql(
            "INSERT INTO expenses (award_id, category, year, amount, occurrence) "
            "VALUES (1, 'Personal', 2017, -10, 1)"
        )
        connection.exec_driver_sql(
            "UPDATE awards SET financing_type = 'anteil', accounting_codes = '[\"K1\"]'"
        )
    from portfolio.storage.db import session_scope as scope

    with scope(engine) as session:
        award = session.get(Award, 1)
        assert award is not None
        assert award.accounting_codes == ["K1"]
        session.add(
            Obligation(
                id=2,  # rows above were written with ids; PostgreSQL's sequence is at 1
                programme_id=1,
                award_id=1,
                kind=ObligationKind.MITTELVERWENDUNG,
                title="Mittel verwenden",
                due_on=date(2017, 3, 1),
            )
        )
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.exec_driver_sql("UPDATE awards SET financing_type = 'halb'")
    # and back down: the earlier schema still works
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "7c1e5a9d3b20")
    with engine.begin() as connection:
        assert (
            connection.exec_driver_sql("SELECT count(*) FROM reminders").scalar() == 1
        )
    engine.dispose()
