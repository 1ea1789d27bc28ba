"""The money checks of every award, by its regime and Finanzierungsart.

Each check lives in the regime TOML file (``[[money.checks]]``) with its legal
source, and an award's ``money_overrides`` (the Bescheid) switch it off or set its
limit. A check runs only where the Finanzierungsart makes it apply:

- ``over_plan`` (ANBest-P Nr. 1.2): a position spent beyond its plan by more than
  the limit (20 %), said with whether savings elsewhere compensate; never for
  Festbetragsfinanzierung;
- ``pro_rata`` (ANBest-P Nr. 2.1, Anteilfinanzierung): after the
  Bewilligungszeitraum, lower spending reduces the grant by the funding share; the
  expected Rückforderung and its interest (§ 49a Abs. 3 VwVfG, an estimate);
- ``unspent``: a payment not spent when its spending period ended;
- ``not_called``: from October (``from_month``), Zuwendung planned for the
  Haushaltsjahr and not yet called.

All figures are as known on ``now`` (bookings up to that day). ``portfolio check``,
the dashboard and the programme page show the warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.deadlines import WorkingDays, effective
from portfolio.domain.models import Award, BudgetLine, Disbursement, Expense, Programme
from portfolio.domain.money import format_money
from portfolio.domain.money_rules import CheckRule, MoneyRules, load_money_rules
from portfolio.domain.periods import format_date
from portfolio.domain.plan_limit import LIMIT, overruns
from portfolio.services.money import CENT, ZERO, AwardMoney, award_money


@dataclass(frozen=True, slots=True)
class MoneyWarning:
    """One finding: where, which rule, how much, and what it means (German)."""

    programme: str
    programme_label: str
    award: str
    award_id: int
    rule: str
    amount: Decimal | None
    message: str
    source: str


def _percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal(1), ROUND_HALF_UP)} %"


def _rate(value: Decimal) -> str:
    """A yearly rate in German: "4,12"."""
    return f"{value:g}".replace(".", ",")


def _over_plan(rule: CheckRule, money: AwardMoney) -> list[tuple[Decimal, str]]:
    """ANBest-P Nr. 1.2 over the whole plan (``domain.plan_limit``)."""
    limit = rule.limit if rule.limit is not None else LIMIT
    if not money.planned:
        return []
    compensated = sum(money.spent.values(), ZERO) <= sum(money.planned.values(), ZERO)
    found = []
    for item in overruns(money.planned, money.spent, limit=limit).values():
        if item.unplanned:
            found.append(
                (item.spent, f"Position „{item.category}“ steht nicht im "
                 f"Finanzierungsplan, gebucht sind {format_money(item.spent)} – "
                 "Umbuchung oder Zustimmung des Zuwendungsgebers nötig.")
            )  # fmt: skip
            continue
        over = item.spent - item.planned
        found.append(
            (item.excess,
             f"Position „{item.category}“: {format_money(item.spent)} statt "
             f"{format_money(item.planned)} geplant ({_percent(over / item.planned)} "
             f"darüber, zulässig {_percent(limit)}"
             f"{', durch Einsparungen ausgeglichen' if compensated else ''}"
             f"{'' if compensated else ', nicht durch Einsparungen ausgeglichen'})"
             " – Zustimmung des Zuwendungsgebers einholen oder umbuchen.")
        )  # fmt: skip
    return found


def over_plan_limit(award: Award, rules: MoneyRules | None) -> Decimal | None:
    """The limit of ANBest-P Nr. 1.2 for an award, None where the check is off.

    The same as ``award_warnings`` uses (regime, the Bescheid's own rules,
    Finanzierungsart), so the Nachweis flags what ``portfolio check`` warns of.
    """
    if rules is None:
        return None
    for rule in rules.effective(award.money_overrides or {}).checks:
        if rule.check == "over_plan" and rule.applies(award.financing_type):
            return rule.limit if rule.limit is not None else LIMIT
    return None


def _pro_rata(
    rule: CheckRule, award: Award, money: AwardMoney, now: date
) -> list[tuple[Decimal, str]]:
    if award.end is None or now <= award.end or not money.planned:
        return []
    savings = money.planned_total - money.spent_total
    if savings <= 0:
        return []
    reduction = (savings * money.share).quantize(CENT, ROUND_HALF_UP)
    repay = max(ZERO, money.received - money.repaid - money.grant_spent)
    days = (now - award.end).days
    yearly = rule.base_rate + rule.interest_points
    rate = yearly / 100
    interest = max(ZERO, repay * rate * days / 365).quantize(CENT, ROUND_HALF_UP)
    return [
        (
            reduction,
            f"Anteilfinanzierung: {format_money(savings)} weniger ausgegeben als "
            f"geplant – die Zuwendung ermäßigt sich um {format_money(reduction)} "
            f"({_percent(money.share)}); voraussichtliche Rückforderung "
            f"{format_money(repay)}, Zinsen bis {format_date(now)} geschätzt "
            f"{format_money(interest)} ({_rate(yearly)} % "
            f"jährlich ab {format_date(award.end)}).",
        )
    ]


def _unspent(
    rules: MoneyRules, money: AwardMoney, now: date, calendar: WorkingDays
) -> list[tuple[Decimal, str]]:
    if rules.spend is None:
        return []
    found = []
    for use in money.payments:
        # The Frist ends on the next working day (§ 193 BGB), as its deadline.
        due = effective(rules.spend.due(use.received_on), calendar)
        if now > due and use.unused > 0 and (use.used_on is None or use.used_on > due):
            found.append(
                (use.unused,
                 f"Abruf vom {format_date(use.received_on)} über "
                 f"{format_money(use.amount)}: {format_money(use.unused)} nicht "
                 f"innerhalb von {rules.spend.within} verwendet (Frist "
                 f"{format_date(due)}) – zurückzahlen oder verwenden; Zinsen nach "
                 "§ 49a Abs. 4 VwVfG möglich.")
            )  # fmt: skip
    return found


def _not_called(
    rule: CheckRule, award: Award, money: AwardMoney, now: date
) -> list[tuple[Decimal, str]]:
    if now.month < rule.from_month:
        return []
    planned = money.grant_planned_in(now.year)
    if planned <= 0:
        return []
    called = sum(
        (d.amount for d in award.disbursements
         if d.kind.value == "abruf"
         and (d.requested_on or d.received_on or date.min).year == now.year
         and (d.requested_on or d.received_on or date.max) <= now),
        ZERO,
    )  # fmt: skip
    missing = planned - called
    if missing <= 0:
        return []
    return [
        (
            missing,
            f"Haushaltsjahr {now.year}: {format_money(planned)} Zuwendung geplant, "
            f"{format_money(called)} abgerufen – {format_money(missing)} noch "
            "abrufen oder in das nächste Jahr übertragen lassen "
            f"(bis 31.12.{now.year}).",
        )
    ]


def award_warnings(
    session: Session,
    award: Award,
    rules: MoneyRules | None,
    now: date,
    calendar: WorkingDays | None = None,
) -> list[MoneyWarning]:
    """The warnings of one award on a day."""
    if rules is None:
        return []
    rules = rules.effective(award.money_overrides or {})
    money = award_money(session, award, until=now, plan_on=now)
    results: list[MoneyWarning] = []
    programme = award.programme
    for rule in rules.checks:
        if not rule.applies(award.financing_type):
            continue
        if rule.check == "over_plan":
            found = _over_plan(rule, money)
        elif rule.check == "pro_rata":
            found = _pro_rata(rule, award, money, now)
        elif rule.check == "unspent":
            found = _unspent(rules, money, now, calendar or WorkingDays())
        else:
            found = _not_called(rule, award, money, now)
        for amount, message in found:
            results.append(
                MoneyWarning(
                    programme.key,
                    programme.label,
                    award.reference or f"#{award.id}",
                    award.id,
                    rule.id,
                    amount,
                    message,
                    rule.source,
                )
            )
    return results


def money_warnings(
    session: Session,
    now: date,
    regimes_dir: str | Path | None = None,
    programme_key: str | None = None,
    state: str = "NW",
) -> list[MoneyWarning]:
    """Every money warning on a day, by programme and award."""
    rules = load_money_rules(regimes_dir)
    calendar = WorkingDays(state)
    query = (
        sa.select(Award)
        .join(Award.programme)
        .options(selectinload(Award.programme), selectinload(Award.disbursements))
        .order_by(Programme.key, Award.reference, Award.id)
    )
    if programme_key is not None:
        query = query.where(Programme.key == programme_key)
    # Only awards with any money recorded can warn: one query instead of five per
    # award keeps the dashboard's query count independent of the portfolio size.
    with_money = sa.union(
        sa.select(BudgetLine.award_id), sa.select(Expense.award_id),
        sa.select(Disbursement.award_id),
    ).subquery()  # fmt: skip
    query = query.where(Award.id.in_(sa.select(with_money.c.award_id)))
    warnings: list[MoneyWarning] = []
    for award in session.scalars(query):
        warnings.extend(
            award_warnings(session, award, rules.get(award.regime or ""), now, calendar)
        )
    return warnings
