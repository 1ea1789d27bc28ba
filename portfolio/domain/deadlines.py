"""Deadline formulas over anchor dates, and the working-day shift (DESIGN §4).

The formulas are the ones of the DESIGN §4 table and of research/domain.md §4:
``end_of_nth_month_after`` (§ 192 BGB), ``months_after`` (§ 188 Abs. 2/3 BGB, clamped
to the month end), ``min``/``max``, ``before`` and the per-Haushaltsjahr ``yearly``.
A regime file writes them as a small expression, e.g.
``min(months_after(zweck_erfuellt, 6), end_of_nth_month_after(bewilligung_end, 6))``;
``parse_formula`` turns it into a tree that is checked once and evaluated many times,
without ``eval``. A computed deadline on a Saturday, Sunday or public holiday of the
office's state moves to the next working day (§ 193 BGB, § 31 Abs. 3 VwVfG);
``WorkingDays`` knows those days through the ``holidays`` package. A "within …
after the purpose, at the latest …" date says which limit it used and why
(``Occurrence.basis``) and keeps the later outer limit (``Occurrence.latest``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

from portfolio.domain.errors import InvalidValue
from portfolio.domain.periods import add_months, month_end

ANCHORS = (
    "bewilligung_start",
    "bewilligung_end",
    "zweck_erfuellt",
    "haushaltsjahr_end",
)


def end_of_nth_month_after(anchor: date, months: int) -> date:
    """Last day of the n-th month after the anchor's month (§ 192 BGB)."""
    first = add_months(anchor.replace(day=1), months)
    return month_end(first.year, first.month)


def months_after(anchor: date, months: int) -> date:
    """Day for day ``months`` later, clamped to the month end (§ 188 Abs. 2/3 BGB)."""
    return add_months(anchor, months)


def before(anchor: date, months: int) -> date:
    """``months`` ahead of an anchor (extension applications), clamped likewise."""
    return add_months(anchor, -months)


def days_after(anchor: date, days: int) -> date:
    """Add a plain number of days after the anchor (negative: before)."""
    return anchor + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Anchors:
    """The dates of one award that formulas may refer to.

    ``zweck_erfuellt`` is only known when the award records it. Unknown, the purpose
    is assumed fulfilled on the last day of the Bewilligungszeitraum, the earlier of
    the two limits of ANBest-P Nr. 6.1: for a term ending 30.04.2018 the
    Verwendungsnachweis is due 30.10.2018 (§§ 187 I, 188 II BGB), with the outer limit
    31.10.2018 shown beside it — the same date a recorded Zweckerfüllung on the
    term's last day gives. ``yearly`` stops at the term's end. ``horizon`` bounds
    open-ended terms (a Kooperationsvertrag "seit 11/2009") for yearly rules.
    """

    bewilligung_start: date | None = None
    bewilligung_end: date | None = None
    zweck_erfuellt: date | None = None
    horizon: date | None = None

    def get(self, name: str) -> date | None:
        """Return an anchor date by name (None when the award does not know it)."""
        if name == "zweck_erfuellt":
            return self.zweck_erfuellt or self.bewilligung_end
        if name in ("bewilligung_start", "bewilligung_end"):
            value: date | None = getattr(self, name)
            return value
        raise InvalidValue(f"Unbekannter Ankerzeitpunkt {name!r} in einer Fristformel.")

    @property
    def last_day(self) -> date | None:
        """The last day the term covers: its end, else the horizon."""
        return self.bewilligung_end or self.horizon


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One computed date of a formula; ``key`` tells yearly occurrences apart."""

    due: date
    key: str = ""
    year: int | None = None
    # The outer limit when it lies after ``due`` ("spätestens …"), and why ``due``.
    latest: date | None = None
    basis: str = ""


class MissingAnchorError(Exception):
    """A formula needs an anchor the award does not have; the template is skipped."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula: evaluate it with ``occurrences(anchors)``."""

    text: str
    node: ast.expr = field(repr=False)

    @property
    def series(self) -> str:
        """The series function at the top (``yearly`` …), or "" for a single date."""
        node = self.node
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _SERIES_FUNCS
        ):
            return node.func.id
        return ""

    def missing(self, anchors: Anchors) -> list[str]:
        """The anchors the formula refers to that the award does not know."""
        names = [
            n.id
            for n in ast.walk(self.node)
            if isinstance(n, ast.Name) and n.id != "haushaltsjahr_end"
        ]
        if self.series:
            names.append("bewilligung_start")
            if anchors.last_day is None:
                names.append("bewilligung_end")
        return sorted({n for n in names if n in ANCHORS and anchors.get(n) is None})

    def occurrences(self, anchors: Anchors) -> list[Occurrence]:
        """All dates the formula yields for an award (empty if an anchor is missing)."""
        try:
            return _top(self.node, anchors)
        except MissingAnchorError:
            return []


_DATE_FUNCS: dict[str, Callable[[date, int], date]] = {
    "end_of_nth_month_after": end_of_nth_month_after,
    "months_after": months_after,
    "before": before,
    "days_after": days_after,
}
_SERIES_FUNCS = ("yearly", "every_months", "yearly_on")


