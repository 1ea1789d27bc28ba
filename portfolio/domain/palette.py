"""The colours of the portfolio's pictures, declared once for every place that draws.

The portfolio report's timeline (html and pdf), its funding-mix chart, the
workbook's Zeitstrahl sheet and the web's Zeitstrahl all take their colours from
here, so a phase, a programme ending soon or a funder kind looks the same on
paper, in Excel and in the browser. Plain hex strings; nothing here draws.
"""

from __future__ import annotations

from portfolio.domain.enums import FunderKind

PHASE = "#5B8BC9"
"""A phase of a programme."""

PHASE_ENDING = "#ED7D31"
"""A phase of a programme that ends within the next twelve months."""

PHASE_CURRENT = "#1F3B63"
"""The running phase where a month grid marks it (the workbook)."""

TODAY = "#1F3B63"
"""Today's (or the Stichtag's) line."""

GRID = "#DDDDDD"
"""Year lines behind the bars."""

ENDING_MONTHS = 12
"""How far ahead a programme's end colours its phases as ending."""

FUNDER_KIND: dict[FunderKind, str] = {
    FunderKind.EU: "#2F5597",
    FunderKind.BUND: "#C00000",
    FunderKind.LAND: "#70AD47",
    FunderKind.KOMMUNE: "#7F7F7F",
    FunderKind.STIFTUNG: "#ED7D31",
    FunderKind.OTHER: "#A5A5A5",
}
"""One colour per funder kind (the funding-mix chart, the web's kind stripes)."""
