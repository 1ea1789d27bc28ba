"""Documents by command line: attach real files, find them by their text, check them.

Every test runs on a SQLite file and on PostgreSQL with files the test writes
(WeasyPrint PDF, python-docx, openpyxl); the documents folder is the default one.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from documents_support import (
    make_docx,
    make_html_as_pdf,
    make_pdf,
    make_png,
    make_xlsx,
    make_zip_bomb_docx,
)

from portfolio.domain.models import Change
from portfolio.services.document_store import default_dir
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def _stored(db_url: str) -> list[Path]:
    folder = default_dir(db_url, None)
    return sorted(p for p in folder.iterdir() if len(p.name) == 64)


def test_attach_then_search_finds_each_file_by_its_text(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    pdf = make_pdf(tmp_path / "Bescheid 2016.pdf")
    docx = make_docx(tmp_path / "vertrag.docx")
    xlsx = make_xlsx(tmp_path / "plan.xlsx")
    png = make_png(tmp_path / "foto.png")
    done = cli(
        "attach", "zukunftsstadt", str(pdf), "--kind", "bescheid",
        "--award", "DEMO-ZUKUNFTSSTADT-II", "--title", "Zuwendungsbescheid 2016",
        "--date", "01.11.2016", db=db_url,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Angehängt: Nr. 1 Bescheid „Zuwendungsbescheid 2016“, 01.11.2016" in (
        done.output
    )
    more = cli(
        "attach", "zukunftsstadt", str(docx), str(xlsx), str(png), db=db_url
    )  # fmt: skip
    assert more.exit_code == 0, more.output
    assert more.output.count("Angehängt:") == 3

    found = cli("documents", "search", "Zwischennachweis 31.03.", db=db_url)
    assert found.exit_code == 0, found.output
    assert "Zuwendungsbescheid 2016" in found.output
    assert "zukunftsstadt" in found.output
    assert "DEMO-ZUKUNFTSSTADT-II" in found.output  # the award
    assert "»Zwischennachweis«" in found.output  # the snippet marks the word
    assert (
        "Bildungskonferenz"
        in cli("documents", "search", "Bildungskonferenz", db=db_url).output
    )
    assert "plan" in cli("documents", "search", "Sprachförderung", db=db_url).output
    nothing = cli("documents", "search", "Quantenphysik", db=db_url)
    assert nothing.exit_code == 0
    assert "Kein Dokument enthält" in nothing.output

    listed = cli("documents", "list", "zukunftsstadt", db=db_url)
    assert listed.exit_code == 0, listed.output
    for name in ("Bescheid_2016.pdf", "vertrag.docx", "plan.xlsx", "foto.png"):
        assert name in listed.output or name.replace("_", " ") in listed.output


def test_identical_upload_is_stored_once_and_versions_are_kept(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    first = make_pdf(tmp_path / "bescheid.pdf")
    assert cli("attach", "zukunftsstadt", str(first), db=db_url).exit_code == 0
    copy = tmp_path / "kopie.pdf"
    copy.write_bytes(first.read_bytes())
    other = cli("attach", "kaoa", str(copy), db=db_url)
    assert other.exit_code == 0, other.output
    assert "nicht doppelt abgelegt" in other.output
    assert len(_stored(db_url)) == 1

    again = cli("attach", "zukunftsstadt", str(first), db=db_url)
    assert "Schon vorhanden: Nr. 1" in again.output

    changed = make_pdf(tmp_path / "aenderungsbescheid.pdf", "Änderungsbescheid 2017")
    version = cli(
        "attach", "zukunftsstadt", str(changed), "--version-of", "1", db=db_url
    )
    assert version.exit_code == 0, version.output
    listed = cli("documents", "list", "zukunftsstadt", db=db_url).output
    assert listed.index("aenderungsbescheid.pdf") < listed.index("bescheid.pdf ")
    assert "V2" in listed
    assert "V1" in listed


def test_refused_files_are_named_and_the_rest_attached(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    evil = make_html_as_pdf(tmp_path / "bescheid.pdf")
    bomb = make_zip_bomb_docx(tmp_path / "bombe.docx")
    good = make_docx(tmp_path / "gut.docx")
    result = cli("attach", "zukunftsstadt", str(evil), str(bomb), str(good), db=db_url)
    assert result.exit_code == 1, result.output
    assert "„bescheid.pdf“ ist eine HTML-" in result.output
    assert "ZIP-Bombe" in result.output
    assert "Angehängt: Nr. 1" in result.output

    only_bad = cli("attach", "zukunftsstadt", str(evil), db=db_url)
    assert only_bad.exit_code == 2
    big = cli(
        "attach", "zukunftsstadt", str(make_pdf(tmp_path / "gross.pdf", pages=3)),
        db=db_url, env={"PORTFOLIO_DOCUMENTS_MAX_MB": "0"},
    )  # fmt: skip
    assert big.exit_code == 2
    assert "größer als erlaubt" in big.output

    unknown = cli("attach", "gibtsnicht", str(good), db=db_url)
    assert unknown.exit_code == 2
    assert "Ein Programm 'gibtsnicht' gibt es nicht" in unknown.output
    missing = cli("attach", "zukunftsstadt", str(tmp_path / "fehlt.pdf"), db=db_url)
    assert missing.exit_code == 2
    assert "gibt es nicht" in missing.output
    wrong_award = cli("attach", "zukunftsstadt", str(good), "--award", "XYZ", db=db_url)
    assert wrong_award.exit_code == 2
    assert "DEMO-ZUKUNFTSSTADT-II" in wrong_award.output


def test_check_reports_altered_and_missing_files(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    pdf = make_pdf(tmp_path / "bescheid.pdf")
    docx = make_docx(tmp_path / "vertrag.docx")
    assert cli("attach", "zukunftsstadt", str(pdf), str(docx), db=db_url).exit_code == 0
    ok = cli("documents", "check", db=db_url)
    assert ok.exit_code == 0, ok.output
    assert "Alle 2 Dokumente sind vollständig" in ok.output
    assert "Hinweis" not in ok.output
    (default_dir(db_url, None) / ("ab" * 32)).write_bytes(b"verwaist")
    orphan = cli("documents", "check", db=db_url)
    assert orphan.exit_code == 0
    assert "Hinweis: 1 Datei(en) im Dokumentenordner gehören zu keinem" in (
        orphan.output
    )

    stored = {p.stat().st_size: p for p in _stored(db_url)}
    pdf_file = stored[pdf.stat().st_size]
    pdf_file.write_bytes(pdf_file.read_bytes()[:-10] + b"0123456789")
    stored[docx.stat().st_size].unlink()
    bad = cli("documents", "check", db=db_url)
    assert bad.exit_code == 1
    assert "bescheid.pdf): Datei verändert" in bad.output
    assert "vertrag.docx): Datei fehlt" in bad.output

    refused = cli("documents", "get", "1", "-o", str(tmp_path / "x.pdf"), db=db_url)
    assert refused.exit_code == 1
    assert "verändert" in refused.output
    assert not (tmp_path / "x.pdf").exists()


def test_get_and_admin_delete_leave_a_change_log_line(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    pdf = make_pdf(tmp_path / "bescheid.pdf")
    assert cli("attach", "zukunftsstadt", str(pdf), db=db_url).exit_code == 0
    out = tmp_path / "zurueck.pdf"
    got = cli("documents", "get", "1", "-o", str(out), db=db_url)
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == pdf.read_bytes()

    no = cli("documents", "delete", "1", db=db_url, input="n\n")
    assert "Nicht gelöscht" in no.output
    deleted = cli("documents", "delete", "1", "--yes", db=db_url)
    assert deleted.exit_code == 0, deleted.output
    assert "Gelöscht: Nr. 1" in deleted.output
    assert _stored(db_url) == []
    assert (
        "keine Dokumente" in cli("documents", "list", "zukunftsstadt", db=db_url).output
    )
    assert (
        "Kein Dokument"
        in cli("documents", "search", "Zwischennachweis", db=db_url).output
    )
    engine = open_database(db_url)
    with session_scope(engine, "test", read_only=True) as session:
        log = session.scalars(
            sa.select(Change).where(Change.entity == "documents")
        ).all()
        actions = [(c.action.value, c.entity_id) for c in log]
    engine.dispose()
    assert ("create", "1") in actions
    assert ("delete", "1") in actions


def _zukunftsstadt_zn(db_url: str) -> list[str]:
    """The numbers of Zukunftsstadt's Zwischennachweise 2016 and 2017."""
    from portfolio.domain.models import Obligation, Programme

    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        ids = session.scalars(
            sa.select(Obligation.id)
            .join(Programme)
            .where(
                Programme.key == "zukunftsstadt",
                Obligation.title.in_(
                    ["Zwischennachweis 2016", "Zwischennachweis 2017"]
                ),
            )
            .order_by(Obligation.due_on)
        ).all()
    engine.dispose()
    return [str(i) for i in ids]


