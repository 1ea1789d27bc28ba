"""When the scheduler runs next and what it sends then (Verwaltung › Erinnerungen).

The next run times come from the same cron rules ``scheduler.py`` uses; what is due
is the dry run of the real planner: after the run's planning has written the outbox,
the preview shows the same reminders again, now as planned.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from web_support import logged_in, prepare_db

import scheduler
from portfolio.domain.reminders import parse_stage_config
from portfolio.services import schedule
from portfolio.services.reminder_planning import plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

BERLIN = ZoneInfo("Europe/Berlin")
STAGES = parse_stage_config("42,14,3,0")


def test_next_times_follow_the_schedulers_rules() -> None:
    assert scheduler.REMINDER_TRIGGER is schedule.REMINDER_TRIGGER
    friday_evening = datetime(2017, 3, 17, 18, 50, tzinfo=BERLIN)
    monday_seven = datetime(2017, 3, 20, 7, 0, tzinfo=BERLIN)
    assert (
        schedule.next_time(schedule.REMINDER_TRIGGER, friday_evening, "Europe/Berlin")
        == monday_seven
    )
    wednesday = datetime(2017, 3, 15, 10, 7, tzinfo=BERLIN)
    assert schedule.next_time(
        schedule.REMINDER_TRIGGER, wednesday, "Europe/Berlin"
    ) == datetime(2017, 3, 15, 10, 15, tzinfo=BERLIN)
    # Strictly after: the digest that runs this very minute is next week's.
    assert schedule.next_time(
        schedule.DIGEST_TRIGGER, monday_seven, "Europe/Berlin"
    ) == datetime(2017, 3, 27, 7, 0, tzinfo=BERLIN)


def test_preview_shows_what_the_next_run_sends(db_url: str) -> None:
    prepare_db(db_url)
    engine = open_database(db_url)
    friday_evening = datetime(2017, 3, 17, 18, 50, tzinfo=BERLIN)
    with session_scope(engine, read_only=True) as session:
        before = schedule.next_run_preview(
            session, friday_evening, timezone="Europe/Berlin", stages=STAGES, lead=None
        )
    assert before.reminders_at == datetime(2017, 3, 20, 7, 0, tzinfo=BERLIN)
    assert before.digest_at == datetime(2017, 3, 20, 7, 0, tzinfo=BERLIN)
    # Zwischennachweis 2016 is due 30.04.2017: 42 days before is Sunday 19.03.
    # Zukunftsstadt's payment of 25.11.2016 is overdue to be spent (weekly).
    assert before.count == 3
    assert {(d.title, d.due_on, d.stage, d.planned) for d in before.shown} == {
        ("Zwischennachweis 2016", date(2017, 4, 30), "42 Tage vorher", False),
        (
            "Mittel verwenden: Abruf vom 25.11.2016 (40.000,00 €)",
            date(2017, 1, 25),
            "7 Wochen überfällig",
            False,
        ),
    }
    with session_scope(engine, "test") as session:
        assert plan(session, date(2017, 3, 20), STAGES, None).planned == 3
    with session_scope(engine, read_only=True) as session:
        after = schedule.next_run_preview(
            session, friday_evening, timezone="Europe/Berlin", stages=STAGES, lead=None
        )
    engine.dispose()
    assert after.count == 3
    assert {d.recipient for d in after.shown} == {d.recipient for d in before.shown}
    assert all(d.planned for d in after.shown)


def test_admin_page_says_when_the_schedule_runs_next(db_url: str) -> None:
    prepare_db(db_url)
    http, _ = logged_in(db_url, "admin")
    page = http.get("/verwaltung/erinnerungen").text
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
    card = page.split('id="naechster-lauf"')[1].split("</section>")[0]
    assert "Nächster Lauf" in card
    # From the Stichtag (Wednesday 15.03.2017) at today's time of day.
    assert re.search(
        r'data-next="reminders">(Mittwoch, 15|Donnerstag, 16)\.03\.2017, '
        r"\d\d:\d[05] Uhr<",
        card,
    )
    assert 'data-next="digest">Montag, 20.03.2017, 07:00 Uhr<' in card
    assert re.search(r'data-next="count">\d+ Erinnerung', card)
