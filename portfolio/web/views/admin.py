"""Verwaltung (users, reminder log, settings) and Konto (own API token, password)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from portfolio.config import SETTINGS
from portfolio.domain.enums import ReminderStatus, UserRole
from portfolio.domain.errors import InputError, InvalidValue
from portfolio.domain.reminders import parse_stage_config
from portfolio.services import audit, mail_outage
from portfolio.services.reminder_admin import (
    failed_count,
    retry_failed,
    retry_reminder,
)
from portfolio.services.schedule import NextRunPreview, next_run_preview
from portfolio.services.users import (
    add_user,
    authenticate,
    get_user,
    issue_api_token,
    list_users,
    parse_role,
    revoke_api_token,
    set_password,
    update_user,
)
from portfolio.storage.page_queries import make_page, reminder_page
from portfolio.web.context import Ctx, admin, page
from portfolio.web.sessions import current_session_id

router = APIRouter(include_in_schema=False)
SECRET_SETTINGS = {"mail.smtp_password", "web.secret_key", "ldap.bind_password"}


@router.get("/verwaltung", response_class=HTMLResponse)
def users_page(ctx: Ctx = Depends(admin)) -> HTMLResponse:
    """Users and roles."""
    return _users(ctx)


def _users(
    ctx: Ctx, typed: dict[str, str] | None = None, error: str = ""
) -> HTMLResponse:
    return ctx.render(
        "admin_users.html",
        nav="admin",
        tab="users",
        users=list_users(ctx.session),
        roles=list(UserRole),
        typed=typed or {"role": "viewer"},
        error=error,
        status_code=422 if error else 200,
    )


@router.post("/verwaltung/benutzer")
def user_add(
    ctx: Ctx = Depends(admin),
    username: str = Form(""),
    password: str = Form(""),
    role: str = Form("viewer"),
    email: str = Form(""),
) -> Response:
    """Create a user."""
    try:
        user = add_user(
            ctx.session, username, password, parse_role(role), email.strip()
        )
    except InputError as exc:
        # The form again with what was typed (not the password) and the reason.
        typed = {"username": username, "email": email, "role": role}
        return _users(ctx, typed, exc.message)
    ctx.flash(f"Benutzer {user.username} angelegt.")
    return ctx.redirect("/verwaltung")


@router.post("/verwaltung/benutzer/{user_id}")
def user_change(
    user_id: int,
    ctx: Ctx = Depends(admin),
    role: str = Form(...),
    active: str = Form(""),
) -> Response:
    """Change a user's role or switch them off."""
    user = get_user(ctx.session, user_id)
    update_user(
        ctx.session, user, role=parse_role(role), active=bool(active), acting=ctx.user
    )
    ctx.flash(f"Benutzer {user.username} gespeichert.")
    return ctx.redirect("/verwaltung")


@router.get("/verwaltung/erinnerungen", response_class=HTMLResponse)
def reminder_log(
    ctx: Ctx = Depends(admin), status: str = "", seite: int = 1
) -> HTMLResponse:
    """The reminder outbox: sent, failed, pending, cancelled."""
    chosen = status if status in {s.value for s in ReminderStatus} else ""
    rows, pager = reminder_page(ctx.session, chosen or None, seite)
    outage = mail_outage.current(ctx.session)
    timezone = str(ctx.request.app.state.settings.get("office.timezone"))
    return ctx.render(
        "admin_reminders.html",
        nav="admin",
        tab="reminders",
        rows=rows,
        pager=pager,
        status=chosen,
        statuses=list(ReminderStatus),
        mail_outage=outage.text(timezone) if outage else None,
        failed=failed_count(ctx.session),
        next_run=_next_run(ctx, timezone),
        weekdays=WEEKDAYS,
    )


WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
            "Sonntag")  # fmt: skip


def _next_run(ctx: Ctx, timezone: str) -> NextRunPreview:
    """When the scheduler runs next and what it sends then (from the Stichtag on)."""
    settings = ctx.request.app.state.settings
    now = datetime.now(ZoneInfo(timezone))
    if ctx.stichtag is not None:  # the scheduler works from the Stichtag, too
        now = datetime.combine(ctx.stichtag, now.timetz())
    return next_run_preview(
        ctx.session,
        now,
        timezone=timezone,
        stages=parse_stage_config(str(settings.get("reminders.stages"))),
        lead=settings.get("office.lead_email"),
    )


