"""The portfolio report's pictures: a timeline and a funding-mix chart.

Drawn with matplotlib (Agg, no display needed) as SVG for html and pdf (text kept as
text, deterministic ids, no timestamp, so the html is stable for golden tests) and as
PNG for Word. German labels and number formats. matplotlib is imported by the
functions that draw, not with the module: it takes most of a second, and the CLI and
the web import the reports package for much more than the charts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from portfolio.domain import palette
from portfolio.domain.enums import FunderKind
from portfolio.domain.money import format_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLOURS = {kind.value: colour for kind, colour in palette.FUNDER_KIND.items()}
STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "svg.fonttype": "none",
    "svg.hashsalt": "portfolio",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True, slots=True)
class Bar:
    """One programme phase on the timeline."""

    label: str
    start: date
    end: date | None
    ends_soon: bool


def _use_agg() -> None:
    """Draw without a display; called before pyplot is imported."""
    import matplotlib as mpl

    mpl.use("Agg")


def _num(day: date) -> float:
    """A date as matplotlib's day number."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def _save(figure: Figure, fmt: str) -> bytes:
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    if fmt == "svg":
        figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    else:
        figure.savefig(out, format="png", dpi=160, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


def timeline(bars: list[Bar], today: date, first: int, last: int, fmt: str) -> bytes:
    """Programmes across the years, today as a line, ends within a year in orange."""
    _use_agg()
    import matplotlib as mpl
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    with mpl.rc_context(STYLE):
        labels = list(dict.fromkeys(b.label for b in bars))
        figure, axes = plt.subplots(figsize=(7.2, 0.3 * max(len(labels), 3) + 0.9))
        right = date(last, 12, 31)
        for bar in bars:
            row = labels.index(bar.label)
            end = bar.end or right
            colour = palette.PHASE_ENDING if bar.ends_soon else palette.PHASE
            start_num = _num(bar.start)
            width = (_num(end)) - start_num
            axes.barh(
                row,
                width,
                left=start_num,
                height=0.6,
                color=colour,
                hatch="//" if bar.end is None else None,
                edgecolor="white",
            )
        axes.axvline((_num(today)), color=palette.TODAY, linewidth=1.2)
        axes.text(
            (_num(today)),
            -0.9,
            f" heute {today:%d.%m.%Y}",
            color=palette.TODAY,
            fontsize=7,
        )
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.set_xlim((_num(date(first, 1, 1))), (_num(right)))
        locator = mdates.YearLocator()  # type: ignore[no-untyped-call]
        formatter = mdates.DateFormatter("%Y")  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(formatter)
        axes.grid(axis="x", color=palette.GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        return _save(figure, fmt)


def _euro(value: float, _pos: int) -> str:
    return f"{format_number(Decimal(str(value)) / 1000)} T€"


def funding_mix(
    years: list[int],
    by_kind: dict[str, dict[int, Decimal]],
    labels: dict[str, str],
    counts: dict[str, int],
    fmt: str,
) -> bytes:
    """Money by funder kind per year (stacked) and programmes per funder kind."""
    _use_agg()
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    with mpl.rc_context(STYLE):
        figure, (money_axes, count_axes) = plt.subplots(
            1, 2, figsize=(7.2, 2.8), gridspec_kw={"width_ratios": [3, 2]}
        )
        bottom = [0.0] * len(years)
        for kind, per_year in by_kind.items():
            values = [float(per_year.get(y, 0)) for y in years]
            money_axes.bar(
                [str(y) for y in years],
                values,
                bottom=bottom,
                color=COLOURS.get(kind, palette.FUNDER_KIND[FunderKind.OTHER]),
                label=labels[kind],
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        money_axes.yaxis.set_major_formatter(FuncFormatter(_euro))
        money_axes.set_title("Mittel je Jahr nach Art des Fördergebers", fontsize=8)
        if by_kind:
            money_axes.legend(fontsize=7, frameon=False)
        else:
            money_axes.text(
                0.5,
                0.5,
                "keine Beträge erfasst",
                ha="center",
                transform=money_axes.transAxes,
                color="#555555",
            )
        kinds = list(counts)
        count_axes.barh(
            [labels[k] for k in kinds],
            [counts[k] for k in kinds],
            color=[
                COLOURS.get(k, palette.FUNDER_KIND[FunderKind.OTHER]) for k in kinds
            ],
        )
        count_axes.invert_yaxis()
        count_axes.set_title("Programme je Art des Fördergebers", fontsize=8)
        count_axes.xaxis.get_major_locator().set_params(integer=True)
        figure.tight_layout()
        return _save(figure, fmt)
