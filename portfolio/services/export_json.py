"""The ``portfolio/1`` JSON document (DESIGN §7): the backup and exchange format.

Objects refer to each other by natural key (funder ``short_name``, programme
``key``, contact ``email``, phase ``name``, award ``reference``); every list is
sorted by its natural key and then by its full content, so two exports of the same
data are byte-identical. Users, reminders, the change log and import history are not
part of the document: they are the installation's, not the portfolio's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.models import (
    Award,
    Contact,
    Funder,
    Funding,
    Narrative,
    Partner,
    Programme,
)
from portfolio.services.clock import stichtag
from portfolio.services.office import document_office

FORMAT = "portfolio/1"
Item = dict[str, Any]


def iso(day: date | None) -> str | None:
    """A date as ISO text."""
    return day.isoformat() if day else None


def money(amount: Decimal | None) -> str | None:
    """Money as a decimal string with two places."""
    return None if amount is None else str(amount.quantize(Decimal("0.01")))


def number(value: Decimal | None) -> str | None:
    """A rate or count as the shortest decimal string ("0.9", "3")."""
    return None if value is None else format(value.normalize(), "f")


def _sorted(items: Iterable[Item], *keys: str) -> list[Item]:
    def order(item: Item) -> tuple[Any, ...]:
        natural = tuple((item.get(k) is None, str(item.get(k) or "")) for k in keys)
        return (*natural, json.dumps(item, sort_keys=True, ensure_ascii=False))

    return sorted(items, key=order)


def _funder(funder: Funder) -> Item:
    return {
        "short_name": funder.short_name,
        "name": funder.name,
        "kind": funder.kind.value,
        "parent": funder.parent.short_name if funder.parent else None,
        "contact": funder.contact.email if funder.contact else None,
        "notes": funder.notes,
    }


def _contact(contact: Contact) -> Item:
    return {
        "email": contact.email,
        "name": contact.name,
        "role": contact.role,
        "organisation": contact.organisation,
        "phone": contact.phone,
        "is_office_lead": contact.is_office_lead,
    }


def _application_ref(award: Award) -> Item | None:
    """The approved application an award came from, by its natural fields."""
    application = award.application
    if application is None:
        return None
    return {
        "funder": application.funder.short_name if application.funder else None,
        "reference": application.reference,
        "deadline": iso(application.deadline),
    }


def _award(award: Award) -> Item:
    return {
        "funder": award.funder.short_name,
        "application": _application_ref(award),
        "phase": award.phase.name if award.phase else None,
        "kind": award.kind.value,
        "reference": award.reference,
        "awarded_on": iso(award.awarded_on),
        "start": iso(award.start),
        "end": iso(award.end),
        "amount": money(award.amount),
        "own_contribution": money(award.own_contribution),
        "funding_rate": number(award.funding_rate),
        "staff_posts": number(award.staff_posts),
        "regime": award.regime,
        "conditions": award.conditions,
        "overrides": dict(sorted(award.overrides.items())),
        "zweck_erfuellt_on": iso(award.zweck_erfuellt_on),
        "financing_type": award.financing_type.value if award.financing_type else None,
        "accounting_codes": sorted(award.accounting_codes),
        "account_categories": dict(sorted(award.account_categories.items())),
        "money_overrides": dict(sorted(award.money_overrides.items())),
        "versions": _sorted(
            (
                {
                    "issued_on": iso(v.issued_on),
                    "reference": v.reference,
                    "amount": money(v.amount),
                    "start": iso(v.start),
                    "end": iso(v.end),
                    "budget_lines": _sorted(v.budget, "year", "category"),
                    "income": _sorted(v.income, "year", "kind"),
                    "note": v.note,
                }
                for v in award.versions
            ),
            "issued_on",
            "reference",
        ),
        "income": _sorted(
            (
                {"kind": i.kind.value, "year": i.year, "planned": money(i.planned)}
                for i in award.income_lines
            ),
            "year",
            "kind",
        ),
        "budget_lines": _sorted(
            (
                {"category": b.category, "year": b.year, "planned": money(b.planned)}
                for b in award.budget_lines
            ),
            "year",
            "category",
        ),
        "expenses": _sorted(
            (
                {
                    "category": e.category,
                    "year": e.year,
                    "spent_on": iso(e.spent_on),
                    "amount": money(e.amount),
                    "reference": e.reference,
                    "text": e.text,
                    "account": e.account,
                    "code": e.code,
                    "occurrence": e.occurrence,
                    "note": e.note,
                }
                for e in award.expenses
            ),
            "spent_on",
            "reference",
        ),
        "disbursements": _sorted(
            (
                {
                    "requested_on": iso(d.requested_on),
                    "amount": money(d.amount),
                    "received_on": iso(d.received_on),
                    "kind": d.kind.value,
                    "note": d.note,
                }
                for d in award.disbursements
            ),
            "requested_on",
        ),
    }


def _programme(programme: Programme, narratives: list[Narrative]) -> Item:
    return {
        "key": programme.key,
        "name": programme.name,
        "short_name": programme.short_name,
        "status": programme.status.value,
        "field_of_action": programme.field_of_action,
        "lead": programme.lead.email if programme.lead else None,
        "parent": programme.parent.key if programme.parent else None,
        "description": programme.description,
        "notes": programme.notes,
        "tags": sorted(programme.tags),
        "partners": _sorted(
            (
                {"partner": p.partner.name, "role": p.role}
                for p in programme.partner_links
            ),
            "partner",
        ),
        "phases": _sorted(
            (
                {
                    "name": p.name,
                    "start": iso(p.start),
                    "end": iso(p.end),
                    "precision": p.precision.value,
                }
                for p in programme.phases
            ),
            "start",
            "name",
        ),
        "fundings": _sorted(
            (
                {
                    "funder": f.funder.short_name,
                    "amount": money(f.amount),
                    "share": number(f.share),
                }
                for f in programme.fundings
            ),
            "funder",
        ),
        "applications": _sorted(
            (
                {
                    "funder": a.funder.short_name if a.funder else None,
                    "phase": a.phase.name if a.phase else None,
                    "reference": a.reference,
                    "deadline": iso(a.deadline),
                    "submitted_on": iso(a.submitted_on),
                    "requested": money(a.requested),
                    "own_contribution": money(a.own_contribution),
                    "status": a.status.value,
                    "decided_on": iso(a.decided_on),
                }
                for a in programme.applications
            ),
            "funder",
            "deadline",
        ),
        "awards": _sorted(
            (_award(a) for a in programme.awards), "funder", "reference", "start"
        ),
        "obligations": _sorted(
            (
                {
                    "kind": o.kind.value,
                    "title": o.title,
                    "due": iso(o.due_on),
                    "due_effective": iso(o.due_effective),
                    "due_latest": iso(o.due_latest),
                    "basis": o.basis,
                    "responsible": o.responsible.email if o.responsible else None,
                    "status": o.status.value,
                    "done_on": iso(o.done_on),
                    "origin": o.origin,
                    "source": o.source,
                    "award": o.award.reference if o.award else None,
                    "template_id": o.template_id,
                    "rule_key": o.rule_key,
                    "checklist": list(o.checklist),
                    "edited": o.edited,
                    "notes": o.notes,
                }
                for o in programme.obligations
            ),
            "due",
            "kind",
            "title",
        ),
        "narratives": _sorted(
            (
                {"year": n.year, "section": n.section, "text": n.text}
                for n in narratives
            ),
            "year",
            "section",
        ),
    }


def _load_programmes(session: Session) -> list[Programme]:
    awards = selectinload(Programme.awards)
    query = sa.select(Programme).options(
        selectinload(Programme.lead),
        selectinload(Programme.parent),
        selectinload(Programme.phases),
        selectinload(Programme.fundings).selectinload(Funding.funder),
        selectinload(Programme.applications),
        awards.selectinload(Award.budget_lines),
        awards.selectinload(Award.expenses),
        awards.selectinload(Award.disbursements),
        awards.selectinload(Award.income_lines),
        awards.selectinload(Award.versions),
        awards.selectinload(Award.funder),
        awards.selectinload(Award.phase),
        selectinload(Programme.obligations),
        selectinload(Programme.partner_links),
    )
    return list(session.scalars(query))


def build_document(session: Session) -> dict[str, Any]:
    """Collect the whole portfolio as a ``portfolio/1`` document."""
    narratives: dict[int, list[Narrative]] = {}
    for narrative in session.scalars(sa.select(Narrative)):
        narratives.setdefault(narrative.programme_id, []).append(narrative)
    sections: list[tuple[str, Callable[[], list[Item]]]] = [
        ("funders", lambda: _sorted(
            (_funder(f) for f in session.scalars(sa.select(Funder))), "short_name")),
        ("contacts", lambda: _sorted(
            (_contact(c) for c in session.scalars(sa.select(Contact))), "email")),
        ("partners", lambda: _sorted(
            ({"name": p.name, "kind": p.kind}
             for p in session.scalars(sa.select(Partner))), "name")),
        ("programmes", lambda: _sorted(
            (_programme(p, narratives.get(p.id, []))
             for p in _load_programmes(session)), "key")),
    ]  # fmt: skip
    document: dict[str, Any] = {"format": FORMAT, "stichtag": iso(stichtag(session))}
    office = document_office(session)
    if office:  # additive: only a database that carries the office's defaults
        document["office"] = office
    for name, build in sections:
        document[name] = build()
    return document


def dumps(document: dict[str, Any]) -> str:
    """Serialise a document the one stable way (UTF-8 text, two-space indent)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_json(session: Session) -> str:
    """The whole portfolio as ``portfolio/1`` JSON text."""
    return dumps(build_document(session))
