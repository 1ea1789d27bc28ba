"""The web UI's guards: login, roles, CSRF tokens, login rate limit, upload size.

Each guard is one small function so a test can prove it matters: remove the guard and
its test fails. Pages get the current user from the signed session cookie (Starlette's
SessionMiddleware: HttpOnly, SameSite=Lax, Secure when the base URL is https); the
JSON API uses a per-user bearer token instead and needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from portfolio.domain.enums import UserRole
from portfolio.domain.models import User
from portfolio.services.users import user_by_api_token
from portfolio.storage.db import session_scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class UserView:
    """The logged-in user as the layout shows it (safe after the session ends)."""

    username: str
    role: UserRole


class LoginRequired(Exception):
    """No (active) user is logged in."""


class Forbidden(Exception):
    """The user's role does not allow this."""


class CsrfFailed(Exception):
    """A changing request came without the session's CSRF token."""


class ApiUnauthorized(Exception):
    """An API request without a valid token."""


class TooManyAttempts(Exception):
    """Too many failed logins from one address for one name."""


def db(request: Request) -> Iterator[Session]:
    """A unit of work per request: read-only for GET, committed for changes."""
    engine = request.app.state.engine
    read_only = request.method in SAFE_METHODS
    with session_scope(engine, who="web", read_only=read_only) as session:
        yield session


def current_user(
    request: Request, session: Session = Depends(db, scope="function")
) -> User:
    """The logged-in, active user; records their name for the change log."""
    user_id = request.session.get("uid")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        request.session.pop("uid", None)
        raise LoginRequired
    session.info["who"] = f"web:{user.username}"
    request.state.user = UserView(user.username, user.role)
    return user


def require_editor(user: User = Depends(current_user)) -> User:
    """Editors and admins may change data; viewers may not."""
    if user.role not in (UserRole.EDITOR, UserRole.ADMIN):
        raise Forbidden
    return user


def require_admin(user: User = Depends(current_user)) -> User:
    """Only admins manage users and see the reminder log."""
    if user.role is not UserRole.ADMIN:
        raise Forbidden
    return user


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a changing request whose form or header lacks the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if (
        not isinstance(expected, str)
        or not sent
        or not hmac.compare_digest(expected, sent)
    ):
        raise CsrfFailed


_bearer = HTTPBearer(auto_error=False, description="Persönlicher API-Schlüssel")


def api_user(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: Session = Depends(db, scope="function"),
) -> User:
    """The user an API request's bearer token belongs to."""
    user = user_by_api_token(session, credentials.credentials if credentials else "")
    if user is None:
        raise ApiUnauthorized
    session.info["who"] = f"api:{user.username}"
    return user


def api_editor(user: User = Depends(api_user)) -> User:
    """API writes need the editor or admin role."""
    if user.role not in (UserRole.EDITOR, UserRole.ADMIN):
        raise Forbidden
    return user


class LoginLimiter:
    """At most ``attempts`` failed logins per address and name within ``window`` s."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        """Start with no failures recorded."""
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def check(self, address: str, username: str) -> None:
        """Raise when this address has failed too often for this name (or at all)."""
        now = time.monotonic()
        with self._lock:
            per_name = self._recent((address, username.lower()), now)
            per_address = self._recent((address, ""), now)
            if len(per_name) >= self.attempts or len(per_address) >= self.attempts * 4:
                raise TooManyAttempts

    def failed(self, address: str, username: str) -> None:
        """Record a failed login."""
        now = time.monotonic()
        with self._lock:
            self._recent((address, username.lower()), now).append(now)
            self._recent((address, ""), now).append(now)

    def succeeded(self, address: str, username: str) -> None:
        """Forget the failures of a name after a good login."""
        with self._lock:
            self._failures.pop((address, username.lower()), None)
