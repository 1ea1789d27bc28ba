"""Yearly drafts: last year's reports to the office lead, once, never to a funder."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from portfolio.domain.errors import InputError
from portfolio.notify import OutboxTransport
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports import ReportOptions
from reports.yearly import parse_yearly_date, run_yearly


def test_parse_yearly_date() -> None:
    assert parse_yearly_date("15.01.") == (15, 1)
    assert parse_yearly_date("1.2") == (1, 2)
    with pytest.raises(InputError, match="kein Tag im Jahr"):
        parse_yearly_date("31.02.")


def test_drafts_go_to_the_lead_once(db_url: str, cli, tmp_path: Path) -> None:
    assert cli("demo", "--today", "15.01.2018", db=db_url).exit_code == 0
    engine = open_database(db_url)
    outbox = tmp_path / "ausgang"

    def run():
        return run_yearly(
            lambda: session_scope(engine, "scheduler"),
            OutboxTransport(outbox),
            ReportOptions(office_name="Kreis Recklinghausen"),
            sender="portfolio@kreis-re.example",
        )

    first = run()
    assert first.sent, first.text
    [eml] = list(outbox.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "bildungsbuero@example.org"  # the demo's office lead
    assert message["Subject"] == "Entwurf zur Durchsicht: Jahresberichte 2017"
    names = sorted(p.get_filename() for p in message.iter_attachments())
    assert "Jahresbericht-2017-BMBF.docx" in names
    assert "Jahresbericht-2017-Portfolio.pdf" in names
    assert (
        "noch an niemanden außerhalb des Büros"
        in message.get_body(("plain",)).get_content()
    )
    second = run()
    assert not second.sent and "schon versandt" in second.text
    assert len(list(outbox.glob("*.eml"))) == 1
    engine.dispose()


def test_scheduler_has_the_yearly_job(sqlite_url: str, cli, tmp_path: Path) -> None:
    import scheduler
    from portfolio.config import load_settings

    assert cli("demo", "--today", "15.01.2018", db=sqlite_url).exit_code == 0
    settings = load_settings(environ={}).with_overrides(
        **{"database.url": sqlite_url, "mail.outbox_dir": str(tmp_path / "out"),
           "reports.yearly_date": "20.01."}
    )  # fmt: skip
    engine = open_database(sqlite_url)
    jobs = {j.id: j for j in scheduler.build_scheduler(engine, settings).get_jobs()}
    trigger = str(jobs["yearly-reports"].trigger)
    assert "month='1'" in trigger and "day='20'" in trigger
    scheduler.yearly_reports_job(engine, settings)  # Stichtag: outbox only
    engine.dispose()
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1
