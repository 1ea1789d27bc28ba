"""Mittelabrufe, the plan and the spending deadlines, through services and the API.

Each payment received yields a ``mittelverwendung`` deadline: six weeks under the
Bund ANBest-P, two months under ANBest-Gk; done once the grant-funded spending
used it up (first in, first out). The API writes plan and Mittelabrufe with the
same validation as the forms.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from money_support import strip_demo_money
from web_support import logged_in, make_settings, prepare_db

from portfolio.domain.enums import ObligationKind, ObligationStatus
from portfolio.domain.errors import InvalidValue
from portfolio.domain.models import Award, Expense, Obligation
from portfolio.services import edit_disbursements, edit_plan
from portfolio.services.money import award_money, propose_call
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app


def _award(session, reference: str = "DEMO-ZUKUNFTSSTADT-II") -> Award:
    return session.scalars(sa.select(Award).where(Award.reference == reference)).one()


def _spending(session, award: Award) -> list[Obligation]:
    return list(
        session.scalars(
            sa.select(Obligation)
            .where(
                Obligation.award_id == award.id,
                Obligation.kind == ObligationKind.MITTELVERWENDUNG,
            )
            .order_by(Obligation.due_on)
        )
    )


@pytest.fixture
def demo_db(db_url: str) -> str:
    prepare_db(db_url)
    strip_demo_money(db_url)  # the figures below are the only money
    return db_url


def test_payment_yields_spending_deadline_per_regime(demo_db: str) -> None:
    engine = open_database(demo_db)
    with session_scope(engine, "test") as session:
        award = _award(session)  # bund-anbest-gk: two months
        plan = edit_plan.PlanIn.parse(
            {
                "financing_type": "voll",
                "budget_lines": [
                    {"category": "Personal", "year": 2017, "planned": "60.000,00"},
                    {"category": "Sachausgaben", "year": 2017, "planned": "12.000"},
                ],
            }
        )
        edit_plan.save(session, award.id, plan)
        first = edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                {
                    "requested_on": "02.01.2017",
                    "amount": "10.000",
                    "received_on": "16.01.2017",
                }
            ),
        )
        deadlines = _spending(session, award)
        assert [(o.due_on, o.status) for o in deadlines] == [
            (date(2017, 3, 16), ObligationStatus.OPEN)
        ]
        assert "ANBest-Gk" in (deadlines[0].source or "")
        assert "2 Monate" in (deadlines[0].source or "")
        # Spending of 10.000 by 28.02.: the payment is used, the deadline done.
        session.add_all(
            [
                Expense(award_id=award.id, category="Personal", year=2017,
                        spent_on=date(2017, 1, 31), amount=Decimal("6000")),
                Expense(award_id=award.id, category="Personal", year=2017,
                        spent_on=date(2017, 2, 28), amount=Decimal("4000")),
            ]
        )  # fmt: skip
        session.flush()
        edit_disbursements.update(session, first.id, edit_disbursements.as_input(first))
        deadlines = _spending(session, award)
        assert deadlines[0].status is ObligationStatus.DONE
        assert deadlines[0].done_on == date(2017, 2, 28)
        # The Bescheid says six weeks: 16.01. + 6 weeks = 27.02.2017 (a Monday).
        plan.money_overrides = {"MITTELVERWENDUNG": "6 Wochen"}
        edit_plan.save(session, award.id, plan)
        assert _spending(session, award)[0].due_on == date(2017, 2, 27)
        deleted = edit_disbursements.delete(session, first.id)
        assert "10.000,00 €" in deleted.summary
        assert _spending(session, award) == []
    engine.dispose()


def test_ansbest_p_six_weeks_shifts_to_working_day(demo_db: str) -> None:
    engine = open_database(demo_db)
    with session_scope(engine, "test") as session:
        award = _award(session)
        award.regime = "bund-anbest-p"
        session.flush()
        edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                # 18.03.2017 + 6 weeks = Saturday 29.04.2017 -> Tuesday 02.05. (1 May)
                {"amount": "500", "received_on": "18.03.2017"}
            ),
        )
        (deadline,) = _spending(session, award)
        assert deadline.due_on == date(2017, 4, 29)
        assert deadline.due_effective == date(2017, 5, 2)
        assert deadline.status is ObligationStatus.OPEN
    engine.dispose()


def test_bad_input_is_german_per_field(demo_db: str) -> None:
    engine = open_database(demo_db)
    with session_scope(engine, "test") as session:
        award = _award(session)
        with pytest.raises(InvalidValue) as info:
            edit_disbursements.create(
                session,
                award.id,
                edit_disbursements.DisbursementIn.parse(
                    {"amount": "zehn", "received_on": "31.02.2017"}
                ),
            )
        assert "kein Betrag" in info.value.message
        assert "gibt es nicht" in info.value.message
        with pytest.raises(InvalidValue, match="Position darf je Jahr nur einmal"):
            edit_plan.save(
                session,
                award.id,
                edit_plan.PlanIn.parse(
                    {
                        "budget_lines": [
                            {"category": "Personal", "year": 2017, "planned": "1"},
                            {"category": "personal", "year": 2017, "planned": "2"},
                        ]
                    }
                ),
            )
        with pytest.raises(InvalidValue, match="UEBERSCHREITUNG"):
            edit_plan.save(
                session,
                award.id,
                edit_plan.PlanIn.parse(
                    {"money_overrides": {"UEBERSCHREITUNGEN": "30"}}
                ),
            )
    engine.dispose()


def test_proposal_from_plan_spending_and_balance(demo_db: str) -> None:
    engine = open_database(demo_db)
    with session_scope(engine, "test") as session:
        award = _award(session)
        award.amount = Decimal("200000")
        edit_plan.save(
            session,
            award.id,
            edit_plan.PlanIn.parse(
                {
                    "budget_lines": [
                        {"category": "Personal", "year": 2017, "planned": "73.000"}
                    ]
                }
            ),
        )
        money = award_money(session, award)
        # From 01.07.2017: 184 days left, 42 of them in six weeks; nothing spent.
        proposal = propose_call(award, money, date(2017, 7, 1), None)
        assert proposal.amount == (Decimal(73000) * 42 / 184).quantize(Decimal("0.01"))
        assert "Bestand 0,00 €" in proposal.reason
    engine.dispose()


def test_api_reads_money_and_writes_plan_and_payment(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    prepare_db(url)
    strip_demo_money(url)
    http_login, csrf = logged_in(url, "editor")
    shown = http_login.post("/konto/api-schluessel", data={"csrf_token": csrf})
    token = shown.text.split('id="api-token">')[1].split("<")[0]
    http = TestClient(create_app(make_settings(url)))
    headers = {"Authorization": f"Bearer {token}"}
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        award_id = _award(session).id
    engine.dispose()
    plan = http.put(
        f"/api/awards/{award_id}/plan",
        headers=headers,
        json={
            "financing_type": "anteil",
            "accounting_codes": ["KT-ZUK"],
            "budget_lines": [{"category": "Personal", "year": 2017, "planned": "1000"}],
            "income": [{"kind": "zuwendung", "year": 2017, "planned": "800"}],
        },
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["planned_total"] == "1000.00"
    created = http.post(
        f"/api/awards/{award_id}/disbursements",
        headers=headers,
        json={"amount": "400,00", "requested_on": "2017-03-01"},
    )
    assert created.status_code == 201, created.text
    bad = http.post(
        f"/api/awards/{award_id}/disbursements", headers=headers, json={"amount": "x"}
    )
    assert bad.status_code == 422
    assert "kein Betrag" in bad.json()["detail"]
    money = http.get(f"/api/awards/{award_id}/money", headers=headers).json()
    assert money["requested_open"] == "400.00"
    assert money["financing_type"] == "anteil"
    assert money["income"] == [{"kind": "zuwendung", "year": 2017, "planned": "800.00"}]
    item = money["payments"][0]["id"]
    received = http.put(
        f"/api/disbursements/{item}",
        headers=headers,
        json={
            "amount": "400",
            "requested_on": "2017-03-01",
            "received_on": "2017-03-08",
        },
    )
    assert received.status_code == 200
    after = http.get(f"/api/awards/{award_id}/money", headers=headers).json()
    assert after["received"] == "400.00" and after["balance"] == "400.00"
    viewer = http.delete(f"/api/disbursements/{item}")
    assert viewer.status_code == 401
    gone = http.delete(f"/api/disbursements/{item}", headers=headers)
    assert gone.status_code == 200 and "gelöscht" in gone.json()["summary"]
