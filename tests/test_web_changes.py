"""The change log people can read: German words, formatted values, local time.

The same sentence on the Änderungen page, on the programme page and in the API;
filtered by person and by date; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.field_labels import HIDDEN, entity_name, has_label
from portfolio.domain.models import ENTITIES, Change, Obligation, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

SENTENCE = (
    "Frist „Zwischennachweis 2016“: Status offen → erledigt, erledigt am 15.03.2017"
)


def _mark_done(db_url: str) -> None:
    http, token = logged_in(db_url, "editor")
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        target = session.scalar(
            sa.select(Obligation.id)
            .join(Programme)
            .where(
                Programme.key == "zukunftsstadt",
                Obligation.title == "Zwischennachweis 2016",
            )
        )
    engine.dispose()
    answer = http.post(
        f"/fristen/{target}/status",
        data={"status": "done", "datum": "15.3.17", "csrf_token": token},
    )
    assert answer.status_code == 200


def test_every_audited_field_has_a_german_label() -> None:
    missing = [
        f"{entity.__tablename__}.{column.key}"
        for entity in ENTITIES
        if entity.__audited__
        for column in entity.__table__.columns
        if column.key not in entity.__audit_exclude__
        and not has_label(entity.__tablename__, column.key)
    ]
    assert missing == []
    unnamed = [
        e.__tablename__
        for e in ENTITIES
        if e.__audited__
        if entity_name(e.__tablename__) == e.__tablename__
    ]
    assert unnamed == []
    assert "edited" in HIDDEN


def test_change_log_page_speaks_german_with_local_time(db_url: str) -> None:
    prepare_db(db_url)
    _mark_done(db_url)
    http, _ = logged_in(db_url, "viewer")
    page = http.get("/aenderungen").text
    assert SENTENCE in page.replace("&#34;", '"')
    assert "obligations geändert" not in page and "edited" not in page
    # The newest change was just now: shown at the office's local time, not UTC.
    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%d.%m.%Y") in page
    programme = http.get("/programme/zukunftsstadt").text
    assert SENTENCE in programme


def test_change_log_filters_by_person_and_date(db_url: str) -> None:
    prepare_db(db_url)
    _mark_done(db_url)
    http, _ = logged_in(db_url, "viewer")
    mine = http.get("/aenderungen", params={"wer": "editor"}).text
    assert SENTENCE in mine
    assert "1 Änderungen von editor" in mine
    others = http.get("/aenderungen", params={"wer": "test"}).text
    assert SENTENCE not in others
    # An old change, moved to 2016 (Berlin: 31.12.2016 23:30 is 22:30 UTC).
    engine = open_database(db_url)
    with session_scope(engine) as session:
        session.execute(
            sa.update(Change)
            .where(Change.who == "web:editor")
            .values(at=datetime(2016, 12, 31, 22, 30, tzinfo=UTC))
        )
    engine.dispose()
    day = http.get("/aenderungen", params={"von": "31.12.2016", "bis": "31.12.2016"})
    assert SENTENCE in day.text and "31.12.2016 23:30" in day.text
    after = http.get("/aenderungen", params={"von": "1.1.17"}).text
    assert SENTENCE not in after
    wrong = http.get("/aenderungen", params={"von": "gestern"}).text
    assert "„gestern“ ist kein Datum" in wrong


def test_api_returns_the_same_sentences(db_url: str) -> None:
    prepare_db(db_url)
    _mark_done(db_url)
    http, csrf = logged_in(db_url, "viewer")
    shown = http.post("/konto/api-schluessel", data={"csrf_token": csrf})
    token = shown.text.split('id="api-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    answer = http.get("/api/changes", params={"who": "editor"}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["text"] == SENTENCE
    assert item["details"] == ["Status offen → erledigt", "erledigt am 15.03.2017"]
    assert item["entity_label"] == "Frist" and item["programme"] == "Zukunftsstadt"
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    later = http.get("/api/changes", params={"since": tomorrow}, headers=headers)
    assert later.json()["total"] == 0


def test_workbook_has_the_same_sentences_at_local_time(db_url: str) -> None:
    prepare_db(db_url)
    _mark_done(db_url)
    # Moved to 31.12.2016 22:30 UTC: 23:30 in Berlin, already the next year's eve.
    engine = open_database(db_url)
    with session_scope(engine) as session:
        session.execute(
            sa.update(Change)
            .where(Change.who == "web:editor")
            .values(at=datetime(2016, 12, 31, 22, 30, tzinfo=UTC))
        )
    engine.dispose()
    http, _ = logged_in(db_url, "viewer")
    answer = http.get("/berichte/arbeitsmappe.xlsx")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert "Änderungen" in book.sheetnames
    ws = book["Änderungen"]
    header = [c.value for c in ws[1]]
    assert header == ["Zeitpunkt (Ortszeit)", "Person", "Programm", "Änderung"]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=2)
        if row[0].value is not None
    ]
    [mine] = [r for r in rows if r["Person"] == "editor"]
    assert mine["Änderung"] == SENTENCE  # as on the page and in the API
    assert mine["Zeitpunkt (Ortszeit)"] == datetime(
        2016, 12, 31, 23, 30
    )  # local time, not UTC
    assert ws.cell(2 + rows.index(mine), 1).number_format == "DD.MM.YYYY hh:mm"
    assert mine["Programm"] == "Zukunftsstadt"
    assert "obligations" not in str([r["Änderung"] for r in rows])
