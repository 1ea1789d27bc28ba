"""The audit log: one event per security-relevant act, with who, when and where.

Every act of the list in the issue is done the way a user does it (browser, API,
command line) and then found in ``portfolio audit`` and on the Verwaltung page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_support import PASSWORD, client, csrf_of, login, make_settings, prepare_db

from portfolio.domain.models import AuditEvent, User
from portfolio.services import audit, report_sending
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app

Cli = Callable[..., Any]


def _events(db_url: str) -> list[tuple[str, str, str | None, str | None]]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            sa.select(
                AuditEvent.action, AuditEvent.actor, AuditEvent.target,
                AuditEvent.address,
            ).order_by(AuditEvent.id)
        ).all()  # fmt: skip
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_every_act_of_the_list_is_logged(db_url: str, cli: Cli, tmp_path: Path) -> None:
    prepare_db(db_url, demo=False)
    admin = TestClient(
        create_app(make_settings(db_url)), client=("198.51.100.7", 40000)
    )
    assert login(admin, "admin", "falsch").status_code == 401
    assert login(admin, "admin").status_code == 303
    token = csrf_of(admin, "/konto")
    admin.post(
        "/verwaltung/benutzer",
        data={"username": "neu", "password": PASSWORD, "role": "viewer",
              "csrf_token": token},
    )  # fmt: skip
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        new_id = session.scalar(sa.select(User.id).where(User.username == "neu"))
    admin.post(
        f"/verwaltung/benutzer/{new_id}",
        data={"role": "editor", "active": "1", "csrf_token": token},
    )
    admin.post("/konto/api-schluessel", data={"csrf_token": token})
    admin.post("/konto/api-schluessel/widerrufen", data={"csrf_token": token})
    admin.post(
        "/konto/passwort",
        data={"old": PASSWORD, "new": "anders-789", "repeat": "anders-789",
              "csrf_token": token},
    )  # fmt: skip
    admin.post("/logout", data={"csrf_token": token})

    listing = tmp_path / "eins.csv"
    listing.write_text(
        "Programm;Fördergeber;Laufzeit\nKAoA;Land NRW;2016 - 2018\n", encoding="utf-8"
    )
    assert cli("import", str(listing), "--yes", db=db_url).exit_code == 0
    assert cli("imports", "undo", "1", db=db_url).exit_code == 0
    with session_scope(engine, "cli:test") as session:
        row = report_sending.start(
            session, kind="funder", subject="MSB", year=2016, programmes=["kaoa"],
            recipient="foerderer@example.org", cc=[], formats=["pdf"],
            sender="portfolio@example.org",
        )  # fmt: skip
        report_sending.mark_sent(session, row.id)
    assert cli("user", "role", "neu", "viewer", db=db_url).exit_code == 0
    engine.dispose()
    create_app(make_settings(db_url, **{"office.name": "Anderes Büro"}))

    events = _events(db_url)
    actions = [e[0] for e in events]
    for action in (
        "login_failed", "login", "user_created", "user_changed", "api_key_created",
        "api_key_revoked", "password_changed", "logout", "import_applied",
        "import_undone", "report_sent", "settings_changed",
    ):  # fmt: skip
        assert action in actions, action
    by_action = {e[0]: e for e in events}
    assert by_action["login_failed"][2:] == ("admin", "198.51.100.7")
    assert by_action["login"][1:] == ("web:admin", "admin", "198.51.100.7")
    assert by_action["user_created"][1:3] == ("web:admin", "neu")
    assert by_action["import_applied"][1].startswith("cli")
    assert actions.count("user_changed") == 2  # web and command line

    logged = cli("audit", db=db_url)
    assert logged.exit_code == 0, logged.output
    lines = logged.stdout.splitlines()
    assert len(lines) == len(events)
    assert any(
        "Anmeldung fehlgeschlagen" in line and "von 198.51.100.7" in line
        for line in lines
    )
    assert any("Rolle: viewer → editor" in line for line in lines)
    assert any("Einstellungen: office.name" in line for line in lines)
    assert PASSWORD not in logged.stdout and "anders-789" not in logged.stdout
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        details = session.scalars(sa.select(AuditEvent.detail)).all()
    engine.dispose()
    unnamed = {k for d in details for k in d if not k.startswith("_")} - set(
        audit.DETAIL_LABELS
    )
    assert not unnamed, f"detail keys without a German label: {unnamed}"
    assert "beendete Sitzungen" in logged.stdout
    future = cli("audit", "--since", "01.01.2099", db=db_url)
    assert "Keine Ereignisse seit 01.01.2099." in future.stdout


def test_admins_see_the_log_in_verwaltung_and_others_do_not(db_url: str) -> None:
    prepare_db(db_url, demo=False)
    viewer = client(db_url)
    login(viewer, "viewer", "falsch")
    login(viewer, "viewer")
    assert viewer.get("/verwaltung/protokoll").status_code == 403
    admin = client(db_url)
    login(admin, "admin")
    page = admin.get("/verwaltung/protokoll")
    assert page.status_code == 200
    assert "Anmeldung fehlgeschlagen" in page.text
    assert "testclient" in page.text  # from where
    only = admin.get("/verwaltung/protokoll?aktion=login_failed").text
    assert only.count("Anmeldung fehlgeschlagen</td>") == 1


def test_user_commands(db_url: str, cli: Cli) -> None:
    prepare_db(db_url, demo=False)
    http = client(db_url)
    login(http, "editor")
    listed = cli("user", "list", db=db_url)
    assert listed.exit_code == 0
    assert "editor" in listed.stdout and "aktiv" in listed.stdout
    done = cli("user", "passwd", "editor", "--password-stdin", db=db_url,
               input="neues-passwort\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert http.get("/konto", follow_redirects=False).status_code == 303
    assert login(client(db_url), "editor", "neues-passwort").status_code == 303
    assert cli("user", "deactivate", "editor", db=db_url).exit_code == 0
    assert "gesperrt" in cli("user", "list", db=db_url).stdout
    assert login(client(db_url), "editor", "neues-passwort").status_code == 401
    missing = cli("user", "role", "niemand", "admin", db=db_url)
    assert missing.exit_code == 2
    assert "Den Benutzer 'niemand' gibt es nicht" in missing.stderr
