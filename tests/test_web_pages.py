"""The pages over HTTP: what each shows for the demo, and what each change does."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from money_support import without_money
from web_support import PASSWORD, add_synthetic, client, logged_in, login, prepare_db

from portfolio.domain import palette
from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import Narrative, Obligation, Reminder
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import HTTP_ERRORS
from reports import charts


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pages") / "template.db"
    prepare_db(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "web.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


def test_every_page_shows_the_stichtag_banner(db_url: str) -> None:
    http, _ = logged_in(db_url, "admin")
    for page in (
        "/",
        "/zeitstrahl",
        "/programme",
        "/programme/kaoa",
        "/fristen",
        "/fristen/kalender",
        "/import",
        "/berichte",
        "/verwaltung",
        "/verwaltung/erinnerungen",
        "/verwaltung/einstellungen",
        "/konto",
    ):
        text = http.get(page).text
        assert "Stichtag: <strong>15.03.2017</strong>" in text, page


def test_programme_list_filters_and_pages(db_url: str) -> None:
    add_synthetic(db_url, 120)
    http, _ = logged_in(db_url, "viewer")
    first = http.get("/programme").text
    assert "130 Programme" in first
    assert "Seite 1 von 3" in first
    assert "Seite 3 von 3" in http.get("/programme?seite=3").text
    assert "Seite 3 von 3" in http.get("/programme?seite=99").text
    only_kaoa = http.get("/programme?q=kaoa").text
    assert "1 Programme" in only_kaoa and "/programme/kaoa" in only_kaoa
    stiftung = http.get("/programme?art=stiftung&q=synth").text
    assert "20 Programme" in stiftung
    ended = http.get("/programme?status=ended&q=programm").text
    assert "30 Programme" in ended


def test_timeline_filters_by_kind(db_url: str) -> None:
    http, _ = logged_in(db_url, "viewer")
    bund = http.get("/zeitstrahl?art=bund").text
    assert 'data-key="zukunftsstadt"' in bund
    assert 'data-key="mini-mint-macher"' not in bund
    assert "Stichtag 15.03.2017" in bund


def test_edit_form_validates_in_german(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    answer = http.post(
        "/programme/kaoa/bearbeiten",
        data={
            "name": "  ",
            "status": "gibt-es-nicht",
            "short_name": "x" * 130,
            "csrf_token": token,
        },
    )
    assert answer.status_code == 422
    assert "Bitte ausfüllen." in answer.text
    assert "Bitte einen Eintrag aus der Liste wählen." in answer.text
    assert "Höchstens 120 Zeichen" in answer.text
    assert "KAoA" in http.get("/programme/kaoa").text


def test_narrative_is_saved_and_shown(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    http.post(
        "/programme/kaoa/sachbericht",
        data={
            "jahr": "2016",
            "abschnitt": "ziele",
            "text": "Alle Schulen erreichen.",
            "csrf_token": token,
        },
    )
    page = http.get("/programme/kaoa").text
    assert "2016 · Ziele" in page and "Alle Schulen erreichen." in page
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Narrative.id))) == 1
    engine.dispose()
    bad = http.post(
        "/programme/kaoa/sachbericht",
        data={"jahr": "zwanzig", "abschnitt": "ziele", "csrf_token": token},
    )
    assert bad.status_code == 422 and "Eingabe unvollständig" in bad.text


def test_waive_with_date_and_reopen(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        target = session.scalar(
            sa.select(Obligation.id).where(Obligation.status == "open").limit(1)
        )
    http.post(
        f"/fristen/{target}/status",
        data={"status": "waived", "datum": "1.3.17", "csrf_token": token},
    )
    with session_scope(engine, read_only=True) as session:
        item = session.get(Obligation, target)
        assert item is not None
        assert (item.status.value, item.done_on) == ("waived", date(2017, 3, 1))
    wrong = http.post(
        f"/fristen/{target}/status",
        data={"status": "open", "datum": "31.02.2017", "csrf_token": token},
    )
    assert "kein Datum" in wrong.text
    http.post(f"/fristen/{target}/status", data={"status": "open", "csrf_token": token})
    with session_scope(engine, read_only=True) as session:
        assert session.get(Obligation, target).status.value == "open"  # type: ignore[union-attr]
    engine.dispose()


def test_calendar_shows_the_deadlines_of_a_month(db_url: str) -> None:
    http, _ = logged_in(db_url, "viewer")
    may = http.get("/fristen/kalender?monat=2017-05").text
    assert "Mai 2017" in may
    assert "Zukunftsstadt: Zwischennachweis 2016" in may
    assert "März 2017" in http.get("/fristen/kalender?monat=kaputt").text


def test_admin_manages_users(db_url: str) -> None:
    http, token = logged_in(db_url, "admin")
    http.post(
        "/verwaltung/benutzer",
        data={
            "username": "neu",
            "password": PASSWORD,
            "role": "editor",
            "csrf_token": token,
        },
    )
    assert login(client(db_url), "neu").status_code == 303
    short = http.post(
        "/verwaltung/benutzer",
        data={
            "username": "kurz",
            "password": "x",
            "role": "viewer",
            "csrf_token": token,
        },
    )
    assert "zu kurz" in short.text
    page = http.get("/verwaltung").text
    ids = re.findall(r'action="/verwaltung/benutzer/(\d+)"', page)
    names = re.findall(r"<td>([a-z]+)</td><td>", page)
    own = ids[names.index("admin")]
    locked = http.post(
        f"/verwaltung/benutzer/{own}",
        data={"role": "viewer", "active": "1", "csrf_token": token},
    )
    assert locked.status_code == 422
    assert "nicht selbst" in locked.text
    other = ids[names.index("neu")]
    http.post(
        f"/verwaltung/benutzer/{other}", data={"role": "viewer", "csrf_token": token}
    )
    assert login(client(db_url), "neu").status_code == 401


def test_reminder_log_and_retry(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        obligation = session.scalar(sa.select(Obligation).limit(1))
        assert obligation is not None
        session.add(
            Reminder(
                obligation_id=obligation.id,
                recipient="x@example.org",
                stage="14",
                due_on=obligation.due_on,
                planned_for=datetime(2017, 3, 1, tzinfo=UTC),
                status=ReminderStatus.FAILED,
                attempts=8,
                last_error="SMTP 550 abgelehnt",
            )
        )
    http, token = logged_in(db_url, "admin")
    log = http.get("/verwaltung/erinnerungen?status=failed").text
    assert "SMTP 550 abgelehnt" in log and "fehlgeschlagen" in log
    reminder_id = re.search(r"/verwaltung/erinnerungen/(\d+)/erneut", log)
    assert reminder_id
    http.post(
        f"/verwaltung/erinnerungen/{reminder_id.group(1)}/erneut",
        data={"csrf_token": token},
    )
    with session_scope(engine, read_only=True) as session:
        row = session.scalar(sa.select(Reminder))
        assert row is not None and (row.status, row.attempts) == (
            ReminderStatus.PENDING,
            0,
        )
    engine.dispose()


def test_mail_outage_shown_to_admins_and_failed_retried_in_bulk(db_url: str) -> None:
    from portfolio.services import mail_outage

    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        obligation = session.scalar(sa.select(Obligation).limit(1))
        assert obligation is not None
        for stage, tried in (("14", datetime(2017, 3, 1, 9, tzinfo=UTC)), ("3", None)):
            session.add(
                Reminder(
                    obligation_id=obligation.id,
                    recipient="x@example.org",
                    stage=stage,
                    due_on=obligation.due_on,
                    planned_for=datetime(2017, 3, 1, tzinfo=UTC),
                    status=ReminderStatus.FAILED,
                    attempts=8,
                    last_attempt_at=tried,
                    last_error="550 Postfach unbekannt",
                )
            )
        mail_outage.record_down(
            session, datetime(2017, 4, 10, 6, tzinfo=UTC), "Verbindung abgelehnt"
        )
    http, token = logged_in(db_url, "admin")
    banner = "Mailserver nicht erreichbar seit 10.04.2017 08:00 Uhr"
    assert banner in http.get("/").text
    log = http.get("/verwaltung/erinnerungen").text
    assert banner in log and "2 endgültig fehlgeschlagen" in log
    viewer, _ = logged_in(db_url, "viewer")
    assert banner not in viewer.get("/").text
    http.post(
        "/verwaltung/erinnerungen/erneut",
        data={"csrf_token": token, "seit": "2017-03-01"},
    )
    with session_scope(engine, read_only=True) as session:
        assert sorted(
            (r.stage, r.status, r.attempts)
            for r in session.scalars(sa.select(Reminder))
        ) == [("14", ReminderStatus.PENDING, 0), ("3", ReminderStatus.FAILED, 8)]
    engine.dispose()


def test_settings_are_shown_with_secrets_masked(db_url: str) -> None:
    http, _ = logged_in(db_url, "admin", **{"mail.smtp_password": "streng-geheim"})
    page = http.get("/verwaltung/einstellungen").text
    assert "streng-geheim" not in page and "test-secret" not in page
    assert "•••••• (gesetzt)" in page
    assert "PORTFOLIO_SMTP_HOST" in page
    assert 'method="post"' not in page.split("<main")[1]


def test_add_a_manual_deadline(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    missing = http.post(
        "/programme/kaoa/fristen",
        data={"titel": "", "art": "report", "datum": "32.13.2017", "csrf_token": token},
    )
    assert "Frist nicht angelegt" in missing.text
    assert "Bitte ausfüllen." in missing.text and "ist kein Datum" in missing.text
    made = http.post(
        "/programme/kaoa/fristen",
        data={"titel": "Bericht an MAIS", "art": "report", "datum": "30.06.2017",
              "csrf_token": token},
    )  # fmt: skip
    assert "Frist „Bericht an MAIS“ am 30.06.2017 angelegt." in made.text
    assert "Bericht an MAIS" in http.get("/fristen").text


def test_budget_plan_against_actual(db_url: str) -> None:
    from decimal import Decimal

    from portfolio.domain.models import BudgetLine, Expense

    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        # The figures below instead of the demo's example money.
        award = without_money(session, "DEMO-ZUKUNFTSSTADT-II")
        session.add_all([
            BudgetLine(award_id=award.id, category="Personal", year=2017,
                       planned=Decimal("50000")),
            Expense(award_id=award.id, category="Personal", year=2017,
                    amount=Decimal("12345.67")),
            Expense(award_id=award.id, category="Reisen", year=2017,
                    amount=Decimal("800")),
        ])  # fmt: skip
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    page = http.get("/programme/zukunftsstadt").text
    assert "Finanzierungsplan und Ist-Ausgaben" in page
    assert "50.000,00 €" in page and "12.345,67 €" in page
    assert "37.654,33 €" in page  # what is left of the plan
    assert "-800,00 €" in page  # spent without a plan


def test_move_a_deadline(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        target = session.scalar(
            sa.select(Obligation.id).where(Obligation.status == "open").limit(1)
        )
    moved = http.post(
        f"/fristen/{target}/verschieben",
        data={"datum": "30.04.2017", "csrf_token": token},
    )
    assert "verschoben auf 30.04.2017" in moved.text
    with session_scope(engine, read_only=True) as session:
        item = session.get(Obligation, target)
        assert item is not None
        # A Termin keeps its date, even on a Sunday (§ 31 Abs. 5 VwVfG).
        assert (item.due_on, item.due_effective) == (date(2017, 4, 30), None)
    engine.dispose()
    wrong = http.post(
        f"/fristen/{target}/verschieben", data={"datum": "bald", "csrf_token": token}
    )
    assert "„bald“ ist kein Datum" in wrong.text


def test_programmes_ending_soon_are_flagged(db_url: str) -> None:
    from portfolio.services.clock import set_stichtag

    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        set_stichtag(session, date(2018, 1, 15))
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    board = http.get("/").text
    ending = board.split('id="auslaufend"')[1].split("</section>")[0]
    assert "Zukunftsstadt" in ending and "endet 30.04.2018" in ending
    timeline = http.get("/zeitstrahl").text
    row = timeline.split('data-key="zukunftsstadt"')[1].split("</g>\n  \n")[0]
    assert "Anschlussfinanzierung klären" in row
    assert "Stichtag 15.01.2018" in timeline
    # Ending within twelve months: orange, as in the PDF timeline (one palette).
    assert f'fill="{palette.PHASE_ENDING}"' in row
    pdf = charts.timeline(
        [charts.Bar("Zukunftsstadt", date(2016, 11, 1), date(2018, 4, 30), True)],
        date(2018, 1, 15),
        2016,
        2018,
        "svg",
    ).decode()
    assert palette.PHASE_ENDING.lower() in pdf.lower()


def test_open_ended_phases_fade_out(db_url: str) -> None:
    http, _ = logged_in(db_url, "viewer")
    timeline = http.get("/zeitstrahl").text
    rbn = timeline.split('data-key="bildungsnetzwerk"')[1].split('class="row"')[0]
    assert 'data-end=""' in rbn
    assert 'fill="url(#fade-' in rbn
    assert "seit 11/2009" in rbn


def test_unknown_address_and_wrong_method_answer_in_german(db_url: str) -> None:
    http, _ = logged_in(db_url, "admin")
    page = http.get("/gibt-es-nicht")
    assert page.status_code == 404
    assert "Diese Seite gibt es nicht." in page.text
    assert "Not Found" not in page.text
    api = http.get("/api/gibt-es-nicht")
    assert api.status_code == 404
    assert api.json() == {"detail": HTTP_ERRORS[404][1]}
    wrong = http.delete("/")
    assert wrong.status_code == 405
    assert "Method Not Allowed" not in wrong.text
    assert "allow" in {name.lower() for name in wrong.headers}


def test_programme_page_says_why_deadlines_are_missing_or_assumed(db_url: str) -> None:
    http, _ = logged_in(db_url, "viewer")
    kaoa = http.get("/programme/kaoa").text
    assert "Keine Fristen: Bewilligungszeitraum fehlt" in kaoa
    koko = http.get("/programme/kommunale-koordinierung").text
    # ANBest-Gk VN: term ends 30.06.2018, Zweckerfüllung unknown -> 30.06.2019,
    # a Sunday -> Monday 01.07.2019; the page says why.
    assert "Zweckerfüllung nicht eingetragen: angenommen am letzten Tag" in koko
    assert "Fristende 30.06.2019 (Sonntag) → nächster Werktag 01.07.2019" in koko
