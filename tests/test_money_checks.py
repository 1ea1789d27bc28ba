"""``portfolio check``: the money checks at their boundary dates, per Finanzierungsart.

One award (Zukunftsstadt, ANBest-Gk: two months to spend a payment) with a plan of
11.000 € in 2017 (Personal 10.000, Sachausgaben 1.000), 80 % Anteilfinanzierung,
one payment of 5.000 € received 16.01.2017 and bookings written by the services.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from money_support import strip_demo_money
from web_support import prepare_db

from portfolio.domain.enums import FinancingType
from portfolio.domain.models import Award, Expense
from portfolio.services import edit_disbursements, edit_plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


@pytest.fixture
def checked_db(db_url: str) -> str:
    prepare_db(db_url)
    strip_demo_money(db_url)  # the figures below are the only money
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        award.funding_rate = Decimal("0.8")
        edit_plan.save(
            session,
            award.id,
            edit_plan.PlanIn.parse(
                {
                    "financing_type": "anteil",
                    "budget_lines": [
                        {"category": "Personal", "year": 2017, "planned": "10000"},
                        {"category": "Sachausgaben", "year": 2017, "planned": "1000"},
                    ],
                    "income": [{"kind": "zuwendung", "year": 2017, "planned": "8800"}],
                }
            ),
        )
        edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                {
                    "requested_on": "10.01.2017",
                    "amount": "5000",
                    "received_on": "16.01.2017",
                }
            ),
        )
        for day, category, amount in [
            (date(2017, 1, 31), "Personal", "2000"),
            (date(2017, 2, 10), "Sachausgaben", "1200"),  # exactly +20 %: allowed
            (date(2017, 2, 11), "Sachausgaben", "0.01"),  # one cent more: over
        ]:
            session.add(
                Expense(
                    award_id=award.id, category=category, year=2017, spent_on=day,
                    amount=Decimal(amount), reference=f"B-{day.isoformat()}",
                )
            )  # fmt: skip
    engine.dispose()
    return db_url


def _rules(cli, db: str, day: str) -> dict[str, list[str]]:
    result = cli("check", "--now", day, "--format", "json", db=db)
    document = json.loads(result.output)
    found: dict[str, list[str]] = {}
    for warning in document["warnings"]:
        found.setdefault(warning["rule"], []).append(warning["message"])
    assert result.exit_code == (1 if found else 0)
    return found


def test_boundaries_of_every_check(cli, checked_db: str) -> None:
    assert _rules(cli, checked_db, "10.02.2017") == {}
    over = _rules(cli, checked_db, "11.02.2017")
    assert set(over) == {"UEBERSCHREITUNG"}
    assert "„Sachausgaben“: 1.200,01 € statt 1.000,00 €" in over["UEBERSCHREITUNG"][0]
    assert "durch Einsparungen ausgeglichen" in over["UEBERSCHREITUNG"][0]
    # Two months after 16.01.2017: 16.03. is the last day to spend.
    assert "NICHT_VERWENDET" not in _rules(cli, checked_db, "16.03.2017")
    unspent = _rules(cli, checked_db, "17.03.2017")["NICHT_VERWENDET"][0]
    # 5.000 received, (2.000 + 1.200,01) × 80 % = 2.560,01 spent from the grant.
    assert "2.439,99 € nicht innerhalb von 2 Monaten" in unspent
    assert "MITTELVERFALL" not in _rules(cli, checked_db, "30.09.2017")
    verfall = _rules(cli, checked_db, "01.10.2017")["MITTELVERFALL"][0]
    assert "8.800,00 € Zuwendung geplant, 5.000,00 € abgerufen" in verfall
    # End of the Bewilligungszeitraum 30.04.2018: the reduction shows the day after.
    assert "ANTEIL_ERMAESSIGUNG" not in _rules(cli, checked_db, "30.04.2018")
    pro_rata = _rules(cli, checked_db, "01.05.2018")["ANTEIL_ERMAESSIGUNG"][0]
    # Savings 11.000 − 3.200,01 = 7.799,99; 80 % = 6.239,99 less Zuwendung.
    assert "ermäßigt sich um 6.239,99 €" in pro_rata
    assert "voraussichtliche Rückforderung 2.439,99 €" in pro_rata


def test_festbetrag_has_no_overrun_and_bescheid_switches_off(
    cli, checked_db: str
) -> None:
    engine = open_database(checked_db)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        plan = edit_plan.as_input(award)
        plan.financing_type = FinancingType.FESTBETRAG
        plan.money_overrides = {"MITTELVERFALL": "aus"}
        edit_plan.save(session, award.id, edit_plan.PlanIn.parse(plan.model_dump()))
    engine.dispose()
    found = _rules(cli, checked_db, "01.10.2017")
    assert set(found) == {"NICHT_VERWENDET"}


def test_text_output_names_rule_and_source(cli, checked_db: str) -> None:
    result = cli("check", "--now", "17.03.2017", db=checked_db)
    assert result.exit_code == 1
    assert "NICHT_VERWENDET" in result.output
    assert "ANBest-Gk (Bund) Nr. 1.4" in result.output
    none = cli("check", "--now", "10.02.2017", db=checked_db)
    assert none.exit_code == 0 and "Keine Warnungen am 10.02.2017" in none.output


def test_unspent_counts_from_the_shifted_end_of_the_frist(cli, sqlite_url: str) -> None:
    prepare_db(sqlite_url)
    strip_demo_money(sqlite_url)
    engine = open_database(sqlite_url)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        # 05.12.2016 + two months = Sunday 05.02.2017: the Frist ends Monday 06.02.
        edit_disbursements.create(
            session,
            award.id,
            edit_disbursements.DisbursementIn.parse(
                {"amount": "1000", "received_on": "05.12.2016"}
            ),
        )
    engine.dispose()
    assert "NICHT_VERWENDET" not in _rules(cli, sqlite_url, "06.02.2017")
    assert (
        "Frist 06.02.2017"
        in _rules(cli, sqlite_url, "07.02.2017")["NICHT_VERWENDET"][0]
    )


def test_checks_use_the_bescheid_in_force(cli, checked_db: str) -> None:
    from portfolio.domain.models import AwardVersion

    engine = open_database(checked_db)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        # Erstbescheid with 500 € Sachausgaben; the Änderungsbescheid of 15.02.2017
        # raised them to 1.000 € (the award's own plan lines are the latest).
        session.add_all([
            AwardVersion(award_id=award.id, issued_on=date(2016, 10, 20),
                         reference="Erstbescheid", budget=[
                             {"category": "Personal", "year": 2017,
                              "planned": "10000.00"},
                             {"category": "Sachausgaben", "year": 2017,
                              "planned": "500.00"}],
                         income=[{"kind": "zuwendung", "year": 2017,
                                  "planned": "8400.00"}]),
            AwardVersion(award_id=award.id, issued_on=date(2017, 2, 15),
                         reference="1. Änderungsbescheid", budget=[], income=[]),
        ])  # fmt: skip
    engine.dispose()
    before = _rules(cli, checked_db, "14.02.2017")["UEBERSCHREITUNG"]
    assert before and all("1.200,01 € statt 500,00 € geplant" in m for m in before)
    after = _rules(cli, checked_db, "15.02.2017")["UEBERSCHREITUNG"]
    assert "1.200,01 € statt 1.000,00 € geplant" in after[0]


def test_demo_pro_rata_after_the_term_with_german_rate(cli, sqlite_url: str) -> None:
    prepare_db(sqlite_url)
    found = _rules(cli, sqlite_url, "15.05.2018")
    # Zukunftsstadt II (Anteilfinanzierung 90 %) ended 30.04.2018 with bookings
    # only up to the demo's Stichtag: the grant shrinks, interest 5 points over
    # the base rate of -0,88 %.
    [message] = found["ANTEIL_ERMAESSIGUNG"]
    assert "ermäßigt sich um 169.852,23 € (90 %)" in message
    assert "(4,12 % jährlich ab 30.04.2018)" in message


def test_version_in_force_on_a_day() -> None:
    from portfolio.domain.award_versions import version_in_force
    from portfolio.domain.models import AwardVersion

    first = AwardVersion(id=1, issued_on=date(2016, 10, 20), reference="E")
    second = AwardVersion(id=2, issued_on=date(2017, 2, 15), reference="Ä1")
    third = AwardVersion(id=3, issued_on=date(2017, 9, 1), reference="Ä2")
    both = [third, first, second]
    assert version_in_force([], date(2017, 1, 1)) is None
    assert version_in_force(both, date(2016, 1, 1)) is first  # before the first
    assert version_in_force(both, date(2017, 2, 14)) is first
    assert version_in_force(both, date(2017, 2, 15)) is second  # issued that day
    assert version_in_force(both, date(2017, 9, 1)) is None  # the latest: own lines