def parse_formula(text: str) -> Formula:
    """Parse and check a formula; raise ``InvalidValue`` with a German sentence."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InvalidValue(f"Die Fristformel {text!r} ist nicht lesbar.") from exc
    _check(tree.body, text, top=True)
    return Formula(text=text.strip(), node=tree.body)


def _check(node: ast.expr, text: str, *, top: bool) -> None:
    """Refuse anything but known functions, anchor names and integer literals."""
    if isinstance(node, ast.Name):
        if node.id not in ANCHORS:
            raise InvalidValue(f"Unbekannter Ankerzeitpunkt {node.id!r} in {text!r}.")
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, text, top=False)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        allowed = {*_DATE_FUNCS, "min", "max"} | (set(_SERIES_FUNCS) if top else set())
        if name not in allowed or node.keywords:
            raise InvalidValue(
                f"Unbekannte Funktion {name!r} in der Fristformel {text!r}."
            )
        for arg in node.args:
            _check(arg, text, top=False)
        return
    raise InvalidValue(f"Die Fristformel {text!r} enthält einen unerlaubten Ausdruck.")


def _top(node: ast.expr, anchors: Anchors) -> list[Occurrence]:
    """Evaluate the top level, where series functions may yield several dates."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name, args = node.func.id, node.args
        if name == "yearly":
            return _yearly(
                anchors, _int(args[1]), _int(args[2]) if len(args) > 2 else 0
            )
        if name == "every_months":
            return _every_months(anchors, _int(args[1]), _int(args[2]))
        if name == "yearly_on":
            return _yearly_on(anchors, _int(args[0]), _int(args[1]))
    return [_single(node, anchors)]


def _uses(node: ast.expr, name: str) -> bool:
    """Whether an expression refers to an anchor."""
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _min_of(nodes: Sequence[ast.expr], anchors: Anchors) -> date | None:
    """The earliest of the expressions that can be evaluated, else None."""
    values = []
    for item in nodes:
        try:
            values.append(_date(item, anchors))
        except MissingAnchorError:
            continue
    return min(values) if values else None


def _single(node: ast.expr, anchors: Anchors) -> Occurrence:
    """A single date; for "within … of the purpose, at the latest …" say which."""
    due = _date(node, anchors)
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "min"
    ):
        return Occurrence(due)
    purpose = [a for a in node.args if _uses(a, "zweck_erfuellt")]
    outer = _min_of([a for a in node.args if not _uses(a, "zweck_erfuellt")], anchors)
    by_purpose = _min_of(purpose, anchors)
    if not purpose or outer is None or by_purpose is None:
        return Occurrence(due)
    latest = outer if outer > due else None
    limit = f", spätestens {format_de(outer)} (äußerste Grenze)" if latest else ""
    if anchors.zweck_erfuellt is None:
        end = anchors.bewilligung_end
        assert end is not None  # by_purpose was computed from it
        same = "" if latest else " (zugleich die äußerste Grenze)"
        basis = (
            "Zweckerfüllung nicht eingetragen: angenommen am letzten Tag des "
            f"Bewilligungszeitraums ({format_de(end)}), das ergibt die frühere Frist "
            f"{format_de(due)}{same}{limit}. Mit eingetragener Zweckerfüllung wird "
            "neu gerechnet."
        )
    elif by_purpose <= outer:
        basis = (
            f"Frist ab Zweckerfüllung ({format_de(anchors.zweck_erfuellt)}): "
            f"{format_de(due)}{limit}."
        )
    else:
        basis = (
            f"Äußerste Grenze {format_de(outer)} gilt: Sie liegt vor der Frist ab "
            f"Zweckerfüllung ({format_de(anchors.zweck_erfuellt)} → "
            f"{format_de(by_purpose)})."
        )
    return Occurrence(due, latest=latest, basis=basis)


def _date(node: ast.expr, anchors: Anchors) -> date:
    """Evaluate a date-valued expression."""
    if isinstance(node, ast.Name):
        if node.id == "haushaltsjahr_end":
            raise InvalidValue("haushaltsjahr_end gibt es nur in yearly(…).")
        value = anchors.get(node.id)
        if value is None:
            raise MissingAnchorError(node.id)
        return value
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    name = node.func.id
    if name in ("min", "max"):
        values = []
        for arg in node.args:
            try:
                values.append(_date(arg, anchors))
            except MissingAnchorError:
                continue  # "at the latest …": the bound that is known applies
        if not values:
            raise MissingAnchorError(name)
        return min(values) if name == "min" else max(values)
    return _DATE_FUNCS[name](_date(node.args[0], anchors), _int(node.args[1]))


def _int(node: ast.expr) -> int:
    """Evaluate an integer literal (possibly negative)."""
    if isinstance(node, ast.UnaryOp):
        return -_int(node.operand)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    raise InvalidValue("In einer Fristformel wird hier eine ganze Zahl erwartet.")


