"""ANBest-P Nr. 1.2 on the whole Finanzierungsplan: check and Nachweis agree.

The Ansatz of a position is its amount over the whole plan (all Haushaltsjahre of
the Bescheid): Sachausgaben 500 € in 2017 and 500 € in 2018 are an Ansatz of
1.000 €, so 1.200,00 € spent in 2017 is exactly 20 % over – allowed – and
1.200,01 € is not. ``portfolio check`` and the Abweichung/20 % column of the
Zwischennachweis 2017 and of the Verwendungsnachweis say the same, and so does the
award's money page, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from money_support import zukunftsstadt_small_money
from web_support import logged_in, prepare_db

from portfolio.domain.models import Expense
from portfolio.domain.plan_limit import allowed, overruns
from portfolio.services import clock, edit_plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

KEY, REF = "zukunftsstadt", "DEMO-ZUKUNFTSSTADT-II"


def _page_over(db_url: str) -> list[str]:
    """The positions the award's money page marks as over their Ansatz."""
    http, _ = logged_in(db_url, "viewer")
    page = http.get("/programme/zukunftsstadt").text
    award_id = page.split('href="/bewilligungen/')[1].split("/")[0]
    money = http.get(f"/bewilligungen/{award_id}/geld").text
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
    return re.findall(r'<tr data-over><th scope="row">([^<]*)', money)


def _scenario(db_url: str, spent: str) -> None:
    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award = zukunftsstadt_small_money(session)
        edit_plan.save(
            session,
            award.id,
            edit_plan.PlanIn.parse(
                {
                    "financing_type": "voll",
                    "budget_lines": [
                        {"category": "Honorare", "year": 2017, "planned": "10000"},
                        {"category": "Sachausgaben", "year": 2017, "planned": "500"},
                        {"category": "Sachausgaben", "year": 2018, "planned": "500"},
                    ],
                }
            ),
        )
        session.add(
            Expense(award_id=award.id, category="Sachausgaben", year=2017,
                    spent_on=date(2017, 6, 30), amount=Decimal(spent))
        )  # fmt: skip
        clock.set_stichtag(session, date(2018, 3, 1))
    engine.dispose()


def _check(cli: Callable[..., Any], db_url: str) -> list[str]:
    result = cli("check", "--now", "31.12.2017", "--format", "json", db=db_url)
    return [
        w["message"]
        for w in json.loads(result.output)["warnings"]
        if w["rule"] == "UEBERSCHREITUNG"
    ]


def _flag(cli: Callable[..., Any], db_url: str, *which: str) -> str:
    result = cli(
        "report", "nachweis", KEY, "--award", REF, *which, "--format", "html",
        "-o", "-", db=db_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The report says how it judged: the Ist so far against the whole Ansatz.
    spent = "bis Ende 2017" if "--year" in which else "insgesamt"
    assert (
        f"Ausgaben je Position {spent} gegen ihren Ansatz im gesamten "
        "Finanzierungsplan" in " ".join(result.output.split())
    )
    row = re.search(r"<td>Sachausgaben</td>.*?<td class=\"flag\">([^<]*)</td>",
                    result.output)  # fmt: skip
    assert row, result.output
    return row[1]


def test_exactly_twenty_percent_of_the_whole_ansatz_is_allowed(
    cli: Callable[..., Any], db_url: str
) -> None:
    _scenario(db_url, "1200.00")
    assert _check(cli, db_url) == []
    # 2017 alone is 140 % over its 500 €: the year is not the Ansatz.
    assert _flag(cli, db_url, "--year", "2017") == ""
    assert _flag(cli, db_url, "--final") == ""
    assert _page_over(db_url) == []


def test_one_cent_more_is_flagged_by_check_and_report_alike(
    cli: Callable[..., Any], db_url: str
) -> None:
    _scenario(db_url, "1200.01")
    [message] = _check(cli, db_url)
    assert "„Sachausgaben“: 1.200,01 € statt 1.000,00 € geplant" in message
    assert _flag(cli, db_url, "--year", "2017") == "mehr als 20 % über Plan"
    assert _flag(cli, db_url, "--final") == "mehr als 20 % über Plan"
    assert [name.strip() for name in _page_over(db_url)] == ["Sachausgaben"]


def test_overruns_at_the_boundary_and_by_year() -> None:
    plan = {
        ("Sachausgaben", 2017): Decimal("500"),
        ("Sachausgaben", 2018): Decimal(500),
    }
    assert allowed(Decimal(1000)) == Decimal("1200.00")
    assert overruns(plan, {("Sachausgaben", 2017): Decimal("1200.00")}) == {}
    over = overruns(plan, {("Sachausgaben", 2017): Decimal("1200.01")})
    assert over["Sachausgaben"].excess == Decimal("0.01")
    # A Zwischennachweis 2017 counts the Ist through 2017 only.
    later = {("Sachausgaben", 2017): Decimal(700), ("Sachausgaben", 2018): Decimal(600)}
    assert overruns(plan, later, until_year=2017) == {}
    assert overruns(plan, later)["Sachausgaben"].spent == Decimal(1300)
    # A Bescheid's own limit, and a position the plan does not name.
    assert overruns(plan, later, limit=Decimal("0.3")) == {}
    assert overruns(plan, {("Reisen", 2017): Decimal(1)})["Reisen"].unplanned
