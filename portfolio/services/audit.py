"""The audit log: who did what security-relevant thing, when and from where.

Services call ``record`` in the unit of work of the act itself, so an event is kept
exactly when the act is. Who and from where come from the session's info
(``who``, ``address``), which the doors set: ``web:NAME`` and the client's address
for the browser, ``api:NAME`` for the API, ``cli`` for the command line. Events are
never changed or deleted by portfolio; the log holds no secrets (no passwords,
tokens or session ids), only what was done to whom.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import utcnow
from portfolio.domain.models import AuditEvent

ACTIONS: dict[str, str] = {
    "login": "Anmeldung",
    "login_failed": "Anmeldung fehlgeschlagen",
    "logout": "Abmeldung",
    "user_created": "Benutzer angelegt",
    "user_changed": "Benutzer geändert",
    "password_changed": "Passwort geändert",
    "api_key_created": "API-Schlüssel erstellt",
    "api_key_revoked": "API-Schlüssel widerrufen",
    "calendar_created": "Kalender-Adresse erstellt",
    "calendar_revoked": "Kalender-Adresse widerrufen",
    "import_applied": "Import übernommen",
    "import_undone": "Import rückgängig gemacht",
    "report_sent": "Bericht versandt",
    "settings_changed": "Einstellungen geändert",
    "backup_made": "Sicherung erstellt",
    "restored": "Sicherung eingespielt",
}


def record(
    session: Session,
    action: str,
    *,
    target: str | None = None,
    actor: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one event to the log (in the caller's unit of work)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=utcnow(),
        actor=(actor or str(session.info.get("who") or "?"))[:120],
        action=action,
        target=target[:200] if target else None,
        address=session.info.get("address"),
        detail={k: v for k, v in detail.items() if v is not None},
    )
    session.add(event)
    session.flush()
    return event


def record_settings(
    session: Session, values: Mapping[str, object], secret: Iterable[str]
) -> list[str]:
    """Log the settings a server starts with when they differ from the last start.

    Only fingerprints are kept (a secret only as set or empty), so the log shows
    which settings changed, never their values.
    """
    hidden = set(secret)
    state = {
        key: ("gesetzt" if value else "leer")
        if key in hidden
        else hashlib.sha256(repr(value).encode()).hexdigest()[:16]
        for key, value in sorted(values.items())
    }
    last = session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "settings_changed")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    before = last.detail.get("_state", {}) if last is not None else None
    changed = [k for k in state if before is None or before.get(k) != state[k]]
    if not changed:
        return []
    keys = "erster Start" if before is None else ", ".join(changed)
    record(session, "settings_changed", actor="server", keys=keys, _state=state)
    return changed


def events(
    session: Session,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEvent], int]:
    """Events, newest first, and how many there are for this filter."""
    query = sa.select(AuditEvent)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if action:
        query = query.where(AuditEvent.action == action)
    total = int(
        session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    )
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total


def describe(event: AuditEvent) -> str:
    """The event's details as one German line fragment (``Rolle: editor → admin``)."""
    parts = []
    for key, value in event.detail.items():
        if key.startswith("_"):
            continue  # internal state (fingerprints of settings)
        text = (
            ", ".join(f"{k} {v}" for k, v in value.items())
            if isinstance(value, dict)
            else str(value)
        )
        parts.append(f"{DETAIL_LABELS.get(key, key)}: {text}")
    return "; ".join(parts)


DETAIL_LABELS = {
    "role": "Rolle",
    "active": "aktiv",
    "batch": "Import",
    "file": "Datei",
    "recipient": "an",
    "report": "Bericht",
    "keys": "Einstellungen",
    "reason": "Grund",
    "file_name": "Datei",
    "counts": "Anzahl",
    "via": "über",
    "sessions": "beendete Sitzungen",
    "replaced": "ersetzt",
}
