"""Fristen: list, month calendar, status changes, and the personal calendar feed.

The feed URL carries a secret token per user (``/kalender/<token>.ics``) because
Outlook and Thunderbird cannot log in; issuing a new token revokes the old URL.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import icalendar
from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationStatus, label
from portfolio.domain.errors import NotFound
from portfolio.domain.periods import add_months
from portfolio.services import obligations
from portfolio.services.users import (
    issue_ics_token,
    revoke_ics_token,
    user_by_ics_token,
)
from portfolio.storage.page_queries import (
    DueRow,
    deadline_page,
    deadlines_between,
    next_due,
    open_deadlines,
    responsible_people,
)
from portfolio.web.context import Ctx, editing, page
from portfolio.web.forms import parse_date, parse_enum
from portfolio.web.security import db

router = APIRouter(include_in_schema=False)
feed_router = APIRouter(include_in_schema=False)
MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


@router.get("/fristen", response_class=HTMLResponse)
def deadline_list(
    ctx: Ctx = Depends(page),
    status: str = "open",
    q: str = "",
    wer: str = "",
    seite: int = 1,
) -> HTMLResponse:
    """Deadlines by date (open by default), 50 per page, by responsible person."""
    chosen = parse_enum(ObligationStatus, status)
    person = int(wer) if wer.isdigit() and len(wer) < 10 else None
    rows, pager = deadline_page(
        ctx.session, chosen, seite, 50, search=q.strip()[:100], responsible=person
    )
    return ctx.render(
        "deadlines.html",
        nav="deadlines",
        rows=rows,
        pager=pager,
        status=chosen.value if chosen else "",
        q=q,
        wer=person,
        people=responsible_people(ctx.session),
        statuses=list(ObligationStatus),
        feed_url=_feed_url(ctx),
    )


def _feed_url(ctx: Ctx) -> str | None:
    # Only its hash is stored: the URL is shown once, by the answer that made it.
    token = getattr(ctx.request.state, "new_feed_token", None)
    if not token:
        return None
    base = str(ctx.request.app.state.settings.get("web.base_url")).rstrip("/")
    return f"{base}/kalender/{token}.ics"


def _weeks(
    year: int, month: int, rows: list[DueRow]
) -> list[list[tuple[date, list[DueRow]]]]:
    by_day: dict[date, list[DueRow]] = {}
    for row in rows:
        by_day.setdefault(row.effective, []).append(row)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[(day, by_day.get(day, [])) for day in week] for week in weeks]


@router.get("/fristen/kalender", response_class=HTMLResponse)
def deadline_calendar(ctx: Ctx = Depends(page), monat: str = "") -> HTMLResponse:
    """A month calendar of deadlines (``?monat=2017-03``)."""
    # Without a month: the month of the next open deadline (else this one).
    first = (
        (next_due(ctx.session, ctx.today) or ctx.today) if not monat else ctx.today
    ).replace(day=1)
    try:
        year, month = (int(p) for p in monat.split("-"))
        first = date(year, month, 1)
    except ValueError:
        pass  # an unreadable month shows today's
    last = add_months(first, 1) - timedelta(days=1)
    rows = deadlines_between(ctx.session, first, last)
    return ctx.render(
        "calendar.html",
        nav="deadlines",
        weeks=_weeks(first.year, first.month, rows),
        month=first,
        month_name=f"{MONTHS[first.month - 1]} {first.year}",
        previous=add_months(first, -1),
        following=add_months(first, 1),
    )


@router.post("/fristen/{obligation_id}/status")
def change_status(
    obligation_id: int,
    ctx: Ctx = Depends(editing),
    status: str = Form(...),
    datum: str = Form(""),
    zurueck: str = Form("/fristen"),
) -> Response:
    """Mark a deadline done, submitted or waived (with date), or open it again."""
    new = parse_enum(ObligationStatus, status)
    if new is None:
        raise NotFound(f"Den Status {status!r} gibt es nicht.")
    day = parse_date(datum) if datum.strip() else ctx.today
    if day is None:
        ctx.flash(
            f"„{datum}“ ist kein Datum – bitte so schreiben: 15.03.2017.", "error"
        )
        return ctx.redirect(_back(zurueck))
    item = obligations.mark(ctx.session, obligation_id, new, day)
    sent = new in (ObligationStatus.DONE, ObligationStatus.SUBMITTED)
    ctx.flash(
        f"Frist „{item.title}“: {label(new)}"
        + (f" am {day:%d.%m.%Y}." if new is not ObligationStatus.OPEN else "."),
        # What was sent belongs beside the deadline: offer to attach it.
        link=(
            f"/programme/{item.programme.key}?frist={item.id}#dokumente",
            "Eingereichtes als Dokument anhängen",
        )
        if sent
        else None,
    )
    return ctx.redirect(_back(zurueck))


@router.post("/fristen/{obligation_id}/verschieben")
def move(
    obligation_id: int,
    ctx: Ctx = Depends(editing),
    datum: str = Form(""),
    zurueck: str = Form("/fristen"),
) -> Response:
    """Give an open deadline a new date (a Termin: it does not move again)."""
    day = parse_date(datum)
    if day is None:
        ctx.flash(
            f"„{datum}“ ist kein Datum – bitte so schreiben: 15.03.2017.", "error"
        )
        return ctx.redirect(_back(zurueck))
    item = obligations.move_due(ctx.session, obligation_id, day)
    ctx.flash(f"Frist „{item.title}“ verschoben auf {day:%d.%m.%Y}.")
    return ctx.redirect(_back(zurueck))


def _back(target: str) -> str:
    return (
        target if target.startswith("/") and not target.startswith("//") else "/fristen"
    )


@router.post("/fristen/abo")
def feed_token(ctx: Ctx = Depends(page), aktion: str = Form("neu")) -> Response:
    """Create a new secret calendar URL (shown on this answer only) or revoke it."""
    if aktion == "widerrufen":
        revoke_ics_token(ctx.session, ctx.user)
        ctx.flash("Die Kalender-Adresse wurde widerrufen.")
        return ctx.redirect("/fristen#abo")
    ctx.request.state.new_feed_token = issue_ics_token(ctx.session, ctx.user)
    ctx.flash("Neue Kalender-Adresse erstellt; die alte gilt nicht mehr.")
    answer = deadline_list(ctx)
    answer.headers["Cache-Control"] = "no-store"
    return answer


@feed_router.get("/kalender/{token}.ics")
def feed(token: str, session: Session = Depends(db, scope="function")) -> Response:
    """The calendar feed: every open deadline as an all-day event."""
    user = user_by_ics_token(session, token)
    if user is None:
        return Response(
            "Unbekannte oder widerrufene Kalender-Adresse.", status_code=404
        )
    return Response(_ics(session), media_type="text/calendar; charset=utf-8")


@router.get("/fristen/fristen.ics")
def download_ics(ctx: Ctx = Depends(page)) -> Response:
    """The open deadlines once, as a file to open in Outlook (no subscription)."""
    name = f"fristen-{ctx.today.isoformat()}.ics"
    return Response(
        _ics(ctx.session),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _ics(session: Session) -> bytes:
    """Every open deadline as an all-day event."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//portfolio//Fristen//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Fristen (portfolio)")
    stamp = datetime.now().astimezone()
    for row in open_deadlines(session):
        event = icalendar.Event()
        event.add("uid", f"obligation-{row.id}@portfolio")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.effective)
        event.add("dtend", row.effective + timedelta(days=1))
        event.add("summary", f"{row.title} – {row.programme_label}")
        if row.source:
            event.add("description", f"Grundlage: {row.source}")
        cal.add_component(event)
    return bytes(cal.to_ical())
