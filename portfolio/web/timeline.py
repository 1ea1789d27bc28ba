"""Lay out the Zeitstrahl: programmes as rows, phases as bars, deadlines as marks.

Pure geometry: dates become x positions on a shared year scale; each phase is a bar
split into one band per funder kind (coloured by kind), an open-ended phase runs to
the right edge and fades out, today's line crosses all rows, and programmes ending
within six months carry the note "Anschlussfinanzierung klären". The template draws
the SVG from these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portfolio.domain.enums import FunderKind, ObligationStatus, label
from portfolio.domain.money import format_money
from portfolio.domain.periods import add_months, format_date
from portfolio.storage.page_queries import TimelineItem

KIND_COLOURS: dict[FunderKind, str] = {
    FunderKind.EU: "#1d4ed8",
    FunderKind.BUND: "#374151",
    FunderKind.LAND: "#047857",
    FunderKind.KOMMUNE: "#b45309",
    FunderKind.STIFTUNG: "#7e22ce",
    FunderKind.OTHER: "#64748b",
}
LABEL_WIDTH = 230
PLOT_WIDTH = 900
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 34


@dataclass
class Band:
    """One coloured stripe of a bar (one funder kind)."""

    y: float
    height: float
    kind: str
    colour: str


@dataclass
class Bar:
    """One phase as a bar."""

    x: float
    width: float
    open_ended: bool
    title: str
    start: str
    end: str
    bands: list[Band]


@dataclass
class Mark:
    """A deadline on a row."""

    x: float
    title: str
    open: bool


@dataclass
class Row:
    """One programme on the timeline."""

    key: str
    label: str
    y: float
    bars: list[Bar]
    marks: list[Mark]
    note: str | None = None
    note_x: float = 0.0


@dataclass
class Timeline:
    """The whole picture: size, year ticks, today's line, rows and the legend."""

    width: int
    height: int
    years: list[tuple[float, int]]
    today_x: float
    today_text: str
    rows: list[Row] = field(default_factory=list)
    legend: list[tuple[str, str, str]] = field(default_factory=list)


class Scale:
    """Dates to x positions between two years."""

    def __init__(self, first_year: int, last_year: int) -> None:
        """Cover whole years from first to last (inclusive)."""
        self.start = date(first_year, 1, 1)
        self.end = date(last_year + 1, 1, 1)
        self.days = (self.end - self.start).days

    def x(self, day: date) -> float:
        """The x position of a day, clamped into the plot."""
        day = min(max(day, self.start), self.end)
        return round(LABEL_WIDTH + PLOT_WIDTH * (day - self.start).days / self.days, 1)


def _years(items: list[TimelineItem], today: date) -> tuple[int, int]:
    starts = [p.start for i in items for p in i.programme.phases]
    ends = [p.end for i in items for p in i.programme.phases if p.end]
    first = min([*starts, today]).year
    last = max([*ends, today]).year + 1
    return max(first, last - 25), last


def _amount_text(amount: Decimal | None) -> str:
    return f" · {format_money(amount)}" if amount else ""


def _bar(item: TimelineItem, scale: Scale, y: float, index: int) -> Bar:
    phase = item.programme.phases[index]
    x1 = scale.x(phase.start)
    x2 = scale.x(phase.end) if phase.end else scale.x(scale.end)
    kinds = item.kinds or (FunderKind.OTHER,)
    band = BAR_HEIGHT / len(kinds)
    title = (
        f"{item.programme.label} – {phase.name or 'Phase'}: {phase.period}"
        f"{_amount_text(item.amount)}"
    )
    return Bar(
        x=x1,
        width=max(x2 - x1, 2.0),
        open_ended=phase.end is None,
        title=title,
        start=phase.start.isoformat(),
        end=phase.end.isoformat() if phase.end else "",
        bands=[
            Band(y + i * band, band, k.value, KIND_COLOURS[k])
            for i, k in enumerate(kinds)
        ],
    )


def _note(item: TimelineItem, today: date) -> str | None:
    period = item.programme.period()
    if period is None or period.end is None:
        return None
    if today <= period.end <= add_months(today, 6):
        return "Anschlussfinanzierung klären"
    return None


def build(items: list[TimelineItem], today: date, stichtag: bool) -> Timeline:
    """Place every programme of the page on one year scale."""
    first, last = _years(items, today)
    scale = Scale(first, last)
    timeline = Timeline(
        width=LABEL_WIDTH + PLOT_WIDTH + 20,
        height=TOP + ROW_HEIGHT * max(len(items), 1) + 10,
        years=[(scale.x(date(y, 1, 1)), y) for y in range(first, last + 1)],
        today_x=scale.x(today),
        today_text=("Stichtag " if stichtag else "Heute ") + format_date(today),
        legend=[(k.value, label(k), c) for k, c in KIND_COLOURS.items()],
    )
    for number, item in enumerate(items):
        y = TOP + number * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        bars = [_bar(item, scale, y, i) for i in range(len(item.programme.phases))]
        marks = [
            Mark(
                scale.x(due),
                f"{title}: {format_date(due)} ({label(status)})",
                status is ObligationStatus.OPEN,
            )
            for due, title, status in item.deadlines
            if scale.start <= due < scale.end
        ]
        row = Row(item.programme.key, item.programme.label, y, bars, marks)
        row.note = _note(item, today)
        if row.note and bars:
            row.note_x = bars[-1].x + bars[-1].width + 6
        timeline.rows.append(row)
    return timeline
