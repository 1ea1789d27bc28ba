"""Money pages: an award's money, its plan form, Mittelabrufe, money per programme.

``/bewilligungen/{id}/geld`` shows plan against Ist per position and year, the
payments with their spending deadline, Bestand, the proposed next Mittelabruf, the
award's warnings and the Mittelabfluss chart (plan and actual, cumulated by month).
The plan form (``…/plan``) works like a small spreadsheet: positions down, years of
the Bewilligungszeitraum across, sums computed live in the browser (and again on
the server). ``/geld`` lists money per programme and Haushaltsjahr, paginated.
Forms only parse and call the services (``edit_plan``, ``edit_disbursements``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portfolio.domain.enums import DisbursementKind, FinancingType, IncomeKind, label
from portfolio.domain.money_rules import load_money_rules
from portfolio.domain.plan_limit import LIMIT, overruns
from portfolio.services import edit_disbursements, edit_plan, edit_versions
from portfolio.services.edit_awards import get as get_award
from portfolio.services.edit_base import FormErrors
from portfolio.services.money import AwardMoney, award_money, propose_call
from portfolio.services.money_checks import award_warnings, over_plan_limit
from portfolio.services.money_overview import money_by_programme, totals
from portfolio.web.context import Ctx, editing, page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
EXTRA_ROWS = 3


def _options(ctx: Ctx) -> dict[str, Any]:
    settings = ctx.request.app.state.settings
    return {
        "state": str(settings.get("office.state")),
        "regimes_dir": settings.get("paths.regimes"),
    }


def _years(award: Any, money: AwardMoney | None = None) -> list[int]:
    years = set(money.years()) if money else set()
    if award.start and award.end:
        years |= set(range(award.start.year, award.end.year + 1))
    elif award.start:
        years.add(award.start.year)
    return sorted(years) or [date.today().year]


def chart(money: AwardMoney, award: Any) -> dict[str, Any] | None:
    """The Mittelabfluss: plan and actual, cumulated month by month (SVG points)."""
    years = _years(award, money)
    if not money.planned and not money.spent_by_day:
        return None
    months = [(y, m) for y in years for m in range(1, 13)]
    plan_by_month: dict[tuple[int, int], Decimal] = {}
    start, end = getattr(award, "start", None), getattr(award, "end", None)
    for year in years:
        # A year's plan is spread over its months within the Bewilligungszeitraum.
        inside = [
            m for m in range(1, 13)
            if (start is None or (year, m) >= (start.year, start.month))
            and (end is None or (year, m) <= (end.year, end.month))
        ] or list(range(1, 13))  # fmt: skip
        for month in inside:
            plan_by_month[(year, month)] = money.planned_in(year) / len(inside)
    spent_by_month: dict[tuple[int, int], Decimal] = {}
    for day, amount in money.spent_by_day:
        key = (day.year, day.month)
        spent_by_month[key] = spent_by_month.get(key, Decimal(0)) + amount
    plan_cum, spent_cum, total_plan, total_spent = [], [], Decimal(0), Decimal(0)
    last_spent = max(spent_by_month, default=None)
    for key in months:
        total_plan += plan_by_month.get(key, Decimal(0))
        plan_cum.append(total_plan)
        total_spent += spent_by_month.get(key, Decimal(0))
        spent_cum.append(total_spent if last_spent and key <= last_spent else None)
    top = max([total_plan, *[v for v in spent_cum if v is not None], Decimal(1)])
    width, height = 600, 200

    def points(values: list[Decimal | None]) -> str:
        step = width / max(1, len(values) - 1)
        return " ".join(
            f"{i * step:.1f},{height - float(v / top) * height:.1f}"
            for i, v in enumerate(values)
            if v is not None
        )

    return {
        "plan": points(list(plan_cum)),
        "actual": points(spent_cum),
        "width": width,
        "height": height,
        "first": f"01/{years[0]}",
        "last": f"12/{years[-1]}",
        "top": top,
    }


@router.get("/bewilligungen/{award_id}/geld", response_class=HTMLResponse)
def award_money_page(award_id: int, ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The money of one award."""
    award = get_award(ctx.session, award_id)
    money = award_money(ctx.session, award)
    options = _options(ctx)
    rules = load_money_rules(options["regimes_dir"]).get(award.regime or "")
    spend = rules.effective(award.money_overrides).spend if rules else None
    years = _years(award, money)
    return ctx.render(
        "money_award.html",
        nav="programmes",
        a=award,
        m=money,
        years=years,
        categories=money.categories(),
        proposal=propose_call(award, money, ctx.today, spend),
        warnings=award_warnings(ctx.session, award, rules, ctx.today),
        payments=sorted(
            award.disbursements,
            key=lambda d: (d.requested_on or d.received_on or date.min, d.id),
        ),
        uses={u.disbursement_id: u for u in money.payments},
        spend=spend,
        chart=chart(money, award),
        bescheide=edit_versions.bescheide(award),
        over=_over(award, money, rules),
    )


