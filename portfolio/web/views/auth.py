"""Login, logout, the health check and the OpenAPI document.

Only ``/health`` and the login page are open. Every login attempt is counted by the
throttle (``portfolio.services.throttle``) and waits the delay it returns before the
password is checked – asynchronously, so a waiting guess holds no worker thread. A
good login starts a fresh session (new id, new CSRF token) so a planted cookie cannot
be taken over.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from portfolio.domain.models import User
from portfolio.services import audit, throttle
from portfolio.services.throttle import ThrottleRules
from portfolio.services.users import authenticate, user_by_api_token
from portfolio.storage.db import session_scope
from portfolio.web.security import (
    LoginRequired,
    check_csrf,
    client_address,
    csrf_token,
    db,
)
from portfolio.web.sessions import close_session, start_session

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static"


@router.get("/health")
def health(session: Session = Depends(db, scope="function")) -> dict[str, str]:
    """Whether the web process and its database answer."""
    session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would help phishing.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _login_page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    settings = request.app.state.settings
    context = {
        "csrf": csrf_token(request),
        "user": None,
        "office": settings.get("office.name"),
        "lead_email": settings.get("office.lead_email"),
        **values,
    }
    return templates.TemplateResponse(
        request, "login.html", context, status_code=status
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The tab icon (browsers ask for this address whatever the page says)."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The login page."""
    return _login_page(request, next=_safe_next(next))


def _count_attempt(request: Request, username: str, address: str) -> float:
    rules: ThrottleRules = request.app.state.throttle
    # Its own, committed unit of work: parallel guesses must see this count.
    with session_scope(request.app.state.engine, "web") as session:
        return throttle.count_attempt(session, username, address, rules)


def _check_password(
    request: Request, username: str, password: str, address: str
) -> int | None:
    rules: ThrottleRules = request.app.state.throttle
    with session_scope(request.app.state.engine, "web") as session:
        session.info["address"] = address
        user = authenticate(session, username, password, request.app.state.directory)
        if user is None:
            audit.record(
                session, "login_failed", target=username.strip()[:80], actor="web"
            )
            return None
        throttle.succeeded(session, username, address)
        throttle.purge(session, rules)
        audit.record(
            session, "login", target=user.username, actor=f"web:{user.username}"
        )
        return user.id


def _german_seconds(seconds: float) -> str:
    text = f"{seconds:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} Sekunde" if text == "1" else f"{text} Sekunden"


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """Check the password after the throttle's wait; start a fresh session."""
    address = client_address(request)
    target = _safe_next(next)
    delay = await run_in_threadpool(_count_attempt, request, username, address)
    if delay > 0:
        # A wait, never a wall: the right password still gets in afterwards.
        await asyncio.sleep(delay)
    user_id = await run_in_threadpool(
        _check_password, request, username, password, address
    )
    if user_id is None:
        error = "Benutzername oder Passwort ist falsch."
        if delay > 0:
            error += (
                " Nach mehreren Fehlversuchen antwortet die Anmeldung langsamer "
                f"(diesmal um {_german_seconds(delay)} verzögert)."
            )
        return _login_page(request, 401, next=target, username=username, error=error)
    start_session(request, user_id)
    csrf_token(request)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(
    request: Request, session: Session = Depends(db, scope="function")
) -> RedirectResponse:
    """End the session (on the server: the old cookie opens nothing any more)."""
    user_id = request.session.get("uid")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is not None:
        audit.record(
            session, "logout", target=user.username, actor=f"web:{user.username}"
        )
    close_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/openapi.json")
def openapi(
    request: Request, session: Session = Depends(db, scope="function")
) -> JSONResponse:
    """The API description, for logged-in users or API-token holders."""
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else ""
    user_id = request.session.get("uid")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if (user is None or not user.active) and user_by_api_token(session, token) is None:
        raise LoginRequired
    return JSONResponse(request.app.openapi())
