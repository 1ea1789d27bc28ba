"""The retention date of an award, kept in step with its Verwendungsnachweis.

``planned_retention`` turns the regime's retention rule (``domain.retention``) and the
award's Verwendungsnachweis into one more planned obligation of kind
``aufbewahrung``, regenerated with the others. Marking the Verwendungsnachweis
submitted (or opening it again) moves the retention date at once
(``follow_verwendungsnachweis``), without reloading the regimes: the period in whole
years is read off the stored retention obligation. Retention obligations are never
reminded of and never overdue; the queries that feed reminders, the digest, the
calendar feed and the dashboard counts leave them out (``storage.queries.ACTIONABLE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationKind, ObligationStatus
from portfolio.domain.models import Obligation
from portfolio.domain.regimes import PlannedObligation, Regime
from portfolio.domain.retention import (
    RETENTION_ID,
    TITLE,
    RetentionRule,
    retention_until,
)

SUBMITTED = (ObligationStatus.SUBMITTED, ObligationStatus.DONE)


def submitted_on(obligation: Obligation | None) -> date | None:
    """When a Verwendungsnachweis was handed in (None while it is not)."""
    if obligation is None or obligation.status not in SUBMITTED:
        return None
    return obligation.done_on


def planned_retention(
    regime: Regime,
    planned: Sequence[PlannedObligation],
    existing: Mapping[str | None, Obligation],
) -> PlannedObligation | None:
    """The retention obligation the regime implies, from the (last) VN."""
    rule = regime.retention
    vns = [p for p in planned if p.kind is ObligationKind.VERWENDUNGSNACHWEIS]
    if rule is None or not vns:
        return None
    vn = max(vns, key=lambda p: p.due_on)
    stored = existing.get(vn.template_id)
    due = stored.due_on if stored is not None and stored.edited else vn.due_on
    result = retention_until(rule, due, submitted_on(stored))
    if result is None:
        return None
    return PlannedObligation(
        template_id=RETENTION_ID,
        kind=ObligationKind.AUFBEWAHRUNG,
        title=TITLE,
        due_on=result.until,
        due_effective=result.until,
        source=rule.source,
        confidence=rule.confidence,
        basis=result.basis,
    )


def follow_verwendungsnachweis(
    session: Session, vn: Obligation, anchor_before: date
) -> None:
    """Move the award's retention date after the VN's status or date changed.

    ``anchor_before`` is the day the stored retention date was counted from (the
    submission date, else the due date) before the change.
    """
    if vn.kind is not ObligationKind.VERWENDUNGSNACHWEIS or vn.award_id is None:
        return
    retention = session.scalar(
        sa.select(Obligation).where(
            Obligation.award_id == vn.award_id,
            Obligation.rule_key == RETENTION_ID,
        )
    )
    if retention is None or retention.edited:
        return
    months = (retention.due_on.year - anchor_before.year) * 12 + (
        retention.due_on.month - anchor_before.month
    )
    guessed = "nicht belegt" in (retention.basis or "")
    rule = RetentionRule(months // 12, retention.source or "", "U" if guessed else "S")
    result = retention_until(rule, vn.due_on, submitted_on(vn))
    if result is not None:
        retention.due_on = result.until
        retention.basis = result.basis
    session.flush()


def anchor_of(vn: Obligation) -> date:
    """The day a VN's retention period counts from as things stand."""
    return submitted_on(vn) or vn.due_on