def _over(award: Any, money: AwardMoney, rules: Any) -> dict[str, str]:
    """Positions over their Ansatz as ``portfolio check`` sees them (Nr. 1.2)."""
    limit = over_plan_limit(award, rules) if award.regime else LIMIT
    if limit is None:
        return {}
    share = f"{(limit * 100).normalize():f}".replace(".", ",")
    return {
        category: (
            "nicht im Finanzierungsplan"
            if item.unplanned
            else f"Ansatz im Finanzierungsplan um mehr als {share} % überschritten"
        )
        for category, item in overruns(money.planned, money.spent, limit=limit).items()
    }


def _plan_values(award: Any, data: edit_plan.PlanIn | None = None) -> dict[str, Any]:
    data = data or edit_plan.as_input(award)
    return {
        "financing_type": data.financing_type.value if data.financing_type else "",
        "accounting_codes": ", ".join(data.accounting_codes),
        "account_categories": "\n".join(
            f"{k} = {v}" for k, v in data.account_categories.items()
        ),
        "money_overrides": "\n".join(
            f"{k} = {v}" for k, v in data.money_overrides.items()
        ),
        "positions": list(dict.fromkeys(line.category for line in data.budget_lines)),
        "plan": {
            (line.category, line.year): line.planned for line in data.budget_lines
        },
        "income": {(line.kind.value, line.year): line.planned for line in data.income},
    }


