"""The Finanzierungsplan of an award and how its bookings are found.

One input model (CONTRACTS §5) for what the Bescheid says about the money: the
Finanzierungsart, the Ausgaben per position and year, the Einnahmen (Zuwendung,
Eigenanteil, Leistungen Dritter) per year, the accounting codes the finance system
books the award on, Sachkonto → position, and the Bescheid's own money rules.
``save`` replaces the plan (lines with the same position and year are updated in
place, so the change log shows what changed). Services never commit.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import FinancingType, IncomeKind
from portfolio.domain.errors import InvalidValue
from portfolio.domain.models import Award, BudgetLine, IncomeLine
from portfolio.domain.money_rules import load_money_rules, validate_money_overrides
from portfolio.services.edit_awards import get as get_award
from portfolio.services.edit_awards import parse_overrides
from portfolio.services.edit_base import (
    EditModel,
    Kind,
    Money,
    ReqText,
    Words,
    check,
    raise_if,
)
from portfolio.services.money import sync_award

Pairs = Annotated[dict[str, Any], BeforeValidator(parse_overrides), Kind.MAPPING]


class PlanLineIn(EditModel):
    """One Ausgaben position of one year."""

    category: Annotated[ReqText, Field(title="Position", max_length=120)]
    year: Annotated[int, Field(title="Jahr", ge=1950, le=2100)]
    planned: Annotated[Money, Field(None, title="geplant")]


class IncomeLineIn(EditModel):
    """One Einnahmen line of one year."""

    kind: Annotated[IncomeKind, Field(title="Einnahme")]
    year: Annotated[int, Field(title="Jahr", ge=1950, le=2100)]
    planned: Annotated[Money, Field(None, title="geplant")]


class PlanIn(EditModel):
    """The money side of a Bescheid."""

    financing_type: Annotated[
        FinancingType | None, Field(None, title="Finanzierungsart")
    ]
    accounting_codes: Annotated[
        Words, Field(default_factory=list, title="Buchungsschlüssel")
    ]
    account_categories: Annotated[
        Pairs, Field(default_factory=dict, title="Sachkonto → Position")
    ]
    money_overrides: Annotated[
        Pairs, Field(default_factory=dict, title="Geldregeln lt. Bescheid")
    ]
    budget_lines: Annotated[
        list[PlanLineIn], Field(default_factory=list, title="Ausgaben")
    ]
    income: Annotated[
        list[IncomeLineIn], Field(default_factory=list, title="Einnahmen")
    ]


def as_input(award: Award) -> PlanIn:
    """The stored plan as input (to fill the form)."""
    return PlanIn(
        financing_type=award.financing_type,
        accounting_codes=list(award.accounting_codes),
        account_categories=dict(award.account_categories),
        money_overrides=dict(award.money_overrides),
        budget_lines=[
            PlanLineIn(category=b.category, year=b.year, planned=b.planned)
            for b in sorted(award.budget_lines, key=lambda b: (b.category, b.year))
        ],
        income=[
            IncomeLineIn(kind=i.kind, year=i.year, planned=i.planned)
            for i in sorted(award.income_lines, key=lambda i: (i.kind, i.year))
        ],
    )


def _checked(
    award: Award, data: PlanIn, regimes_dir: str | Path | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    keys = [(line.category.casefold(), line.year) for line in data.budget_lines]
    check(
        errors,
        "budget_lines",
        len(keys) == len(set(keys)),
        "Jede Position darf je Jahr nur einmal vorkommen.",
    )
    kinds = [(line.kind, line.year) for line in data.income]
    check(
        errors,
        "income",
        len(kinds) == len(set(kinds)),
        "Jede Einnahme je Jahr nur einmal.",
    )
    for account, category in data.account_categories.items():
        check(
            errors,
            "account_categories",
            bool(str(account).strip()) and isinstance(category, str) and bool(category),
            f"Sachkonto {account!r}: bitte „Sachkonto = Position“ schreiben.",
        )
    codes = [c for c in data.accounting_codes if c]
    check(
        errors,
        "accounting_codes",
        len(codes) == len(set(codes)),
        "Ein Buchungsschlüssel steht doppelt da.",
    )
    overrides: dict[str, str] = {}
    try:
        rules = load_money_rules(regimes_dir).get(award.regime or "")
        overrides = validate_money_overrides(rules, data.money_overrides)
    except InvalidValue as exc:
        errors.setdefault("money_overrides", exc.message)
    raise_if(errors, PlanIn)
    return overrides


def save(
    session: Session,
    award_id: int,
    data: PlanIn,
    *,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> Award:
    """Store the plan of an award as given (empty amounts remove a line)."""
    award = get_award(session, award_id)
    overrides = _checked(award, data, regimes_dir)
    award.financing_type = data.financing_type
    award.accounting_codes = [c for c in data.accounting_codes if c]
    award.account_categories = {
        str(k).strip(): str(v).strip() for k, v in data.account_categories.items()
    }
    award.money_overrides = overrides
    budget = {(b.category, b.year): b for b in award.budget_lines}
    wanted_budget = {
        (line.category, line.year): line.planned
        for line in data.budget_lines
        if line.planned is not None
    }
    for key, line in budget.items():
        if key not in wanted_budget:
            award.budget_lines.remove(line)
    for (category, year), planned in wanted_budget.items():
        if (category, year) in budget:
            budget[(category, year)].planned = planned
        else:
            award.budget_lines.append(
                BudgetLine(category=category, year=year, planned=planned)
            )
    income = {(i.kind, i.year): i for i in award.income_lines}
    wanted_income = {
        (line.kind, line.year): line.planned
        for line in data.income
        if line.planned is not None
    }
    for key, item in income.items():
        if key not in wanted_income:
            award.income_lines.remove(item)
    for (kind, year), planned in wanted_income.items():
        if (kind, year) in income:
            income[(kind, year)].planned = planned
        else:
            award.income_lines.append(IncomeLine(kind=kind, year=year, planned=planned))
    session.flush()
    sync_award(session, award, state, regimes_dir)
    return award


def totals(data: PlanIn) -> dict[str, Decimal]:
    """Sums of a plan as entered: per year and overall (the form shows them)."""
    result: dict[str, Decimal] = {}
    for line in data.budget_lines:
        if line.planned is not None:
            key = str(line.year)
            result[key] = result.get(key, Decimal(0)) + line.planned
    result["gesamt"] = sum(result.values(), Decimal(0))
    return result
