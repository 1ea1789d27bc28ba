"""An application's call deadline reminds, on SQLite and PostgreSQL (issue 12, item 1).

The application is typed into the browser's form (posted over HTTP with the CSRF
token, strings as the office types them), the reminder planning of the scheduler
runs on fixed days, and a real SMTP server (aiosmtpd) receives the mail. The call
deadline is reminded to the programme's responsible person before it is due; moving
the deadline moves the reminder; withdrawing or deleting the application cancels
what was still waiting; so does a rejection (the application was submitted).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import Application, Funder, Obligation, Reminder
from portfolio.domain.reminders import Stages
from portfolio.notify import Office, SmtpTransport
from portfolio.services import reminders
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

LEAD = "zukunftsstadt@example.org"  # Zukunftsstadt's responsible person (demo)
MAIL = reminders.MailSettings(office=Office(sender="portfolio@kreis-re.example"))
Rows = list[tuple[str, str, date, ReminderStatus]]


def _form(token: str, bmbf: int, **typed: str) -> dict[str, str]:
    """The application form as a browser posts it (empty fields as empty strings)."""
    form = dict.fromkeys(
        ("phase_id", "submitted_on", "own_contribution", "decided_on"), ""
    )
    form.update(
        csrf_token=token,
        status="draft",
        funder_id=str(bmbf),
        reference="Zukunftsstadt III",
        deadline="30.4.17",
        requested="250 TEUR",
    )
    form.update(typed)
    return form


def _plan(db_url: str, today: date) -> None:
    engine = open_database(db_url)
    with session_scope(engine, "scheduler") as session:
        reminders.plan(session, today, Stages(), None)
    engine.dispose()


def _call(db_url: str, reference: str) -> tuple[int, Obligation | None, Rows]:
    """The application's id, its call deadline and that deadline's reminders."""
    engine = open_database(db_url)
    with session_scope(engine, "test", read_only=True) as session:
        app_id = session.scalar(
            sa.select(Application.id).where(Application.reference == reference)
        )
        assert app_id is not None
        deadline = session.scalar(
            sa.select(Obligation).where(Obligation.rule_key == f"antrag:{app_id}")
        )
        rows: Rows = []
        if deadline is not None:
            session.expunge(deadline)
            rows = [
                tuple(row)  # type: ignore[misc]
                for row in session.execute(
                    sa.select(
                        Reminder.recipient,
                        Reminder.stage,
                        Reminder.due_on,
                        Reminder.status,
                    )
                    .where(Reminder.obligation_id == deadline.id)
                    .order_by(Reminder.id)
                )
            ]
    engine.dispose()
    return app_id, deadline, rows


def _bmbf(db_url: str) -> int:
    engine = open_database(db_url)
    with engine.connect() as connection:
        found = connection.scalar(
            sa.select(Funder.id).where(Funder.short_name == "BMBF")
        )
    engine.dispose()
    assert found is not None
    return int(found)


def _post(http: Any, path: str, form: dict[str, str]) -> None:
    answer = http.post(path, data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def _send(db_url: str, port: int, now: datetime) -> int:
    engine = open_database(db_url)
    try:
        result = reminders.send_due(
            lambda: session_scope(engine, "scheduler"),
            SmtpTransport("127.0.0.1", port),
            MAIL,
            now,
        )
    finally:
        engine.dispose()
    return result.sent


def test_call_deadline_is_reminded_moves_and_is_sent(
    db_url: str, smtp_server: Any
) -> None:
    prepare_db(db_url)
    http, token = logged_in(db_url, "editor")
    bmbf = _bmbf(db_url)
    _post(http, "/programme/zukunftsstadt/antraege/neu", _form(token, bmbf))
    app_id, deadline, rows = _call(db_url, "Zukunftsstadt III")
    assert deadline is not None and deadline.due_on == date(2017, 4, 30)
    assert rows == []
    # 20.03.2017: the deadline is 41 days away, the six-week reminder is due.
    _plan(db_url, date(2017, 3, 20))
    _, _, rows = _call(db_url, "Zukunftsstadt III")
    assert rows == [(LEAD, "42", date(2017, 4, 30), ReminderStatus.PENDING)]
    # The call is put back a month: the waiting reminder for 30.04. is cancelled.
    _post(
        http,
        f"/antraege/{app_id}/bearbeiten",
        _form(token, bmbf, deadline="31.5.2017"),
    )
    _, deadline, rows = _call(db_url, "Zukunftsstadt III")
    assert deadline is not None and deadline.due_on == date(2017, 5, 31)
    assert rows == [(LEAD, "42", date(2017, 4, 30), ReminderStatus.CANCELLED)]
    _plan(db_url, date(2017, 3, 20))  # 72 days before: nothing yet
    assert len(_call(db_url, "Zukunftsstadt III")[2]) == 1
    _plan(db_url, date(2017, 4, 19))  # six weeks before 31.05.
    _, _, rows = _call(db_url, "Zukunftsstadt III")
    assert rows[1:] == [(LEAD, "42", date(2017, 5, 31), ReminderStatus.PENDING)]
    assert _send(db_url, smtp_server.port, datetime(2017, 4, 19, 6, tzinfo=UTC)) > 0
    mails = [m for m in smtp_server.messages if "Zukunftsstadt III" in m["Subject"]]
    assert len(mails) == 1
    assert mails[0]["To"] == LEAD
    assert mails[0]["Subject"] == (
        "Erinnerung: Antrag einreichen: Zukunftsstadt III – Zukunftsstadt – "
        "fällig am 31.05.2017"
    )
    _, _, rows = _call(db_url, "Zukunftsstadt III")
    assert rows[1][3] is ReminderStatus.SENT
    http.app.state.engine.dispose()  # type: ignore[attr-defined]


def test_withdrawn_rejected_or_deleted_application_cancels_its_reminder(
    db_url: str,
) -> None:
    prepare_db(db_url)
    http, token = logged_in(db_url, "editor")
    bmbf = _bmbf(db_url)
    for reference in ("Aufruf A", "Aufruf B", "Aufruf C"):
        _post(
            http,
            "/programme/zukunftsstadt/antraege/neu",
            _form(token, bmbf, reference=reference),
        )
    _plan(db_url, date(2017, 4, 20))  # 14 days before 30.04.
    waiting = (LEAD, "14", date(2017, 4, 30), ReminderStatus.PENDING)
    withdrawn_id, _, rows = _call(db_url, "Aufruf A")
    assert rows == [waiting]
    deleted_id, deadline_b, rows = _call(db_url, "Aufruf B")
    assert rows == [waiting] and deadline_b is not None
    _post(
        http,
        f"/antraege/{withdrawn_id}/bearbeiten",
        _form(token, bmbf, reference="Aufruf A", status="withdrawn"),
    )
    rejected_id = _call(db_url, "Aufruf C")[0]
    _post(
        http,
        f"/antraege/{rejected_id}/bearbeiten",
        _form(
            token,
            bmbf,
            reference="Aufruf C",
            status="rejected",
            submitted_on="10.4.17",
            decided_on="21.4.17",
        ),
    )
    page = http.get(f"/antraege/{deleted_id}/loeschen")
    assert "Antrag einreichen: Aufruf B" in page.text  # the delete says it goes too
    gone = http.post(f"/antraege/{deleted_id}/loeschen", data={"csrf_token": token})
    assert gone.status_code == 200, gone.text
    engine = open_database(db_url)
    with session_scope(engine, "test", read_only=True) as session:
        left = session.execute(
            sa.select(Obligation.title, Reminder.status)
            .join(Obligation, Obligation.id == Reminder.obligation_id)
            .where(Obligation.title.like("Antrag einreichen: Aufruf%"))
        ).all()
        deleted_left = session.scalar(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .where(Reminder.obligation_id == deadline_b.id)
        )
        assert session.get(Obligation, deadline_b.id) is None
    engine.dispose()
    assert sorted(left) == [
        ("Antrag einreichen: Aufruf A", ReminderStatus.CANCELLED),
        ("Antrag einreichen: Aufruf C", ReminderStatus.CANCELLED),
    ]
    assert deleted_left == 0
    # The next runs (three days before, on the day) remind of neither.
    for day in (date(2017, 4, 27), date(2017, 4, 30)):
        _plan(db_url, day)
    for reference in ("Aufruf A", "Aufruf C"):
        assert _call(db_url, reference)[2] == [
            (LEAD, "14", date(2017, 4, 30), ReminderStatus.CANCELLED)
        ]
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
