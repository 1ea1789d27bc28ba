"""The Fristen page: the calendar opens where the next deadline is, the subscription
is a webcal link, and the open deadlines come once as an .ics file."""

from __future__ import annotations

from datetime import date

import icalendar
import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.models import Contact, Obligation
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def test_calendar_opens_on_the_month_of_the_next_deadline(db_url: str) -> None:
    prepare_db(db_url)
    http, _ = logged_in(db_url, "viewer")
    # Stichtag 15.03.2017; the demo's next open deadline falls in a later month.
    listing = http.get("/fristen").text
    cells = [c[:10] for c in listing.split('<td class="nowrap">')[1:]]
    due = [date(int(c[6:]), int(c[3:5]), int(c[:2])) for c in cells]
    upcoming = min(d for d in due if d >= date(2017, 3, 15))
    assert upcoming.month != 3  # else the test would not tell the months apart
    shown = http.get("/fristen/kalender").text
    month, year = upcoming.month, upcoming.year
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
              "August", "September", "Oktober", "November", "Dezember"]  # fmt: skip
    assert f"{months[int(month) - 1]} {year}" in shown


def test_ics_download_and_webcal_link(db_url: str) -> None:
    prepare_db(db_url)
    http, token = logged_in(
        db_url, "editor", **{"web.base_url": "http://pf.example:8000"}
    )
    page = http.get("/fristen").text
    assert 'href="/fristen/fristen.ics"' in page
    answer = http.get("/fristen/fristen.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    events = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    assert len(events) > 0
    made = http.post("/fristen/abo", data={"aktion": "neu", "csrf_token": token}).text
    assert 'href="webcal://pf.example:8000/kalender/' in made
    assert 'data-copy="#feed-url"' in made


def test_responsible_person_column_filter_and_note(db_url: str) -> None:
    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine) as session:
        anna = Contact(email="anna@example.org", name="Anna Beispiel")
        item = session.scalars(
            sa.select(Obligation)
            .where(Obligation.status == "open")
            .order_by(Obligation.id.desc())
        ).first()
        assert item is not None
        item.responsible = anna
        item.notes = "Belege liegen bei Herrn K."
        title = item.title
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    everyone = http.get("/fristen").text
    assert '<th scope="col">Verantwortlich</th>' in everyone
    assert "Anna Beispiel" in everyone
    assert "Notiz: Belege liegen bei Herrn K." in everyone
    ident = everyone.split(">Anna Beispiel</option>")[0].rsplit('value="', 1)[1][:-1]
    hers = http.get("/fristen", params={"wer": ident}).text
    assert "1 Fristen" in hers and title in hers
