"""The reminder outbox as one use case: plan, then send (DESIGN §5).

Planning lives in ``reminder_planning`` and delivery in ``reminder_sending``; this
module joins them into the job the scheduler and ``portfolio remind`` run
(``run_once``), resolves the settings a door passes in (``RunConfig``) and
re-exports the pieces doors and tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from portfolio.domain.reminders import DueItem, Stages, parse_stage_config
from portfolio.notify import Office, OutboxTransport, Transport, make_transport
from portfolio.services.reminder_compose import compose, mail_for, why_shifted
from portfolio.services.reminder_planning import (
    DIGEST_STAGE,
    PlanResult,
    Unplanned,
    cancel_stale,
    cancel_superseded,
    due_items,
    insert_planned,
    local_midnight,
    office_lead,
    plan,
    plan_digest_rows,
    sql_stage,
)
from portfolio.services.reminder_sending import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    LEASE,
    MailSettings,
    SendResult,
    SessionFactory,
    backoff,
    claim,
    send_due,
    worker_name,
)

if TYPE_CHECKING:
    from portfolio.config import Settings

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "DIGEST_STAGE",
    "LEASE",
    "DueItem",
    "MailSettings",
    "PlanResult",
    "RunConfig",
    "RunReport",
    "SendResult",
    "SessionFactory",
    "Unplanned",
    "backoff",
    "cancel_stale",
    "cancel_superseded",
    "claim",
    "compose",
    "due_items",
    "insert_planned",
    "local_midnight",
    "mail_for",
    "office_lead",
    "plan",
    "plan_digest_rows",
    "run_once",
    "send_due",
    "sql_stage",
    "why_shifted",
    "worker_name",
]


@dataclass(frozen=True)
class RunConfig:
    """Everything one reminder run needs, resolved from the settings by a door."""

    mail: MailSettings
    stages: Stages
    transport: str = "outbox"
    outbox_dir: str = "outbox"
    smtp: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RunConfig:
        """Read the mail, office and reminder settings (DESIGN §10)."""
        get = settings.get
        office = Office(
            name=str(get("office.name")),
            sender=str(get("mail.sender")),
            base_url=str(get("web.base_url") or ""),
            templates_dir=get("paths.templates"),
        )
        return cls(
            mail=MailSettings(
                office=office,
                timezone=str(get("office.timezone")),
                state=str(get("office.state")),
                lead=get("office.lead_email"),
                max_attempts=int(get("mail.max_attempts")),
                lease=timedelta(seconds=max(int(get("mail.lease_seconds")), 1)),
                outage_alert=timedelta(minutes=int(get("mail.outage_alert_minutes"))),
            ),
            stages=parse_stage_config(str(get("reminders.stages"))),
            transport=str(get("mail.transport")),
            outbox_dir=str(get("mail.outbox_dir")),
            smtp={
                "host": str(get("mail.smtp_host")),
                "port": int(get("mail.smtp_port")),
                "security": str(get("mail.smtp_security")),
                "user": get("mail.smtp_user"),
                "password": get("mail.smtp_password"),
            },
        )

    def make_transport(self, *, outbox_only: bool = False) -> Transport:
        """The configured transport; ``outbox_only`` forces the outbox folder."""
        kind = "outbox" if outbox_only else self.transport
        # A hanging server must not hold one message longer than a third of the
        # lease: the sender renews at a third, so its rows never expire mid-send.
        # (Leases under 15 s are for tests; the timeout stays at least 5 s.)
        timeout = max(min(30.0, self.mail.lease.total_seconds() / 3), 5.0)
        return make_transport(
            kind, outbox_dir=self.outbox_dir, timeout=timeout, **(self.smtp or {})
        )


@dataclass
class RunReport:
    """The result of one reminder run, for the door to print or log."""

    now: datetime
    planned: PlanResult
    sent: SendResult
    transport: str


def run_once(
    sessions: SessionFactory,
    config: RunConfig,
    now: datetime,
    *,
    transport: Transport | None = None,
    outbox_only: bool = False,
    digest: bool = False,
    worker: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunReport:
    """Plan everything due as of ``now``, then send it (the scheduler's job).

    ``stop`` is asked between messages: when it says yes (SIGTERM), the run ends
    after the message in flight and gives its unsent rows back.
    """
    today = now.astimezone(ZoneInfo(config.mail.timezone)).date()
    with sessions() as session:
        lead = office_lead(session, config.mail.lead)
        planned = plan(session, today, config.stages, lead, config.mail.timezone)
        if digest:
            planned.planned += plan_digest_rows(
                session, today, lead, config.mail.timezone
            )
    mail = replace(config.mail, lead=lead)
    chosen = transport or config.make_transport(outbox_only=outbox_only)
    sent = send_due(sessions, chosen, mail, now, worker=worker, stop=stop)
    kind = "outbox" if isinstance(chosen, OutboxTransport) else "smtp"
    return RunReport(now=now, planned=planned, sent=sent, transport=kind)
