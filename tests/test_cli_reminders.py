"""CLI of deadlines and reminders: regimes, regenerate, dry run, done, reminder log."""

from __future__ import annotations

from pathlib import Path


def demo(cli, tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli("demo", db=db).exit_code == 0
    return db


def test_regimes_lists_rules_with_sources(cli, tmp_path):
    result = cli("regimes", db=demo(cli, tmp_path))
    assert result.exit_code == 0
    for text in ("bund-anbest-gk", "BUND_ANBESTGK_VN", "ANBest-Gk Nr. 6.1", "belegt"):
        assert text in result.output


def test_regenerate_is_idempotent_on_the_demo(cli, tmp_path):
    db = demo(cli, tmp_path)
    result = cli("regenerate", db=db)
    assert result.exit_code == 0
    assert "0 neu, 0 geändert, 0 entfernt" in result.output


def test_dry_run_lists_and_writes_nothing(cli, tmp_path):
    db = demo(cli, tmp_path)
    dry = cli("remind", "--now", "2017-04-10T08:00", "--dry-run", db=db)
    assert dry.exit_code == 0
    assert "Probelauf" in dry.output and "zukunftsstadt@example.org" in dry.output
    assert not (tmp_path / "outbox").exists()
    log = cli("reminders", db=db)
    assert "zukunftsstadt@example.org" not in log.output


def test_done_stops_further_reminders(cli, tmp_path):
    db = demo(cli, tmp_path)
    cli("remind", "--now", "2017-04-10T08:00", db=db)
    listing = cli("deadlines", "--days", "60", "--now", "2017-04-10", db=db).output
    # Both Zwischennachweise and Zukunftsstadt's overdue spending deadline (the
    # demo's payment of 25.11.2016, reminded weekly while overdue).
    cells = [
        line.split()
        for line in listing.splitlines()
        if "Zwischennachweis" in line or "Mittel verwenden" in line
    ]
    ids = [cell[1] for cell in cells if cell[1].isdigit()]
    assert len(ids) == 3
    for obligation_id in ids:
        done = cli("done", obligation_id, "--on", "20.04.2017", db=db)
        assert done.exit_code == 0 and "erledigt (am 20.04.2017)" in done.output
    later = cli("remind", "--now", "2017-04-17T08:00", db=db)
    assert "0 Erinnerungen neu geplant, 0 verschickt" in later.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_remind_with_bad_now_is_a_german_error(cli, tmp_path):
    result = cli("remind", "--now", "gestern", db=demo(cli, tmp_path))
    assert result.exit_code == 2
    assert "kein Datum" in result.output


def test_two_databases_sharing_an_outbox_do_not_overwrite_mails(
    cli, tmp_path: Path
) -> None:
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    for db in (first, second):
        assert cli("demo", db=db).exit_code == 0
    assert cli("remind", "--now", "2017-04-10T08:00", db=first).exit_code == 0
    written = sorted((tmp_path / "outbox").glob("*.eml"))
    assert written
    assert cli("remind", "--now", "2017-04-10T08:00", db=second).exit_code == 0
    # Row ids restart in every database; the Message-ID (and file name) must not.
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2 * len(written)


def test_broken_template_gives_claimed_reminders_back(cli, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from portfolio.domain.models import Reminder
    from portfolio.storage.db import session_scope
    from portfolio.storage.schema import open_database

    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert cli("demo", db=db).exit_code == 0
    broken = tmp_path / "vorlagen" / "email"
    broken.mkdir(parents=True)
    (broken / "reminder.txt").write_text("{% if %}kaputt", encoding="utf-8")
    env = {"PORTFOLIO_TEMPLATES": str(tmp_path / "vorlagen")}
    result = cli("remind", "--now", "2017-04-10T08:00", db=db, env=env)
    assert result.exit_code == 2, result.output
    assert "reminder.txt" in result.output
    engine = open_database(db)
    with session_scope(engine, read_only=True) as session:
        states = set(session.scalars(sa.select(Reminder.status)))
    engine.dispose()
    assert "sending" not in {s.value for s in states}
    assert list((tmp_path / "outbox").glob("*.eml")) == []
