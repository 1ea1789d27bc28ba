"""How far a position of the Finanzierungsplan may be overrun (ANBest-P Nr. 1.2).

ANBest-P (and ANBest-Gk, ANBest-G/-P NRW) Nr. 1.2: the Finanzierungsplan is binding
as to its overall result; within it, each Einzelansatz may be exceeded by up to
20 % where savings on other Ansätze compensate. The Einzelansatz is the
position's amount in the Finanzierungsplan of the Bescheid as a whole, that is,
over the whole Bewilligungszeitraum: the split by Haushaltsjahr only plans the
cash (research/domain.md §2.2, the Verwendungsnachweis per plan position). So
the span is always the whole plan: a position's spending so far (through a day,
or through a Haushaltsjahr for a Zwischennachweis) against its whole Ansatz.
``portfolio check`` and the Nachweis's Abweichung/20 % column both ask
``overruns``, so they agree to the cent: exactly 20 % over is allowed, one cent
more is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

LIMIT = Decimal("0.2")
CENT = Decimal("0.01")
ZERO = Decimal(0)
Lines = Mapping[tuple[str, int], Decimal]


@dataclass(frozen=True, slots=True)
class Overrun:
    """A position spent beyond its whole Ansatz plus the limit (or not planned)."""

    category: str
    planned: Decimal  # the Ansatz: the position over the whole plan (0: none)
    spent: Decimal
    allowed: Decimal

    @property
    def excess(self) -> Decimal:
        """How much more was spent than allowed."""
        return self.spent - self.allowed

    @property
    def unplanned(self) -> bool:
        """Spent on a position the plan does not name."""
        return self.planned <= 0


def position_totals(lines: Lines, until_year: int | None = None) -> dict[str, Decimal]:
    """Each position summed over the years (up to ``until_year`` if given)."""
    totals: dict[str, Decimal] = {}
    for (category, year), value in lines.items():
        if until_year is None or year <= until_year:
            totals[category] = totals.get(category, ZERO) + value
    return totals


def allowed(planned: Decimal, limit: Decimal = LIMIT) -> Decimal:
    """The most a position of ``planned`` may reach: the Ansatz plus the limit."""
    return (planned * (1 + limit)).quantize(CENT, ROUND_HALF_UP)


def overruns(
    planned: Lines,
    spent: Lines,
    *,
    limit: Decimal = LIMIT,
    until_year: int | None = None,
) -> dict[str, Overrun]:
    """The positions over their limit, by position.

    ``planned``: the whole Finanzierungsplan in force, (position, year) → amount;
    ``spent``: the Ist so far; ``until_year`` counts the Ist only up to that
    Haushaltsjahr (a Zwischennachweis), while the Ansatz stays the whole plan's.
    """
    plan = position_totals(planned)
    used = position_totals(spent, until_year)
    found: dict[str, Overrun] = {}
    for category in sorted(used):
        amount, ansatz = used[category], plan.get(category, ZERO)
        if amount <= 0:
            continue
        most = allowed(ansatz, limit) if ansatz > 0 else ZERO
        if amount > most:
            found[category] = Overrun(category, ansatz, amount, most)
    return found
