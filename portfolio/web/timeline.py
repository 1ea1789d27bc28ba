"""Lay out the Zeitstrahl: programmes as rows, phases as labelled segments.

Pure geometry: dates become x positions on a shared year scale; each phase is a
segment of its own, labelled "Phase II · 01.11.2016 – 30.04.2018" (shortened to
what fits the segment; the full label is its accessible name and heads its details:
funders, amount, the deadlines within the phase). Colours come from the shared
palette, as in the PDF timeline: a phase in blue, the phases of a programme ending
within twelve months in orange, an open-ended phase running to the right edge and
fading out, today's line across all rows. Programmes ending within six months carry
the note "Anschlussfinanzierung klären". The template draws the SVG from these
numbers. A deadline's diamond is a button of its own: a tap (there is no hover
on a phone), a click or the keyboard shows its title, date and state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portfolio.domain import palette
from portfolio.domain.enums import ObligationStatus, label
from portfolio.domain.models import Phase
from portfolio.domain.money import format_money
from portfolio.domain.periods import add_months, format_date
from portfolio.storage.page_queries import TimelineItem

KIND_COLOURS = palette.FUNDER_KIND
"""Funder kinds as the PDF's funding-mix chart colours them (the dashboard's bars)."""
LABEL_WIDTH = 230
PLOT_WIDTH = 900
ROW_HEIGHT = 40
BAR_HEIGHT = 20
TOP = 34
FONT_SIZE = 11
# A safe width per character of the segment labels (DejaVu Sans digits: 0.636 em).
CHAR_WIDTH = 0.66 * FONT_SIZE
PADDING = 5.0


@dataclass
class Details:
    """What a segment's details panel says."""

    programme: str
    key: str
    heading: str
    funders: list[str]
    amount: str | None
    deadlines: list[str]
    note: str | None


@dataclass
class Segment:
    """One phase as a labelled, focusable segment."""

    id: str
    x: float
    y: float
    width: float
    colour: str
    open_ended: bool
    label: str
    shown: str
    start: str
    end: str
    details: Details

    @property
    def fill(self) -> str:
        """The colour, or the fading gradient of an open end."""
        return "url(#fade-phase)" if self.open_ended else self.colour


@dataclass
class Mark:
    """A deadline on a row: a diamond that shows its details when tapped or focused."""

    id: str
    x: float
    title: str
    open: bool
    name: str
    due: str
    state: str


@dataclass
class Row:
    """One programme on the timeline."""

    key: str
    label: str
    y: float
    bars: list[Segment]
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
    legend: list[tuple[str, str]] = field(default_factory=list)
    phase_colour: str = palette.PHASE
    today_colour: str = palette.TODAY
    grid_colour: str = palette.GRID


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


def _name(phase: Phase, count: int, index: int) -> str:
    if phase.name:
        return phase.name
    return "Laufzeit" if count == 1 else f"Phase {index + 1}"


def _months(phase: Phase) -> str:
    """The period by month, the shorter form of a label."""
    if phase.end is None:
        return f"seit {phase.start:%m/%Y}"
    return f"{phase.start:%m/%Y} – {phase.end:%m/%Y}"


def fitting(width: float, *candidates: str) -> str:
    """The longest candidate that fits the width (empty if none does)."""
    room = width - 2 * PADDING
    return next((c for c in candidates if len(c) * CHAR_WIDTH <= room), "")


def _funders(item: TimelineItem) -> list[str]:
    names: dict[str, None] = {}
    for funding in item.programme.fundings:
        funder = funding.funder
        names[f"{funder.short_name} ({label(funder.kind)})"] = None
    for award in item.programme.awards:
        funder = award.funder
        names.setdefault(f"{funder.short_name} ({label(funder.kind)})", None)
    return list(names)


def _ends(item: TimelineItem) -> date | None:
    period = item.programme.period()
    return period.end if period is not None else None


def _segment(
    item: TimelineItem, scale: Scale, y: float, index: int, today: date
) -> Segment:
    phases = item.programme.phases
    phase = phases[index]
    x1 = scale.x(phase.start)
    x2 = scale.x(phase.end) if phase.end else scale.x(scale.end)
    width = max(x2 - x1, 2.0)
    name = _name(phase, len(phases), index)
    full = f"{name} · {phase.period}"
    end = _ends(item)
    ending = end is not None and today < end <= add_months(today, palette.ENDING_MONTHS)
    inside = [
        f"{format_date(due)} {title} ({label(status)})"
        for due, title, status in item.deadlines
        if phase.start <= due and (phase.end is None or due <= phase.end)
    ]
    note = None
    if ending and end is not None:
        note = f"Das Programm endet am {format_date(end)}."
        if end <= add_months(today, 6):
            note += " Anschlussfinanzierung klären."
    details = Details(
        programme=item.programme.label,
        key=item.programme.key,
        heading=full,
        funders=_funders(item),
        amount=format_money(item.amount) if item.amount else None,
        deadlines=inside,
        note=note,
    )
    return Segment(
        id=f"abschnitt-{item.programme.key}-{index + 1}",
        x=x1,
        y=y,
        width=width,
        colour=palette.PHASE_ENDING if ending else palette.PHASE,
        open_ended=phase.end is None,
        label=full,
        shown=fitting(width, full, f"{name} · {_months(phase)}", name),
        start=phase.start.isoformat(),
        end=phase.end.isoformat() if phase.end else "",
        details=details,
    )


def _note(item: TimelineItem, today: date) -> str | None:
    end = _ends(item)
    if end is not None and today <= end <= add_months(today, 6):
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
        legend=[
            (palette.PHASE, "Phase"),
            (
                palette.PHASE_ENDING,
                f"Programm endet in den nächsten {palette.ENDING_MONTHS} Monaten",
            ),
        ],
    )
    for number, item in enumerate(items):
        y = TOP + number * ROW_HEIGHT + 4  # the segments; the deadlines below them
        bars = [
            _segment(item, scale, y, i, today)
            for i in range(len(item.programme.phases))
        ]
        marks = [
            Mark(
                id=f"frist-{item.programme.key}-{n + 1}",
                x=scale.x(due),
                title=f"{title}: {format_date(due)} ({label(status)})",
                open=status is ObligationStatus.OPEN,
                name=title,
                due=format_date(due),
                state=label(status),
            )
            for n, (due, title, status) in enumerate(item.deadlines)
            if scale.start <= due < scale.end
        ]
        row = Row(item.programme.key, item.programme.label, y, bars, marks)
        row.note = _note(item, today)
        if row.note and bars:
            row.note_x = bars[-1].x + bars[-1].width + 6
        timeline.rows.append(row)
    return timeline
