"""Login, logout, the health check and the OpenAPI document.

Only ``/health`` and the login page are open; a failed login counts against the
limiter of the address and name, and a good login starts a fresh session (new CSRF
token) so a planted cookie cannot be taken over.
"""

from __future__ import annotations

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

from portfolio.domain.models import User
from portfolio.services.users import authenticate, user_by_api_token
from portfolio.web.security import (
    LoginRequired,
    TooManyAttempts,
    check_csrf,
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


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    session: Session = Depends(db, scope="function"),
) -> Response:
    """Check the password; start a fresh session on success."""
    limiter = request.app.state.limiter
    address = request.client.host if request.client else "?"
    target = _safe_next(next)
    try:
        limiter.check(address, username)
    except TooManyAttempts:
        return _login_page(
            request,
            429,
            next=target,
            username=username,
            error="Zu viele Fehlversuche. Bitte warten Sie einige Minuten.",
        )
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(address, username)
        return _login_page(
            request,
            401,
            next=target,
            username=username,
            error="Benutzername oder Passwort ist falsch.",
        )
    limiter.succeeded(address, username)
    start_session(request, user.id)
    csrf_token(request)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> RedirectResponse:
    """End the session (on the server: the old cookie opens nothing any more)."""
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
