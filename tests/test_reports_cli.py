"""Report commands: narrative texts, report files, --send with its record, errors."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio.domain.models import Contact, Funder, Narrative, ReportSending
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


@pytest.fixture
def demo(sqlite_url: str, cli) -> str:
    assert cli("demo", db=sqlite_url).exit_code == 0
    return sqlite_url


def test_narrative_from_file_then_in_report(demo: str, cli, tmp_path: Path) -> None:
    text = tmp_path / "ziele.txt"
    text.write_text("Drei Koordinierungsstellen besetzen.\n", encoding="utf-8")
    args = ["narrative", "kommunale-koordinierung", "--year", "2017"]
    result = cli(*args, "--section", "Ziele", "--from", str(text), db=demo)
    assert result.exit_code == 0, result.output
    assert "„Ziele“: neu" in result.output
    again = cli(*args, "--section", "ziele", "--from", str(text), db=demo)
    assert "unverändert" in again.output
    html = tmp_path / "b.html"
    result = cli("report", "programme", "kommunale-koordinierung", "--year", "2017",
                 "--format", "html", "-o", str(html), db=demo)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Drei Koordinierungsstellen besetzen." in html.read_text()
    text.write_text("", encoding="utf-8")
    assert (
        "gelöscht"
        in cli(*args, "--section", "ziele", "--from", str(text), db=demo).output
    )
    engine = open_database(demo)
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Narrative)) == 0
    engine.dispose()


def test_narrative_errors_are_one_german_line(demo: str, cli, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("x", encoding="utf-8")
    bad = cli("narrative", "kokoo", "--year", "2017", "--section", "ziele", "--from",
              str(text), db=demo)  # fmt: skip
    assert bad.exit_code == 2 and "Kein Programm" in bad.output
    bad = cli("narrative", "kaoa", "--year", "2017", "--section", "Fazit", "--from",
              str(text), db=demo)  # fmt: skip
    assert bad.exit_code == 2 and "Unbekannter Abschnitt" in bad.output
    assert "Traceback" not in bad.output


def test_report_files_and_errors(demo: str, cli, tmp_path: Path) -> None:
    for fmt in ("docx", "pdf", "xlsx", "html"):
        result = cli(
            "report", "funder", "BMBF", "--year", "2017", "--format", fmt, db=demo
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"Jahresbericht-2017-BMBF.{fmt}").stat().st_size > 1000
    unknown = cli("report", "funder", "BMFB", "--year", "2017", db=demo)
    assert unknown.exit_code == 2
    assert "Meinten Sie BMBF" in unknown.output
    bad_year = cli("report", "funder", "BMBF", "--year", "17", db=demo)
    assert bad_year.exit_code == 2 and "1990" in bad_year.output


def _contact_for_bmbf(db: str) -> None:
    engine = open_database(db)
    with session_scope(engine) as session:
        contact = Contact(email="pt@dlr.example", name="DLR Projektträger")
        session.add(contact)
        session.flush()
        funder = session.scalar(sa.select(Funder).where(Funder.short_name == "BMBF"))
        assert funder is not None
        funder.contact_id = contact.id
    engine.dispose()


def test_send_writes_mail_records_and_asks_second_time(
    demo: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "ausgang"
    args = ["report", "funder", "BMBF", "--year", "2017", "--format", "pdf", "--send"]
    esf = ["report", "funder", "ESF", "--year", "2017", "--format", "pdf", "--send"]
    no_contact = cli(*esf, db=demo)  # the demo's ESF has no contact address
    assert no_contact.exit_code == 2 and "keine Kontaktadresse" in no_contact.output
    _contact_for_bmbf(demo)
    monkeypatch.setenv("PORTFOLIO_MAIL_OUTBOX", str(outbox))
    result = cli(*args, db=demo)
    assert result.exit_code == 0, result.output
    assert "gesendet (Kopie an bildungsbuero@example.org)" in result.output
    [eml] = list(outbox.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "pt@dlr.example"
    assert message["Cc"] == "bildungsbuero@example.org"
    names = sorted(p.get_filename() for p in message.iter_attachments())
    assert names == ["Jahresbericht-2017-BMBF.docx", "Jahresbericht-2017-BMBF.pdf"]
    body = message.get_body(("plain",)).get_content()
    assert "Sehr geehrte Damen und Herren" in body
    # The second sending asks; saying no sends nothing.
    declined = cli(*args, db=demo, input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "Noch einmal senden? [j/N]" in declined.output
    assert "Nicht gesendet." in declined.output
    assert "[y/N]" not in declined.output
    # No terminal to ask (a cron job): refused with a hint, not sent, exit 2.
    unasked = cli(*args, db=demo, input="")
    assert unasked.exit_code == 2, unasked.output
    assert "Keine Antwort auf die Rückfrage (kein Terminal)" in unasked.output
    assert "--yes" in unasked.output
    assert len(list(outbox.glob("*.eml"))) == 1
    engine = open_database(demo)
    with session_scope(engine, read_only=True) as session:
        rows = list(session.scalars(sa.select(ReportSending)))
    engine.dispose()
    assert [(r.subject, r.year, r.status) for r in rows] == [("BMBF", 2017, "sent")]
    assert "kommunale-koordinierung" in rows[0].programmes


def test_interrupted_sending_is_not_repeated_silently(
    demo: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _contact_for_bmbf(demo)
    engine = open_database(demo)
    with session_scope(engine) as session:  # a crash between writing and sending
        row = ReportSending(kind="funder", subject="BMBF", year=2017,
                            recipient="pt@dlr.example", status="sending")  # fmt: skip
        session.add(row)
    engine.dispose()
    monkeypatch.setenv("PORTFOLIO_MAIL_OUTBOX", str(tmp_path / "ausgang"))
    args = ["report", "funder", "BMBF", "--year", "2017", "--format", "pdf", "--send"]
    asked = cli(*args, db=demo, input="n\n")
    assert "vielleicht schon gesendet" in asked.output
    assert not (tmp_path / "ausgang").exists()
    confirmed = cli(*args, "--yes", db=demo)
    assert confirmed.exit_code == 0, confirmed.output
    assert len(list((tmp_path / "ausgang").glob("*.eml"))) == 1


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("funder_report.html", b"<html>{{ report.title }\n", "html"),
        ("funder_report.html", b"<html>{{ report.gibt_es_nicht }}</html>", "pdf"),
        ("funder_report.docx", b"keine Word-Datei", "docx"),
    ],
)
def test_broken_office_template_is_their_input_not_a_bug(
    demo: str,
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    fmt: str,
) -> None:
    folder = tmp_path / "vorlagen"
    folder.mkdir()
    (folder / name).write_bytes(content)
    monkeypatch.setenv("PORTFOLIO_TEMPLATES", str(folder))
    target = tmp_path / f"bericht.{fmt}"
    args = ["report", "funder", "BMBF", "--year", "2017", "--format", fmt]
    result = cli(*args, "-o", str(target), db=demo)
    assert result.exit_code == 2, result.output
    assert "Die eigene Vorlage" in result.output and "ist fehlerhaft" in result.output
    assert "Interner Fehler" not in result.output
    assert not target.exists()
