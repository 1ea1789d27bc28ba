"""The session middleware: ``request.session`` backed by the ``sessions`` table.

It replaces Starlette's signed-cookie sessions, whose payload anyone holding the
cookie can read and which no logout can revoke. The cookie carries a random id and
nothing else; the data (CSRF token, flash messages, the pending upload) stays in
the database, so two server processes see the same sessions and a revoked session
is gone for all of them. Views keep using ``request.session`` like a dict;
``start_session`` (after a good login) and ``close_session`` (logout) tell the
middleware to rotate or drop the id.
"""

from __future__ import annotations

import contextlib
import copy
from http.cookies import CookieError, SimpleCookie
from typing import Any

import anyio.to_thread
from fastapi import Request
from sqlalchemy.engine import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio.services.sessions import (
    Lifetimes,
    end_session,
    load_session,
    needs_touch,
    new_session_id,
    save_session,
)
from portfolio.storage.db import session_scope

SESSION_COOKIE = "portfolio_session"
_STATE = "portfolio.session"


class _State:
    """What the middleware knows about the request's session."""

    def __init__(
        self, session_id: str | None, data: dict[str, Any], touch: bool
    ) -> None:
        self.session_id = session_id
        self.existed = session_id is not None
        self.original = copy.deepcopy(data)
        self.touch = touch
        self.rotate = False
        self.close = False


def start_session(request: Request, user_id: int) -> None:
    """After a good login: a fresh session id, holding only the user."""
    state: _State = request.scope[_STATE]
    request.session.clear()
    request.session["uid"] = user_id
    state.rotate = True


def close_session(request: Request) -> None:
    """Logout: forget the session on the server and in the browser."""
    state: _State = request.scope[_STATE]
    request.session.clear()
    state.close = True


def current_session_id(request: Request) -> str | None:
    """The id of the request's session (to keep it when revoking the others)."""
    state: _State | None = request.scope.get(_STATE)
    return state.session_id if state is not None else None


class ServerSessionMiddleware:
    """Load the session before the request, store it before the answer."""

    def __init__(
        self, app: ASGIApp, engine: Engine, limits: Lifetimes, https_only: bool
    ) -> None:
        """Wrap an app; sessions live in ``engine``'s database."""
        self.app = app
        self.engine = engine
        self.limits = limits
        self.flags = "; HttpOnly; SameSite=Lax" + ("; Secure" if https_only else "")

    def _load(self, session_id: str | None) -> _State:
        if session_id:
            with session_scope(self.engine, "web") as session:
                row = load_session(session, session_id, self.limits)
                if row is not None:
                    return _State(session_id, dict(row.data or {}), needs_touch(row))
        return _State(None, {}, False)

    def _store(self, state: _State, data: dict[str, Any]) -> str | None:
        """Write the session; the cookie value to set ('' clears it), or None."""
        with session_scope(self.engine, "web") as session:
            if state.close:
                if state.session_id:
                    end_session(session, state.session_id)
                return "" if state.existed else None
            if state.rotate and state.session_id:
                end_session(session, state.session_id)
                state.session_id, state.existed = None, False
            if not state.existed:
                if not data:
                    return None
                state.session_id = new_session_id()
                save_session(session, state.session_id, data, existed=False, touch=True)
                return state.session_id
            assert state.session_id is not None
            if data != state.original or state.touch:
                alive = save_session(
                    session, state.session_id, data, existed=True, touch=state.touch
                )
                if not alive:
                    return ""
            return None

    def _cookie(self, value: str) -> bytes:
        if not value:
            return (
                f"{SESSION_COOKIE}=; Path=/; Max-Age=0; "
                "Expires=Thu, 01 Jan 1970 00:00:00 GMT" + self.flags
            ).encode()
        max_age = int(self.limits.lifetime.total_seconds())
        text = f"{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}{self.flags}"
        return text.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Give the request its session and store the session before answering."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                with contextlib.suppress(CookieError):  # a broken cookie: no session
                    cookie.load(value.decode("latin-1"))
        sent = cookie.get(SESSION_COOKIE)
        state = await anyio.to_thread.run_sync(
            self._load, sent.value if sent is not None else None
        )
        data: dict[str, Any] = copy.deepcopy(state.original)
        scope["session"] = data
        scope[_STATE] = state

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = await anyio.to_thread.run_sync(self._store, state, data)
                if value is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", self._cookie(value).decode())
            await send(message)

        await self.app(scope, receive, send_with_session)
