"""What every page view gets: the session, the user, today, and a way to answer.

``Ctx`` bundles the request's unit of work, the logged-in user and the database's
Stichtag; it renders templates with the shared layout values (navigation, banner,
CSRF token, flash messages) so views stay a few lines long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlalchemy.orm import Session

from portfolio.config import Settings
from portfolio.domain.enums import UserRole, label
from portfolio.domain.field_labels import partner_kind
from portfolio.domain.models import User
from portfolio.domain.money import format_money, format_number, format_percent
from portfolio.domain.periods import format_date
from portfolio.services import clock
from portfolio.services.import_apply import RuleSettings
from portfolio.services.office import database_defaults
from portfolio.web.security import (
    csrf_token,
    current_user,
    db,
    require_admin,
    require_editor,
)

TEMPLATES = Path(__file__).with_name("templates")


def _date(value: date | None, empty: str = "–") -> str:
    return format_date(value) if value else empty


@pass_context
def _query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination)."""
    params = dict(context["request"].query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params)


def make_templates() -> Jinja2Templates:
    """The Jinja2 environment of the web UI (autoescaping HTML)."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.filters.update(
        money=format_money,
        date=_date,
        label=label,
        percent=format_percent,
        number=format_number,
        partner_kind=partner_kind,
    )
    env.globals["query"] = _query
    return templates


@dataclass
class Ctx:
    """A page request: session, user, today's date (the Stichtag if set)."""

    request: Request
    session: Session
    user: User
    today: date
    stichtag: date | None

    @property
    def timezone(self) -> str:
        """The office's time zone (times are stored in UTC, shown in this)."""
        return str(self.request.app.state.settings.get("office.timezone"))

    @property
    def office_settings(self) -> Settings:
        """The settings with the office defaults the database carries now.

        Read per request for reports: a restore after the start may bring others.
        """
        settings: Settings = self.request.app.state.settings
        return settings.with_database_defaults(database_defaults(self.session))

    @property
    def can_edit(self) -> bool:
        """Whether the user may change data."""
        return self.user.role in (UserRole.EDITOR, UserRole.ADMIN)

    @property
    def is_admin(self) -> bool:
        """Whether the user may manage users and reminders."""
        return self.user.role is UserRole.ADMIN

    def flash(
        self, message: str, kind: str = "ok", link: tuple[str, str] | None = None
    ) -> None:
        """Show a message on the next page (optionally with a link: href, text)."""
        messages = list(self.request.session.get("flash", []))
        messages.append([kind, message, *(link or ())])
        self.request.session["flash"] = messages

    def render(self, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        """Render a page with the layout values."""
        templates: Jinja2Templates = self.request.app.state.templates
        flashes = self.request.session.pop("flash", [])
        context = {
            "ctx": self,
            "user": self.user,
            "today": self.today,
            "stichtag": self.stichtag,
            "csrf": csrf_token(self.request),
            "flashes": flashes,
            "office": self.request.app.state.settings.get("office.name"),
            **values,
        }
        return templates.TemplateResponse(
            self.request, name, context, status_code=status_code
        )

    def redirect(self, url: str) -> RedirectResponse:
        """Go to another page after a change (POST → GET)."""
        return RedirectResponse(url, status_code=303)


def _ctx(request: Request, session: Session, user: User) -> Ctx:
    timezone = request.app.state.settings.get("office.timezone")
    stichtag = clock.stichtag(session)
    today = stichtag or clock.real_today(timezone)
    return Ctx(request, session, user, today, stichtag)


def page(
    request: Request,
    session: Session = Depends(db, scope="function"),
    user: User = Depends(current_user),
) -> Ctx:
    """A page any logged-in user may see."""
    return _ctx(request, session, user)


def editing(
    request: Request,
    session: Session = Depends(db, scope="function"),
    user: User = Depends(require_editor),
) -> Ctx:
    """A change only editors and admins may make."""
    return _ctx(request, session, user)


def admin(
    request: Request,
    session: Session = Depends(db, scope="function"),
    user: User = Depends(require_admin),
) -> Ctx:
    """A page or change for admins only."""
    return _ctx(request, session, user)


def rule_settings(request: Request) -> RuleSettings:
    """The office's Land and regime folder, as deadline regeneration takes them."""
    settings = request.app.state.settings
    return RuleSettings(settings.get("office.state"), settings.get("paths.regimes"))
