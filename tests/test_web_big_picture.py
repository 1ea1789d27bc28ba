"""The big picture on the Übersicht over HTTP; the same figures in the portfolio report.

On the demo (Stichtag 15.03.2017) with two programmes ending within twelve months (one
with a submitted follow-up application, one without), an application in preparation,
and two deadlines, ten and sixty days ahead: the dashboard lists the pipeline with its
sums, the endings with the state of their follow-up funding and the next 90 days of
deadlines (the 60-day one too, although one falls within 30 days); the portfolio
report of 2017 shows the same numbers, as both come from ``big_picture``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from money_support import demo_without_money, zukunftsstadt_small_money
from web_support import logged_in, prepare_db

from portfolio.domain.enums import ApplicationStatus, ObligationKind, ProgrammeStatus
from portfolio.domain.models import Application, Funder, Obligation, Phase, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports import render_report


def _section(html: str, ident: str) -> str:
    return html.split(f'id="{ident}"')[1].split("</section>", maxsplit=1)[0]


def _add_portfolio_news(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        bmbf = session.scalars(
            sa.select(Funder).where(Funder.short_name == "BMBF")
        ).one()
        quartier = Programme(
            key="quartier", name="Bildung im Quartier", status=ProgrammeStatus.RUNNING
        )
        werkstatt = Programme(
            key="werkstatt", name="Zukunftswerkstatt", status=ProgrammeStatus.RUNNING
        )
        lesestart = Programme(
            key="lesestart", name="Lesestart", status=ProgrammeStatus.RUNNING
        )
        session.add_all([quartier, werkstatt, lesestart])
        session.flush()
        session.add_all(
            [
                Phase(programme_id=quartier.id, name="Phase I",
                      start=date(2016, 1, 1), end=date(2017, 12, 31)),
                Phase(programme_id=werkstatt.id, name="Laufzeit",
                      start=date(2015, 10, 1), end=date(2017, 9, 30)),
                Phase(programme_id=lesestart.id, name="Laufzeit",
                      start=date(2016, 7, 1), end=date(2017, 6, 30)),
                # The follow-up of Bildung im Quartier: submitted, no phase yet.
                Application(programme_id=quartier.id, funder_id=bmbf.id,
                            status=ApplicationStatus.SUBMITTED,
                            submitted_on=date(2017, 2, 1),
                            requested=Decimal("150000")),
                Application(programme_id=werkstatt.id, funder_id=bmbf.id,
                            status=ApplicationStatus.REJECTED,
                            requested=Decimal("90000")),
            ]
        )  # fmt: skip
        mint = session.scalars(
            sa.select(Programme).where(Programme.key == "mini-mint-macher")
        ).one()
        session.add_all(
            [
                Application(programme_id=mint.id, funder_id=bmbf.id,
                            status=ApplicationStatus.DRAFT,
                            deadline=date(2017, 6, 30), requested=Decimal("25000")),
                Obligation(programme_id=quartier.id, kind=ObligationKind.REPORT,
                           title="Kurzbericht Quartier", due_on=date(2017, 3, 25)),
                Obligation(programme_id=werkstatt.id, kind=ObligationKind.EVENT,
                           title="Abschlussveranstaltung Werkstatt",
                           due_on=date(2017, 5, 14)),
            ]
        )  # fmt: skip
    engine.dispose()


def _report_kpis(db_url: str) -> dict[str, str]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        html = render_report(session, "portfolio", None, 2017, "html").decode()
    engine.dispose()
    kpis = re.findall(r'<div class="kpi"><b>([^<]*)</b>([^<]*)</div>', html)
    return {name: value for value, name in kpis} | {"_html": html}


def test_dashboard_shows_pipeline_endings_and_90_days(db_url: str) -> None:
    prepare_db(db_url)
    _add_portfolio_news(db_url)
    http, _ = logged_in(db_url, "viewer")
    board = http.get("/").text

    pipeline = _section(board, "antraege")
    assert "Anträge in Arbeit (2)" in pipeline
    assert re.search(r"<dt>in Vorbereitung</dt><dd>1 · 25.000,00 €</dd>", pipeline)
    assert re.search(r"<dt>eingereicht</dt><dd>1 · 150.000,00 €</dd>", pipeline)
    assert re.search(r"<dt>Idee</dt><dd>0 · 0,00 €</dd>", pipeline)
    assert "<dt>zusammen</dt><dd>2 · 175.000,00 €</dd>" in pipeline
    assert "Mini-MINT" in pipeline or "mini-mint-macher" in pipeline
    assert "Antragsfrist 30.06.2017" in pipeline
    assert "abgelehnt" not in pipeline  # a decided application is not in progress

    ending = _section(board, "auslaufend")
    assert "Enden in den nächsten 12 Monaten (3)" in ending
    lesestart = ending.split('data-ending="lesestart"')[1].split("</li>")[0]
    assert "endet 30.06.2017" in lesestart
    assert "keine Anschlussförderung beantragt" in lesestart
    assert 'class="tag warn"' in lesestart
    werkstatt = ending.split('data-ending="werkstatt"')[1].split("</li>")[0]
    quartier = ending.split('data-ending="quartier"')[1].split("</li>")[0]
    assert "endet 30.09.2017" in werkstatt
    assert "Folgeantrag abgelehnt (BMBF, 90.000,00 €)" in werkstatt
    assert "Anschlussförderung offen" in werkstatt
    assert 'class="tag warn"' in werkstatt
    assert "endet 31.12.2017" in quartier
    assert "Folgeantrag eingereicht am 01.02.2017 (BMBF, 150.000,00 €)" in quartier
    # By end date.
    assert (
        ending.index("lesestart") < ending.index("werkstatt") < ending.index("quartier")
    )

    ahead = _section(board, "vorschau")
    assert "Kurzbericht Quartier" in ahead and "25.03.2017" in ahead  # 10 days
    assert "Abschlussveranstaltung Werkstatt" in ahead and "14.05.2017" in ahead
    assert "bis einschließlich 13.06.2017".lower() in ahead.lower()
    kpi = dict(re.findall(r'data-kpi="(\w+)">([^<]*)<', board))
    assert kpi["pipeline"] == "2" and kpi["ending"] == "3"
    assert "175.000,00 € beantragt" in board
    http.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_dashboard_and_portfolio_report_show_the_same_figures(db_url: str) -> None:
    prepare_db(db_url)
    _add_portfolio_news(db_url)
    http, _ = logged_in(db_url, "viewer")
    board = http.get("/").text
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
    kpi = dict(re.findall(r'data-kpi="(\w+)">([^<]*)<', board))
    total = re.search(r"data-money-total>([^<]*)<", board)
    assert total is not None
    report = _report_kpis(db_url)
    assert report["laufende Programme 2017"] == kpi["running"] == "12"
    assert report["Fördermittel 2017"] == total.group(1) != "0,00 €"
    assert report["Programme, die in 12 Monaten enden"] == kpi["ending"] == "3"
    assert report["Anträge in Arbeit"] == kpi["pipeline"] == "2"
    assert report["beantragt (Anträge in Arbeit)"] == "175.000,00 €"
    assert "175.000,00 € beantragt" in board
    html = report["_html"]
    assert "Folgeantrag eingereicht am 01.02.2017 (BMBF, 150.000,00 €)" in html
    assert (
        "Folgeantrag abgelehnt (BMBF, 90.000,00 €) – Anschlussförderung offen" in html
    )
    assert "keine Anschlussförderung beantragt" in html


def test_dashboard_money_sums_read_only_programmes_with_money(db_url: str) -> None:
    from portfolio.services.money_overview import money_by_programme, totals

    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        zukunftsstadt_small_money(session)
    with session_scope(engine, read_only=True) as session:
        every = money_by_programme(session, 2017)
        some = money_by_programme(session, 2017, with_records_only=True)
    engine.dispose()
    assert len(some) < len(every)  # programmes with only an awarded amount left out
    whole, part = totals(every), totals(some)
    figures = ("planned", "spent", "called", "balance", "estimated")
    assert [getattr(part, f) for f in figures] == [getattr(whole, f) for f in figures]
    assert (part.planned, part.spent, part.called) == (
        Decimal("10000"), Decimal("1000"), Decimal("4000")
    )  # fmt: skip


def test_money_of_the_year_is_the_funders_share(db_url: str) -> None:
    """Zuwendung lines of the Einnahmen, else the cost plan, else the days' share."""
    from portfolio.domain.enums import FunderKind, IncomeKind
    from portfolio.domain.models import Award, BudgetLine, IncomeLine
    from portfolio.storage.page_queries import money_by_kind

    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        demo_without_money(session)  # the figures below are the only money
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        ).one()
        session.add(BudgetLine(award_id=award.id, category="Honorare", year=2017,
                               planned=Decimal("10000")))  # fmt: skip
        session.flush()
        # KoKo's 398.856 € spread by days: 208.272,45 € in 2017; plus the plan.
        assert money_by_kind(session, 2017) == {FunderKind.BUND: Decimal("218272.45")}
        session.add(IncomeLine(award_id=award.id, kind=IncomeKind.ZUWENDUNG,
                               year=2017, planned=Decimal("9000")))  # fmt: skip
        session.add(IncomeLine(award_id=award.id, kind=IncomeKind.EIGENANTEIL,
                               year=2017, planned=Decimal("1000")))  # fmt: skip
        session.flush()
        assert money_by_kind(session, 2017) == {FunderKind.BUND: Decimal("217272.45")}
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    board = http.get("/").text
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
    assert "data-money-total>217.272,45 €<" in board
    assert _report_kpis(db_url)["Fördermittel 2017"] == "217.272,45 €"


def test_pipeline_counts_every_application_and_lists_the_first(db_url: str) -> None:
    from web_support import add_synthetic

    from portfolio.services.big_picture import pipeline

    prepare_db(db_url, demo=False)
    # 30 programmes, their applications cycling through the seven states.
    add_synthetic(db_url, 30, applications=True)
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        found = pipeline(session, per_stage=2)
    engine.dispose()
    stages = {s.status: s for s in found.stages}
    idea = stages[ApplicationStatus.IDEA]  # programmes 0, 7, 14, 21, 28
    assert (idea.count, idea.requested) == (5, Decimal("100070.00"))
    # By Antragsfrist: 0 on 15.01., 14 on 15.03. (of 15.08., 15.10., 15.05.).
    assert [i.programme_key for i in idea.items] == ["synth-0", "synth-14"]
    assert idea.items[0].requested == Decimal("20000.00")
    submitted = stages[ApplicationStatus.SUBMITTED]  # 2, 9, 16, 23
    assert (submitted.count, len(submitted.items)) == (4, 2)
    assert found.count == 5 + 5 + 4