@router.post("/verwaltung/erinnerungen/erneut")
def reminder_retry_all(ctx: Ctx = Depends(admin), seit: str = Form("")) -> Response:
    """Queue every failed reminder again (last tried on or after ``seit``)."""
    since = None
    if seit.strip():
        try:
            day = date.fromisoformat(seit.strip())
        except ValueError:
            ctx.flash(f"{seit!r} ist kein Datum (z. B. 2017-03-15).", "error")
            return ctx.redirect("/verwaltung/erinnerungen")
        timezone = ZoneInfo(str(ctx.request.app.state.settings.get("office.timezone")))
        since = datetime.combine(day, time(0), timezone).astimezone(UTC)
    count = retry_failed(ctx.session, since)
    ctx.flash(
        f"{count} fehlgeschlagene Erinnerung{'' if count == 1 else 'en'} "
        "werden beim nächsten Lauf erneut versendet."
    )
    return ctx.redirect("/verwaltung/erinnerungen")


@router.post("/verwaltung/erinnerungen/{reminder_id}/erneut")
def reminder_retry(reminder_id: int, ctx: Ctx = Depends(admin)) -> Response:
    """Queue a failed reminder again."""
    retry_reminder(ctx.session, reminder_id)
    ctx.flash("Die Erinnerung wird beim nächsten Lauf erneut versendet.")
    return ctx.redirect("/verwaltung/erinnerungen")


@router.get("/verwaltung/protokoll", response_class=HTMLResponse)
def audit_log(
    ctx: Ctx = Depends(admin), aktion: str = "", seite: int = 1
) -> HTMLResponse:
    """The audit log: sign-ins, user changes, keys, imports, reports, settings."""
    chosen = aktion if aktion in audit.ACTIONS else ""
    _, total = audit.events(ctx.session, action=chosen or None, limit=0)
    pager = make_page(seite, 100, total)
    rows, _ = audit.events(
        ctx.session, action=chosen or None, limit=100, offset=pager.offset
    )
    zone = ZoneInfo(str(ctx.request.app.state.settings.get("office.timezone")))
    return ctx.render(
        "admin_audit.html",
        nav="admin",
        tab="audit",
        rows=[(e, e.at.astimezone(zone), audit.describe(e)) for e in rows],
        pager=pager,
        action=chosen,
        actions=audit.ACTIONS,
    )


@router.get("/verwaltung/einstellungen", response_class=HTMLResponse)
def settings_page(ctx: Ctx = Depends(admin)) -> HTMLResponse:
    """The effective settings, read-only (secrets masked)."""
    settings = ctx.request.app.state.settings
    rows = []
    for setting in SETTINGS:
        value = settings.get(setting.key)
        if setting.key in SECRET_SETTINGS and value:
            value = "•••••• (gesetzt)"
        if setting.key == "database.url":
            value = ctx.request.app.state.engine.url.render_as_string(
                hide_password=True
            )
        rows.append((setting, "–" if value in (None, "") else value))
    return ctx.render(
        "admin_settings.html",
        nav="admin",
        tab="settings",
        rows=rows,
        source=settings.source,
    )


@router.get("/konto", response_class=HTMLResponse)
def account(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The own account: API token and password."""
    return ctx.render("account.html", nav="account")


@router.post("/konto/api-schluessel", response_class=HTMLResponse)
def new_api_token(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """Issue a new personal API token, shown once on this answer (stored hashed)."""
    token = issue_api_token(ctx.session, ctx.user)
    answer = ctx.render("account.html", nav="account", new_token=token)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/konto/api-schluessel/widerrufen")
def drop_api_token(ctx: Ctx = Depends(page)) -> Response:
    """Switch the personal API token off."""
    if revoke_api_token(ctx.session, ctx.user):
        ctx.flash("API-Schlüssel widerrufen; er öffnet nichts mehr.")
    return ctx.redirect("/konto")


@router.post("/konto/passwort")
def change_password(
    ctx: Ctx = Depends(page),
    old: str = Form(""),
    new: str = Form(""),
    repeat: str = Form(""),
) -> Response:
    """Change the own password (old one required)."""
    if authenticate(ctx.session, ctx.user.username, old) is None:
        ctx.flash("Das bisherige Passwort stimmt nicht.", "error")
    elif new != repeat:
        ctx.flash("Die beiden neuen Passwörter stimmen nicht überein.", "error")
    else:
        try:
            set_password(
                ctx.session, ctx.user, new, keep=current_session_id(ctx.request)
            )
            ctx.flash("Passwort geändert; andere Anmeldungen wurden beendet.")
        except InvalidValue as exc:
            ctx.flash(exc.message, "error")
    return ctx.redirect("/konto")
