"""Retention periods: from when an award's files may be destroyed (DESIGN §4).

Receipts, contracts and the other files of a grant must be kept for years after the
Verwendungsnachweis (ANBest-P, BMBF edition, Nr. 6.5: five years after its
submission; Land, EU and foundation rules differ). Each regime names its rule in a
``[retention]`` table — years, legal source, confidence — and portfolio records the
date as an obligation of kind ``aufbewahrung``: listed, never reminded of, never
overdue. The period counts from the day the Verwendungsnachweis was submitted; until
it is marked submitted, provisionally from its due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from portfolio.domain.errors import InvalidValue
from portfolio.domain.periods import add_months

RETENTION_ID = "AUFBEWAHRUNG"
TITLE = "Aufbewahrungsfrist der Unterlagen endet"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """How long files are kept after the Verwendungsnachweis (0 years: no rule)."""

    years: int
    source: str
    confidence: str = "U"
    note: str = ""


@dataclass(frozen=True, slots=True)
class RetentionDate:
    """The end of the retention period of one award, and how it was reached."""

    until: date
    provisional: bool
    basis: str


def parse_retention(data: object, name: str) -> RetentionRule | None:
    """Read a regime's ``[retention]`` table (absent: no rule)."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InvalidValue(f"retention muss eine Tabelle sein ({name}).")
    years = data.get("years")
    if not isinstance(years, int) or isinstance(years, bool) or years < 0:
        raise InvalidValue(
            f"retention.years muss eine ganze Zahl ab 0 sein ({name}), nicht {years!r}."
        )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InvalidValue(f"retention.source fehlt ({name}): die Rechtsquelle.")
    confidence = str(data.get("confidence", "U"))
    if confidence not in ("V", "S", "U"):
        raise InvalidValue(
            f"retention.confidence {confidence!r} ist nicht V, S oder U ({name})."
        )
    return RetentionRule(years, source, confidence, str(data.get("note", "")))


def retention_until(
    rule: RetentionRule, vn_due: date, submitted_on: date | None
) -> RetentionDate | None:
    """The last day files must be kept; None when the regime keeps none."""
    if rule.years <= 0:
        return None
    start = submitted_on or vn_due
    until = add_months(start, 12 * rule.years)
    years = f"{rule.years} Jahr{'' if rule.years == 1 else 'e'}"
    if submitted_on is not None:
        basis = (
            f"{years} ab Vorlage des Verwendungsnachweises am "
            f"{_de(submitted_on)}; danach dürfen die Unterlagen vernichtet werden, "
            f"wenn kein anderes Recht länger verlangt. Quelle: {rule.source}."
        )
    else:
        basis = (
            f"Vorläufig: {years} ab Fälligkeit des Verwendungsnachweises "
            f"({_de(vn_due)}), bis er als eingereicht markiert ist. "
            f"Quelle: {rule.source}."
        )
    if rule.confidence == "U":
        basis += " Quelle nicht belegt (Annahme)."
    return RetentionDate(until, submitted_on is None, basis)


def _de(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"
