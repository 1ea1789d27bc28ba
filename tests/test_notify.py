"""Reminder mails as a person receives them, transports, and the demo's done-when."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio.domain.reminders import Digest, DueItem
from portfolio.notify import (
    Office,
    OutboxTransport,
    ReminderMail,
    SmtpTransport,
    TransportDown,
    digest_message,
    ics_for,
    make_transport,
    reminder_message,
)

NOW = datetime(2017, 4, 10, 6, 0, tzinfo=UTC)
OFFICE = Office(
    name="Regionales Bildungsbüro",
    sender="bildungsbuero@kreis-re.example",
    base_url="https://portfolio.kreis-re.example/",
    now=NOW,
)
MAIL = ReminderMail(
    recipient="zukunftsstadt@example.org",
    programme="Zukunftsstadt",
    title="Zwischennachweis 2016",
    kind="Zwischennachweis",
    due_on=date(2017, 4, 30),
    due_effective=date(2017, 5, 2),
    stage=42,
    obligation_id=19,
    message_id="<portfolio-reminder-7@kreis-re.example>",
    source="ANBest-Gk Nr. 6",
    checklist=("Sachbericht (kurz)", "summarischer zahlenmäßiger Nachweis"),
    award="DEMO-ZUKUNFTSSTADT-II",
    funder="BMBF",
    link="https://portfolio.kreis-re.example/fristen/19",
    holiday="30.04.2017 Sonntag, 01.05.2017 Erster Mai",
    today=date(2017, 4, 10),
)


def parsed(msg):
    return message_from_bytes(bytes(msg), policy=policy.default)


def test_reminder_is_german_multipart_with_source_checklist_link_and_ics():
    msg = parsed(reminder_message(MAIL, OFFICE))
    assert msg["Subject"] == (
        "Erinnerung: Zwischennachweis 2016 – Zukunftsstadt – fällig am 02.05.2017"
    )
    assert msg["Message-ID"] == MAIL.message_id
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "in 22 Tagen fällig" in body
        assert "02.05.2017" in body and "berechnet 30.04.2017" in body
        assert "ANBest-Gk Nr. 6" in body
        assert "summarischer zahlenmäßiger Nachweis" in body
        assert "https://portfolio.kreis-re.example/fristen/19" in body
    [ics] = list(msg.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == date(2017, 5, 2)  # the effective date
    assert "Zwischennachweis 2016" in str(event["summary"])


def test_overdue_mail_says_so_and_copies_office_lead():
    overdue = replace(
        MAIL, stage=-7, cc=("leitung@kreis-re.example",), today=date(2017, 5, 7)
    )
    msg = parsed(reminder_message(overdue, OFFICE))
    assert msg["Subject"].startswith("Überfällig:")
    assert msg["Cc"] == "leitung@kreis-re.example"
    assert "seit 5 Tagen überfällig" in msg.get_body(("plain",)).get_content()


def test_html_escapes_user_text():
    evil = replace(MAIL, title="<script>x</script>")
    html = parsed(reminder_message(evil, OFFICE)).get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_templates_can_be_overridden(tmp_path):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "reminder_subject.txt").write_text("Frist: {{ m.title }}")
    office = replace(OFFICE, templates_dir=str(tmp_path))
    assert (
        parsed(reminder_message(MAIL, office))["Subject"]
        == "Frist: Zwischennachweis 2016"
    )


def test_digest_groups_by_programme_overdue_first():
    items = (
        DueItem(1, "report", date(2017, 4, 1), programme="KAoA", title="Bericht A"),
        DueItem(2, "report", date(2017, 5, 1), programme="KAoA", title="Bericht B"),
    )
    digest = Digest(
        recipient="leitung@kreis-re.example",
        today=date(2017, 4, 10),
        until=date(2017, 6, 5),
        overdue=items[:1],
        upcoming=items[1:],
        everyone=True,
    )
    msg = parsed(digest_message(digest, OFFICE, "<d-1@kreis-re.example>"))
    text = msg.get_body(("plain",)).get_content()
    assert "1 überfällig, 1 in 8 Wochen" in msg["Subject"]
    assert text.index("ÜBERFÄLLIG 01.04.2017") < text.index("01.05.2017")


def test_outbox_writes_one_file_per_message_id(tmp_path):
    with OutboxTransport(tmp_path / "out") as transport:
        transport.send(reminder_message(MAIL, OFFICE))
        transport.send(reminder_message(MAIL, OFFICE))  # a repeat is the same file
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1


def test_smtp_login_and_one_connection_for_many(smtp_server):
    with SmtpTransport("127.0.0.1", smtp_server.port) as transport:
        for i in range(5):
            mail = replace(MAIL, message_id=f"<m{i}@x>")
            transport.send(reminder_message(mail, OFFICE))
    assert smtp_server.connections == 1
    assert len(smtp_server.messages) == 5


def test_smtp_with_login(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    from conftest import RecordingSmtp

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data.login)
        ok = auth_data.login == b"buero" and auth_data.password == b"geheim"
        return AuthResult(success=ok)

    handler = RecordingSmtp()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=handler.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        with SmtpTransport(
            "127.0.0.1", handler.port, user="buero", password="geheim"
        ) as transport:
            transport.send(reminder_message(MAIL, OFFICE))
        with pytest.raises(TransportDown):
            SmtpTransport(
                "127.0.0.1", handler.port, user="buero", password="x", timeout=1
            ).__enter__()
    finally:
        controller.stop()
    assert seen[0] == b"buero" and len(handler.messages) == 1


def test_unknown_transport_is_a_german_error():
    from portfolio.domain.errors import InputError

    with pytest.raises(InputError, match="outbox, smtp"):
        make_transport("fax")


def test_demo_remind_writes_german_mails_once(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli("demo", db=db).exit_code == 0
    first = cli("remind", "--now", "2017-04-10T08:00", db=db)
    assert first.exit_code == 0, first.output
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3
    mails = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    # Zukunftsstadt's payment of 25.11.2016 was not spent within two months.
    [overdue] = [m for m in mails if "Mittel verwenden" in m["Subject"]]
    assert overdue["To"] == "zukunftsstadt@example.org"
    assert overdue["Subject"].startswith("Überfällig: ")
    assert "fällig am 25.01.2017" in overdue["Subject"]
    mails.remove(overdue)
    assert {m["To"] for m in mails} == {
        "neuzugewanderte@example.org",
        "zukunftsstadt@example.org",
    }
    for mail in mails:
        assert "Zwischennachweis 2016" in mail["Subject"]
        assert "fällig am 02.05.2017" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        assert "Guten Tag" in text and "ANBest-Gk" in text
        assert "http://127.0.0.1:8000/programme/" in text and "#frist-" in text
        assert [a.get_content_type() for a in mail.iter_attachments()] == [
            "text/calendar"
        ]
    second = cli("remind", "--now", "2017-04-10T08:00", db=db)
    assert second.exit_code == 0
    assert "0 Erinnerungen neu geplant, 0 verschickt" in second.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_demo_deadlines_and_ics_export(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    cli("demo", db=db)
    listing = cli("deadlines", "--days", "60", db=db)
    assert "02.05.2017" in listing.output and "30.04.2017)" in listing.output
    mine = cli(
        "deadlines", "--days", "60", "--person", "zukunftsstadt@example.org", db=db
    )
    assert "Zukunftsstadt" in mine.output and "KoKo" not in mine.output
    out = tmp_path / "fristen.ics"
    assert cli("export", "ics", "--output", str(out), db=db).exit_code == 0
    events = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert len(events) >= 5
    done = cli("done", "999999", db=db)
    assert done.exit_code == 2 and "gibt es nicht" in done.output


def test_transport_failures_are_explained_in_german(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportDown) as refused:
        SmtpTransport("127.0.0.1", port, timeout=2).__enter__()
    assert "Verbindung abgelehnt" in str(refused.value)
    assert "Errno" not in str(refused.value)
    in_the_way = tmp_path / "ausgang"
    in_the_way.write_text("eine Datei, kein Ordner\n", encoding="utf-8")
    with pytest.raises(TransportDown) as blocked:
        OutboxTransport(in_the_way).__enter__()
    assert "eine Datei gleichen Namens ist im Weg" in str(blocked.value)
    assert "File exists" not in str(blocked.value)


@pytest.mark.parametrize("text", ["{{ m.title }", "{{ m.gibt_es_nicht.tiefer }}"])
def test_broken_office_mail_template_is_a_german_input_error(tmp_path, text):
    from portfolio.domain.errors import InputError

    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "reminder.txt").write_text(text, encoding="utf-8")
    office = replace(OFFICE, templates_dir=str(tmp_path))
    with pytest.raises(
        InputError, match=r"Die eigene E-Mail-Vorlage .* ist fehlerhaft"
    ):
        reminder_message(MAIL, office)


def _library_ics(mails, office):
    """The calendar as the icalendar library writes it (what ics_for replaced)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//portfolio//Fristen//DE")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for mail in mails:
        event = icalendar.Event()
        domain = office.sender.rsplit("@", 1)[-1] or "localhost"
        event.add("uid", f"obligation-{mail.obligation_id}@{domain}")
        event.add("dtstamp", office.now)
        event.add("dtstart", mail.due_effective)
        event.add("summary", f"Frist: {mail.title} ({mail.programme})")
        lines = [f"{mail.kind}: {mail.title}", f"Programm: {mail.programme}"]
        if mail.due_effective != mail.due_on:
            lines.append(
                f"Fällig am {mail.due_effective:%d.%m.%Y} (berechnet "
                f"{mail.due_on:%d.%m.%Y}, verschoben auf den nächsten Werktag)"
            )
        if mail.source:
            lines.append(f"Grundlage: {mail.source}")
        lines += [f"- {item}" for item in mail.checklist]
        event.add("description", "\n".join(lines))
        if mail.link:
            event.add("url", mail.link)
        cal.add_component(event)
    return bytes(cal.to_ical())


_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(
    title=_TEXT,
    programme=_TEXT,
    source=_TEXT,
    checklist=st.lists(_TEXT, max_size=3),
    link=st.sampled_from(["", "https://portfolio.kreis-re.example/fristen/19?a=1,2"]),
)
def test_calendar_part_is_byte_for_byte_what_icalendar_writes(
    title, programme, source, checklist, link
):
    mail = replace(
        MAIL, title=title, programme=programme, source=source,
        checklist=tuple(checklist), link=link,
    )  # fmt: skip
    ours = ics_for([mail, MAIL], OFFICE)
    assert ours == _library_ics([mail, MAIL], OFFICE)
    assert all(len(line) <= 75 for line in ours.split(b"\r\n"))
