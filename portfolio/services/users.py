"""Web users: create them, check passwords, issue API and calendar tokens.

Passwords are hashed with Argon2id (argon2-cffi) and never stored plain. An API
token is shown once and stored only as its SHA-256 (it is long and random, so a fast
hash is enough and lookups stay one indexed query). The ICS token is a random secret
in the URL of the personal calendar feed, stored hashed the same way; issuing a new
one revokes the old one. A new password, role or active flag ends the user's
sessions.
Services never commit; the door owns the transaction. argon2 is imported and the
dummy hash computed on first use, not at import: every ``portfolio`` command imports
this module, and a hash costs a noticeable part of a second.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import UserRole
from portfolio.domain.errors import Conflict, InvalidValue, NotFound
from portfolio.domain.models import User
from portfolio.services import audit
from portfolio.services.directory import Directory, directory_login
from portfolio.services.sessions import revoke_user_sessions

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PASSWORD = 8
# The stored "hash" of a directory user: no password ever matches it.
DIRECTORY_HASH = "!verzeichnis"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-passwort"  # noqa: S105 - the printed demo login


@cache
def _hasher() -> PasswordHasher:
    """The Argon2id hasher, made (and argon2 imported) on first use."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against for an unknown user, computed once on first use.

    Verifying against it keeps the time of a login for an unknown user the same as
    for a known one (only the very first such login also pays for the hash).
    """
    return _hasher().hash("portfolio-dummy-password")


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD:
        raise InvalidValue(
            f"Das Passwort ist zu kurz: mindestens {MIN_PASSWORD} Zeichen."
        )


def parse_role(text: str) -> UserRole:
    """A role from its name (admin, editor, viewer)."""
    try:
        return UserRole(text)
    except ValueError as exc:
        raise InvalidValue(
            f"Unbekannte Rolle {text!r}: erlaubt sind admin, editor und viewer."
        ) from exc


def find_user(session: Session, username: str) -> User | None:
    """The user with this name, if any."""
    return session.scalar(sa.select(User).where(User.username == username))


def add_user(
    session: Session,
    username: str,
    password: str,
    role: UserRole = UserRole.VIEWER,
    email: str | None = None,
) -> User:
    """Create a user; the name must be new and the password long enough."""
    username = username.strip()
    if find_user(session, username) is not None:
        raise Conflict(f"Den Benutzer {username!r} gibt es schon.")
    check_password_rules(password)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        email=email or None,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user_created", target=user.username, role=role.value)
    return user


def set_password(
    session: Session, user: User, password: str, *, keep: str | None = None
) -> None:
    """Give a user a new password; every other session of theirs ends."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    session.flush()
    ended = revoke_user_sessions(session, user.id, keep=keep)
    audit.record(session, "password_changed", target=user.username, sessions=ended)


def authenticate(
    session: Session,
    username: str,
    password: str,
    directory: Directory | None = None,
) -> User | None:
    """The active user whose password matches, else None (same cost either way).

    With a ``directory`` a name without a matching local password is checked
    there (``portfolio.services.directory``); local accounts come first.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    user = find_user(session, username.strip())
    stored = user.password_hash if user is not None else _dummy_hash()
    if stored.startswith(DIRECTORY_HASH):
        stored = _dummy_hash()  # same cost; a directory user has no local password
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        if directory is None:
            return None
        return _directory_user(session, user, username.strip(), password, directory)
    if user is None or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _directory_user(
    session: Session,
    user: User | None,
    username: str,
    password: str,
    directory: Directory,
) -> User | None:
    if user is not None and not user.password_hash.startswith(DIRECTORY_HASH):
        return None  # a local account: its own password only
    role = directory_login(directory, username, password)
    if role is None:
        return None
    if user is None:
        user = User(username=username, password_hash=DIRECTORY_HASH, role=role)
        session.add(user)
        session.flush()
        audit.record(session, "user_created", target=username, role=role.value)
    elif not user.active:
        return None
    elif user.role is not role:
        update_user(
            session, user, role=role, active=True, acting=None, from_directory=True
        )
    return user


def token_digest(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(session: Session, user: User) -> str:
    """A new API token for a user (shown once; the old one stops working)."""
    token = "pf_" + secrets.token_urlsafe(32)
    replaced = user.api_token_hash is not None
    user.api_token_hash = token_digest(token)
    session.flush()
    audit.record(
        session,
        "api_key_created",
        target=user.username,
        replaced="ja" if replaced else None,
    )
    return token


def revoke_api_token(session: Session, user: User) -> bool:
    """Switch a user's API token off; False if there was none."""
    if user.api_token_hash is None:
        return False
    user.api_token_hash = None
    session.flush()
    audit.record(session, "api_key_revoked", target=user.username)
    return True