def test_done_attaches_what_was_sent_or_says_how(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    first, second = _zukunftsstadt_zn(db_url)
    sent = make_pdf(tmp_path / "Zwischennachweis-2016.pdf", "Zahlenmäßiger Nachweis")
    marked = cli(
        "done", first, "--status", "submitted", "--on", "28.04.2017",
        "--attach", str(sent), db=db_url,
    )  # fmt: skip
    assert marked.exit_code == 0, marked.output
    assert "ist jetzt eingereicht (am 28.04.2017)" in marked.output
    assert "Angehängt: Nr. 1 Nachweis" in marked.output
    listed = cli("documents", "list", "zukunftsstadt", db=db_url).output
    assert "Zwischennachweis 2016" in listed  # the deadline it answers
    hint = cli("done", second, db=db_url)
    assert f"portfolio attach zukunftsstadt DATEI --deadline {second}" in hint.output
    refused = cli(
        "done", second, "--attach", str(make_html_as_pdf(tmp_path / "x.pdf")),
        db=db_url,
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "ist jetzt" not in refused.output  # nothing marked: one unit of work


def test_report_send_keeps_the_sent_pdf_at_its_deadline(
    cli, sqlite_url: str, tmp_path: Path, monkeypatch
) -> None:
    from portfolio.domain.models import Contact, Funder

    assert cli("demo", db=sqlite_url).exit_code == 0
    engine = open_database(sqlite_url)
    with session_scope(engine, "test") as session:
        contact = Contact(email="pt@dlr.example", name="DLR Projektträger")
        session.add(contact)
        session.flush()
        funder = session.scalar(sa.select(Funder).where(Funder.short_name == "BMBF"))
        assert funder is not None
        funder.contact_id = contact.id
    engine.dispose()
    monkeypatch.setenv("PORTFOLIO_MAIL_OUTBOX", str(tmp_path / "ausgang"))
    sent = cli(
        "report", "programme", "zukunftsstadt", "--year", "2016", "--format", "pdf",
        "--send", db=sqlite_url,
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    assert (
        "Als Dokument abgelegt: Nr. 1 bei zukunftsstadt zur Frist "
        "„Zwischennachweis 2016“" in sent.output
    )
    [eml] = list((tmp_path / "ausgang").glob("*.eml"))
    import email
    from email import policy

    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    [pdf] = [p for p in message.iter_attachments() if p.get_filename().endswith("pdf")]
    stored = _stored(sqlite_url)
    assert [p.read_bytes() for p in stored] == [pdf.get_content()]


def test_retention_date_shown_and_due_for_deletion(
    cli, db_url: str, tmp_path: Path
) -> None:
    from datetime import date

    from portfolio.domain.enums import ObligationKind
    from portfolio.domain.models import Award, Obligation

    assert cli("demo", db=db_url).exit_code == 0
    pdf = make_pdf(tmp_path / "bescheid.pdf")
    other = make_docx(tmp_path / "notiz.docx")
    attached = cli(
        "attach", "zukunftsstadt", str(pdf), "--award", "DEMO-ZUKUNFTSSTADT-II",
        "--kind", "bescheid", db=db_url,
    )  # fmt: skip
    assert attached.exit_code == 0, attached.output
    assert cli("attach", "zukunftsstadt", str(other), db=db_url).exit_code == 0
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:  # as the rules record it (§9)
        award = session.scalar(
            sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
        )
        assert award is not None
        session.add(
            Obligation(
                programme_id=award.programme_id, award_id=award.id,
                kind=ObligationKind.AUFBEWAHRUNG, title="Aufbewahrung bis",
                due_on=date(2028, 12, 31), origin="manual",
            )
        )  # fmt: skip
    engine.dispose()
    listed = cli("documents", "list", "zukunftsstadt", db=db_url).output
    assert "31.12.2028" in listed
    assert listed.count("31.12.2028") == 1  # only the award's document
    none = cli("documents", "due-for-deletion", db=db_url)  # Stichtag 15.03.2017
    assert none.exit_code == 0
    assert "Am 15.03.2017 ist kein Dokument zur Löschung fällig" in none.output
    due = cli("documents", "due-for-deletion", "--today", "01.01.2029", db=db_url)
    assert due.exit_code == 0, due.output
    assert "Zur Löschung fällig am 01.01.2029 (1)" in due.output
    assert "bescheid.pdf" in due.output
    assert "notiz.docx" not in due.output
    assert "portfolio documents delete NR" in due.output