def _yearly(anchors: Anchors, months: int, min_days_in_year: int) -> list[Occurrence]:
    """One occurrence per Haushaltsjahr whose end the purpose has not reached.

    A Zwischennachweis is owed for a Haushaltsjahr only if the purpose was not yet
    fulfilled at its end (ANBest-P Nr. 6.1 S. 2); the last year goes into the
    Verwendungsnachweis. ``min_days_in_year`` skips a first year the term barely
    touches (some funders waive the ZN then; default 0 = never skip).
    """
    start = anchors.bewilligung_start
    fulfilled = anchors.zweck_erfuellt or anchors.bewilligung_end
    last = fulfilled or anchors.horizon
    if start is None or last is None:
        raise MissingAnchorError("bewilligung_start")
    result = []
    for year in range(start.year, last.year + 1):
        year_end = date(year, 12, 31)
        if fulfilled is not None and year_end >= fulfilled:
            break
        if year == start.year and (year_end - start).days + 1 < min_days_in_year:
            continue
        due = months_after(year_end, months)
        result.append(Occurrence(due=due, key=str(year), year=year))
    return result


def _every_months(anchors: Anchors, every: int, lag: int) -> list[Occurrence]:
    """Every ``every`` months of the term from its start, due ``lag`` months later.

    Only full stretches strictly inside the term count; the final one is covered by
    the closing report (Stiftung Mercator interim statements).
    """
    start, end = anchors.bewilligung_start, anchors.last_day
    if start is None or end is None:
        raise MissingAnchorError("bewilligung_start")
    result, n = [], 1
    while (cut := add_months(start, every * n) - timedelta(days=1)) < end:
        result.append(Occurrence(due=months_after(cut, lag), key=f"{n}", year=cut.year))
        n += 1
    return result


def _yearly_on(anchors: Anchors, month: int, day: int) -> list[Occurrence]:
    """List a fixed day in every year of the term (open terms up to the horizon)."""
    start, end = anchors.bewilligung_start, anchors.last_day
    if start is None or end is None:
        raise MissingAnchorError("bewilligung_start")
    result = []
    for year in range(start.year, end.year + 1):
        due = date(year, month, min(day, month_end(year, month).day))
        if start <= due <= end:
            result.append(Occurrence(due=due, key=str(year), year=year))
    return result


class WorkingDays:
    """Working days of one German state: not Saturday, Sunday or a public holiday."""

    def __init__(self, state: str = "NW") -> None:
        """Remember the state code (``NW``, ``BY`` …) of the holiday calendar."""
        self.state = state

    def holiday_name(self, day: date) -> str | None:
        """Return the German name of the public holiday on that day, if any."""
        names = _holidays(self.state, day.year)
        return names.get(day)

    def is_working_day(self, day: date) -> bool:
        """Whether a deadline may end on that day."""
        return day.weekday() < 5 and self.holiday_name(day) is None

    def why_not(self, day: date) -> str:
        """Why a deadline cannot end on that day: "Sonntag", "Feiertag: Erster Mai"."""
        name = self.holiday_name(day)
        if name:
            return f"Feiertag: {name}"
        return weekday_de(day) if day.weekday() >= 5 else ""

    def shift(self, day: date) -> date:
        """Move a computed deadline to the next working day (§ 193 BGB)."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


@lru_cache(maxsize=256)
def _holidays(state: str, year: int) -> dict[date, str]:
    """Return the public holidays of a state and year, with German names (cached)."""
    try:
        table = holidays.country_holidays("DE", subdiv=state, years=year, language="de")
    except NotImplementedError as exc:
        raise InvalidValue(
            f"Das Bundesland {state!r} ist unbekannt; "
            "erlaubt sind Kürzel wie NW oder BY."
        ) from exc
    return dict(table.items())


def shift_note(due: date, moved: date, calendar: WorkingDays) -> str:
    """Say why a deadline moved: "Fristende 30.04.2017 (Sonntag), … → 02.05.2017"."""
    days = []
    day = due
    while day < moved:
        days.append(f"{format_de(day)} ({calendar.why_not(day)})")
        day += timedelta(days=1)
    return (
        f"Fristende {', '.join(days)} → nächster Werktag {format_de(moved)} "
        "(§ 193 BGB, § 31 Abs. 3 VwVfG)."
    )


def effective(due: date, calendar: WorkingDays | None, *, shift: bool = True) -> date:
    """Return the effective deadline: computed Fristen shift, Termine do not."""
    if not shift or calendar is None:
        return due
    return calendar.shift(due)


def parse_iso(value: Any, where: str) -> date:
    """Read an ISO date from a data file or an override, with a German error."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidValue(
            f"{value!r} ist kein Datum ({where}); erwartet wird JJJJ-MM-TT."
        ) from exc


def format_de(day: date) -> str:
    """Write a date the German way: 02.05.2017."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def weekday_de(day: date) -> str:
    """Return the German weekday name of a date."""
    names: Sequence[str] = (
        "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
    )  # fmt: skip
    return names[day.weekday()]
