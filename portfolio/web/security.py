"""The web UI's guards: login, roles, CSRF tokens, the client's address.

Each guard is one small function so a test can prove it matters: remove the guard and
its test fails. Pages get the current user from the server-side session (see
``portfolio.web.sessions``: the cookie is HttpOnly, SameSite=Lax, Secure when the base
URL is https, and holds a random id only); the JSON API uses a per-user bearer token
instead and needs no CSRF token. ``client_address`` believes X-Forwarded-For only from
the proxies named in ``web.trusted_proxies``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from portfolio.domain.enums import UserRole
from portfolio.domain.errors import InvalidValue
from portfolio.domain.models import User
from portfolio.services.users import user_by_api_token
from portfolio.storage.db import session_scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


def db(request: Request) -> Iterator[Session]:
    """A unit of work per request: read-only for GET, committed for changes."""
    engine = request.app.state.engine
    read_only = request.method in SAFE_METHODS
    with session_scope(engine, who="web", read_only=read_only) as session:
        session.info["address"] = client_address(request)
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


def parse_proxies(text: str) -> tuple[IPNetwork, ...]:
    """The trusted reverse proxies of ``web.trusted_proxies`` (addresses or nets)."""
    found = []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            try:
                found.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise InvalidValue(
                    f"web.trusted_proxies: {part.strip()!r} ist keine IP-Adresse und "
                    "kein Netz (Beispiel: 10.0.0.5, 10.1.0.0/16)."
                ) from exc
    return tuple(found)


def _trusted(address: str, proxies: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: Request) -> str:
    """The address a request came from; X-Forwarded-For only via trusted proxies.

    The header is read from the right: each hop a trusted proxy added is skipped,
    the first other one is the client (anything left of it may be forged).
    """
    peer = request.client.host if request.client else "?"
    proxies: tuple[IPNetwork, ...] = request.app.state.trusted_proxies
    if not _trusted(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for hop in request.headers.get("x-forwarded-for", "").split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