def _render_plan(
    ctx: Ctx,
    award: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    years = _years(award)
    for _category, year in values["plan"]:
        if year not in years:
            years.append(year)
    return ctx.render(
        "money_plan.html",
        status_code=status,
        nav="programmes",
        a=award,
        years=sorted(years),
        v=values,
        rows=[*values["positions"], *[""] * EXTRA_ROWS],
        errors=errors,
        financing=list(FinancingType),
        income_kinds=[(k.value, label(k)) for k in IncomeKind],
    )


@router.get("/bewilligungen/{award_id}/plan", response_class=HTMLResponse)
def plan_form(award_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The Finanzierungsplan of an award as a small spreadsheet."""
    award = get_award(ctx.session, award_id)
    return _render_plan(ctx, award, _plan_values(award), {})


def _read_plan(form: dict[str, str], years: list[int]) -> dict[str, Any]:
    lines = []
    row = 0
    while f"position-{row}" in form:
        category = form[f"position-{row}"].strip()
        for year in years:
            value = form.get(f"plan-{row}-{year}", "").strip()
            if category and value:
                lines.append({"category": category, "year": year, "planned": value})
        row += 1
    income = [
        {
            "kind": kind.value,
            "year": year,
            "planned": form[f"einnahme-{kind.value}-{year}"],
        }
        for kind in IncomeKind
        for year in years
        if form.get(f"einnahme-{kind.value}-{year}", "").strip()
    ]
    return {
        "financing_type": form.get("financing_type") or None,
        "accounting_codes": form.get("accounting_codes", ""),
        "account_categories": form.get("account_categories", ""),
        "money_overrides": form.get("money_overrides", ""),
        "budget_lines": lines,
        "income": income,
    }


@router.post("/bewilligungen/{award_id}/plan", response_class=HTMLResponse)
async def save_plan(
    award_id: int, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Store the plan; on a mistake show the form again with German messages."""
    award = get_award(ctx.session, award_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    years = sorted(
        {int(k.rsplit("-", 1)[1]) for k in form if k.startswith(("plan-", "einnahme-"))}
    )
    raw = _read_plan(form, years)
    try:
        data = edit_plan.PlanIn.parse(raw)
        edit_plan.save(ctx.session, award.id, data, **_options(ctx))
    except FormErrors as exc:
        values = {
            "financing_type": raw["financing_type"] or "",
            "accounting_codes": raw["accounting_codes"],
            "account_categories": raw["account_categories"],
            "money_overrides": raw["money_overrides"],
            "positions": list(
                dict.fromkeys(line["category"] for line in raw["budget_lines"])
            ),
            "plan": {
                (line["category"], line["year"]): line["planned"]
                for line in raw["budget_lines"]
            },
            "income": {
                (line["kind"], line["year"]): line["planned"] for line in raw["income"]
            },
        }
        return _render_plan(ctx, award, values, exc.errors, 422)
    ctx.flash("Finanzierungsplan gespeichert.")
    return ctx.redirect(f"/bewilligungen/{award.id}/geld")


@router.get("/bewilligungen/{award_id}/mittelabrufe/neu", response_class=HTMLResponse)
def new_payment(award_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """The form of a new Mittelabruf (the proposal filled in)."""
    award = get_award(ctx.session, award_id)
    money = award_money(ctx.session, award)
    rules = load_money_rules(_options(ctx)["regimes_dir"]).get(award.regime or "")
    spend = rules.effective(award.money_overrides).spend if rules else None
    proposal = propose_call(award, money, ctx.today, spend)
    values = edit_disbursements.DisbursementIn.parse(
        {"requested_on": ctx.today, "amount": proposal.amount or None}
    ).form_values()
    return _render_payment(ctx, award, None, values, {}, proposal.reason)


def _render_payment(
    ctx: Ctx,
    award: Any,
    item_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    hint: str = "",
    status: int = 200,
) -> HTMLResponse:
    return ctx.render(
        "money_payment.html",
        status_code=status,
        nav="programmes",
        a=award,
        item_id=item_id,
        v=values,
        errors=errors,
        hint=hint,
        kinds=list(DisbursementKind),
    )


@router.post("/bewilligungen/{award_id}/mittelabrufe/neu", response_class=HTMLResponse)
async def create_payment(
    award_id: int, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Record a Mittelabruf; its spending deadline follows."""
    award = get_award(ctx.session, award_id)
    form = _payment_form(await request.form())
    try:
        data = edit_disbursements.DisbursementIn.parse(form)
        edit_disbursements.create(ctx.session, award.id, data, **_options(ctx))
    except FormErrors as exc:
        return _render_payment(ctx, award, None, form, exc.errors, status=422)
    ctx.flash("Mittelabruf gespeichert.")
    return ctx.redirect(f"/bewilligungen/{award.id}/geld")


def _payment_form(form: Any) -> dict[str, str]:
    fields = ("kind", "requested_on", "amount", "received_on", "note")
    return {name: str(form.get(name, "")) for name in fields}


@router.get("/mittelabrufe/{item_id}/bearbeiten", response_class=HTMLResponse)
def edit_payment(item_id: int, ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """Change a Mittelabruf (e.g. enter the day the money arrived)."""
    item = edit_disbursements.get(ctx.session, item_id)
    values = edit_disbursements.as_input(item).form_values()
    return _render_payment(ctx, item.award, item.id, values, {})


@router.post("/mittelabrufe/{item_id}/bearbeiten", response_class=HTMLResponse)
async def update_payment(
    item_id: int, request: Request, ctx: Ctx = Depends(editing)
) -> Response:
    """Store the change, or delete the payment."""
    item = edit_disbursements.get(ctx.session, item_id)
    award = item.award
    form = await request.form()
    if form.get("aktion") == "loeschen":
        deleted = edit_disbursements.delete(ctx.session, item.id, **_options(ctx))
        ctx.flash(deleted.summary)
        return ctx.redirect(f"/bewilligungen/{award.id}/geld")
    values = _payment_form(form)
    try:
        data = edit_disbursements.DisbursementIn.parse(values)
        edit_disbursements.update(ctx.session, item.id, data, **_options(ctx))
    except FormErrors as exc:
        return _render_payment(ctx, award, item.id, values, exc.errors, status=422)
    ctx.flash("Mittelabruf gespeichert.")
    return ctx.redirect(f"/bewilligungen/{award.id}/geld")


@router.get("/geld", response_class=HTMLResponse)
def money_overview(
    ctx: Ctx = Depends(page), jahr: int = 0, seite: int = 1
) -> HTMLResponse:
    """Money per programme and Haushaltsjahr: bewilligt, geplant, ausgegeben."""
    year = jahr if 1950 <= jahr <= 2100 else ctx.today.year
    rows = money_by_programme(ctx.session, year)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(max(1, seite), pages)
    return ctx.render(
        "money_overview.html",
        nav="money",
        year=year,
        rows=rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        total=totals(rows),
        page_number=number,
        pages=pages,
    )