def user_by_api_token(session: Session, token: str) -> User | None:
    """The active user an API token belongs to."""
    if not token:
        return None
    user = session.scalar(
        sa.select(User).where(User.api_token_hash == token_digest(token))
    )
    return user if user is not None and user.active else None


def issue_ics_token(session: Session, user: User) -> str:
    """A new secret for the personal calendar feed (revokes the old URL).

    Only its SHA-256 is stored, like the API token's: the URL is shown once.
    """
    token = secrets.token_urlsafe(24)
    user.ics_token = token_digest(token)
    session.flush()
    audit.record(session, "calendar_created", target=user.username)
    return token


def revoke_ics_token(session: Session, user: User) -> None:
    """Switch the personal calendar feed off."""
    user.ics_token = None
    session.flush()
    audit.record(session, "calendar_revoked", target=user.username)


def user_by_ics_token(session: Session, token: str) -> User | None:
    """The active user a calendar token belongs to."""
    if not token:
        return None
    user = session.scalar(sa.select(User).where(User.ics_token == token_digest(token)))
    return user if user is not None and user.active else None


def list_users(session: Session) -> list[User]:
    """All users by name."""
    return list(session.scalars(sa.select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User:
    """One user by id."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Einen Benutzer mit der Nummer {user_id} gibt es nicht.")
    return user


def update_user(
    session: Session,
    user: User,
    *,
    role: UserRole,
    active: bool,
    acting: User | None,
    from_directory: bool = False,
) -> None:
    """Change a user's role or switch them off; nobody locks themselves out.

    The last active admin keeps the role and stays active (``Conflict``), except
    when the directory says otherwise at sign-in (``from_directory``): there the
    office's directory decides, and ``portfolio user role`` can name a new admin.
    """
    if (
        acting is not None
        and user.id == acting.id
        and (role is not UserRole.ADMIN or not active)
    ):
        raise InvalidValue(
            "Sie können sich nicht selbst die Verwaltungsrechte entziehen oder "
            "sich selbst sperren."
        )
    if (
        not from_directory
        and user.role is UserRole.ADMIN
        and user.active
        and (role is not UserRole.ADMIN or not active)
    ):
        _keep_an_admin(session, user)
    before = (user.role, user.active)
    user.role = role
    user.active = active
    session.flush()
    if before != (role, active):
        # A role taken away must not live on in an open browser tab.
        ended = revoke_user_sessions(session, user.id)
        audit.record(
            session,
            "user_changed",
            target=user.username,
            role=f"{before[0].value} → {role.value}" if before[0] is not role else None,
            active=_yes_no(before[1], active),
            sessions=ended,
        )


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the last active admin (nobody could administer then).

    The active admins are read with ``FOR UPDATE`` on PostgreSQL, so two admins
    demoting each other at the same moment cannot both succeed (SQLite writes one
    transaction at a time anyway).
    """
    # All active admins, the one to change included, locked in one order: two
    # transactions demoting each other wait for each other instead of deadlocking.
    admins = session.scalars(
        sa.select(User.id)
        .where(User.role == UserRole.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    others = [admin for admin in admins if admin != user.id]
    if not others:
        raise Conflict(
            f"{user.username} ist der letzte aktive Admin: ohne ihn könnte niemand "
            "mehr Benutzer verwalten. Geben Sie zuerst einem anderen Benutzer die "
            "Rolle admin, dann lässt sich diese Rolle ändern oder das Konto sperren."
        )


def _yes_no(before: bool, after: bool) -> str | None:
    if before == after:
        return None
    return "ja → nein" if before else "nein → ja"


def ensure_demo_user(session: Session) -> tuple[str, str]:
    """Create (or reset) the demo login, an admin; returns name and password."""
    user = find_user(session, DEMO_USERNAME)
    if user is None:
        add_user(session, DEMO_USERNAME, DEMO_PASSWORD, UserRole.ADMIN)
    else:
        user.password_hash = hash_password(DEMO_PASSWORD)
        user.role = UserRole.ADMIN
        user.active = True
        session.flush()
    return DEMO_USERNAME, DEMO_PASSWORD
