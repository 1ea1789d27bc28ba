"""The last active admin cannot be demoted or locked out (issue 16).

From the command line (``portfolio user role|deactivate``) and from Verwaltung ›
Benutzer: taking the admin role or the account from the only active admin is
refused with a German message and changes nothing; with a second admin it works.
On PostgreSQL two admins demoting each other at the same moment leave one admin.
(portfolio has no way to delete a user: accounts are switched off, so their
history stays readable.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from web_support import client, csrf_of, login, prepare_db

from portfolio.domain.enums import UserRole
from portfolio.domain.errors import Conflict
from portfolio.domain.models import User
from portfolio.services.users import find_user, update_user
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

Cli = Callable[..., Any]
LAST = "letzte aktive Admin"


def _roles(db_url: str) -> dict[str, tuple[str, bool]]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(sa.select(User.username, User.role, User.active)).all()
    engine.dispose()
    return {name: (role.value, active) for name, role, active in rows}


def test_cli_refuses_to_demote_or_lock_the_last_admin(db_url: str, cli: Cli) -> None:
    prepare_db(db_url, demo=False)  # users admin, editor, viewer
    before = _roles(db_url)

    demote = cli("user", "role", "admin", "editor", db=db_url)
    assert demote.exit_code == 2
    assert f"admin ist der {LAST}" in demote.stderr
    assert "Traceback" not in demote.output
    lock = cli("user", "deactivate", "admin", db=db_url)
    assert lock.exit_code == 2
    assert LAST in lock.stderr
    assert _roles(db_url) == before

    # a locked admin does not count as one
    assert cli("user", "role", "editor", "admin", db=db_url).exit_code == 0
    assert cli("user", "deactivate", "editor", db=db_url).exit_code == 0
    assert LAST in cli("user", "role", "admin", "viewer", db=db_url).stderr

    # with a second active admin both work
    assert cli("user", "deactivate", "editor", "--wieder", db=db_url).exit_code == 0
    moved = cli("user", "role", "admin", "viewer", db=db_url)
    assert moved.exit_code == 0, moved.output
    assert _roles(db_url)["admin"] == ("viewer", True)
    assert LAST in cli("user", "deactivate", "editor", db=db_url).stderr


def test_web_refuses_to_take_the_last_admin_and_allows_it_with_two(
    db_url: str,
) -> None:
    prepare_db(db_url, demo=False)
    ids = {name: _id(db_url, name) for name in ("admin", "editor")}
    admin = client(db_url)
    login(admin, "admin")
    token = csrf_of(admin, "/verwaltung")
    for data in ({"role": "editor", "active": "1"}, {"role": "admin", "active": ""}):
        refused = admin.post(
            f"/verwaltung/benutzer/{ids['admin']}", data={**data, "csrf_token": token}
        )
        assert refused.status_code in (409, 422)
        assert "Verwaltungsrechte" in refused.text or LAST in refused.text
    assert _roles(db_url)["admin"] == ("admin", True)

    promoted = admin.post(
        f"/verwaltung/benutzer/{ids['editor']}",
        data={"role": "admin", "active": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert promoted.status_code == 303
    second = client(db_url)
    login(second, "editor")
    taken = second.post(
        f"/verwaltung/benutzer/{ids['admin']}",
        data={"role": "viewer", "active": "1", "csrf_token": csrf_of(second, "/")},
        follow_redirects=False,
    )
    assert taken.status_code == 303
    assert _roles(db_url)["admin"] == ("viewer", True)


def _id(db_url: str, name: str) -> int:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        found = find_user(session, name)
        assert found is not None
        user_id = found.id
    engine.dispose()
    return user_id


def test_two_admins_demoting_each_other_at_once_leave_one(postgres_url: str) -> None:
    prepare_db(postgres_url, demo=False)
    engine = open_database(postgres_url)
    with session_scope(engine, "test") as session:
        editor = find_user(session, "editor")
        assert editor is not None
        editor.role = UserRole.ADMIN
    outcome: list[str] = []

    def demote_admin() -> None:
        with session_scope(engine, "cli:b") as other:
            target = find_user(other, "admin")
            assert target is not None
            try:
                update_user(
                    other, target, role=UserRole.VIEWER, active=True, acting=None
                )
                outcome.append("geändert")
            except Conflict as exc:
                outcome.append(exc.message)

    with session_scope(engine, "cli:a") as session:
        target = find_user(session, "editor")
        assert target is not None
        update_user(session, target, role=UserRole.VIEWER, active=True, acting=None)
        racer = threading.Thread(target=demote_admin)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # waits for this transaction's lock
    racer.join(timeout=30)
    engine.dispose()
    assert len(outcome) == 1 and LAST in outcome[0]
    roles = _roles(postgres_url)
    assert roles["admin"] == ("admin", True)
    assert roles["editor"] == ("viewer", True)


@pytest.mark.parametrize("active", [True, False])
def test_directory_sign_in_may_demote_even_the_last_admin(
    sqlite_url: str, active: bool
) -> None:
    """The directory decides roles at sign-in; ``portfolio user role`` mends it."""
    prepare_db(sqlite_url, demo=False)
    engine = open_database(sqlite_url)
    with session_scope(engine, "test") as session:
        admin = find_user(session, "admin")
        assert admin is not None
        update_user(
            session,
            admin,
            role=UserRole.EDITOR,
            active=active,
            acting=None,
            from_directory=True,
        )
    engine.dispose()
    assert _roles(sqlite_url)["admin"] == ("editor", active)
