"""Awards the engine cannot compute deadlines for say why, the same everywhere.

In the demo KAoA and both Lebenswelten awards have no Bewilligungszeitraum:
`portfolio check` lists them (text and JSON) with why there are no rule deadlines
and what to enter, as `portfolio show` and the programme page do, and leaves the
exit code alone (they are hints, not money warnings). An open-ended award says
that its Verwendungsnachweis cannot be computed until the end or the Bescheid's
date is entered.
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.models import Award
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

NO_TERM = (
    "Keine Fristen: Bewilligungszeitraum fehlt. Die Fristen des Regelwerks "
    "„Land NRW: ANBest-G“ zählen vom Bewilligungszeitraum; tragen Sie Beginn und "
    "Ende laut Bescheid ein (oder die Termine des Bescheids als Abweichung)."
)
OPEN_END = (
    "offenes Ende: kein Verwendungsnachweis berechenbar. Er zählt vom Ende des "
    "Bewilligungszeitraums; tragen Sie das Ende ein, sobald es feststeht, oder den "
    "Termin laut Bescheid als Abweichung (Regel NRW_ANBESTG_VN)."
)


def _edit_kaoa(url: str, **values: object) -> None:
    engine = open_database(url)
    with session_scope(engine, "test") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-KAOA")
        ).one()
        for name, value in values.items():
            setattr(award, name, value)
    engine.dispose()


def test_check_lists_awards_without_a_term_as_show_and_the_page_do(
    cli, db_url: str
) -> None:
    prepare_db(db_url)
    result = cli("check", db=db_url)
    # The demo's example money warns twice on Zukunftsstadt (exit 1); the awards
    # without a term are listed below the warnings.
    assert result.exit_code == 1, result.output
    assert "Warnungen am 15.03.2017 (2)" in result.output
    assert "Bewilligungen ohne berechenbare Fristen (3):" in result.output
    assert f"- KAoA, Bewilligung DEMO-KAOA: {NO_TERM}" in result.output
    assert "- Lebenswelten, Bewilligung DEMO-LEBENSWELTEN-RAG: Keine Fristen" in (
        result.output
    )
    document = json.loads(cli("check", "--format", "json", db=db_url).output)
    assert [(n["programme"], n["award"]) for n in document["awards_without_dates"]] == [
        ("kaoa", "DEMO-KAOA"),
        ("lebenswelten", "DEMO-LEBENSWELTEN-LAND"),
        ("lebenswelten", "DEMO-LEBENSWELTEN-RAG"),
    ]
    assert document["awards_without_dates"][0]["lines"] == [NO_TERM]
    only = cli("check", "--programme", "kaoa", db=db_url).output
    assert "(1):" in only and "Lebenswelten" not in only
    # The same line where else the user looks.
    show = cli("show", "kaoa", db=db_url).output
    assert " ".join(NO_TERM.split()) in " ".join(show.split())
    http, _ = logged_in(db_url, "viewer")
    assert NO_TERM in http.get("/programme/kaoa").text


def test_open_end_names_the_rule_to_give_a_date(cli, sqlite_url: str) -> None:
    prepare_db(sqlite_url)
    _edit_kaoa(sqlite_url, start=date(2015, 1, 1))
    result = cli("check", "--programme", "kaoa", db=sqlite_url)
    assert f"- KAoA, Bewilligung DEMO-KAOA: {OPEN_END}" in result.output
    assert result.exit_code == 0
    _edit_kaoa(sqlite_url, overrides={"NRW_ANBESTG_VN": "2018-06-30"})
    result = cli("check", "--programme", "kaoa", db=sqlite_url)
    assert "ohne berechenbare Fristen" not in result.output
