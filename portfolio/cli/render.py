"""Terminal output: German tables and lines, shared by every command.

Tables go through rich so they fit the terminal; when the output is not a terminal
(a pipe, a test) they are printed without colour at a fixed width.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from rich.console import Console
from rich.table import Table

from portfolio.domain.enums import label
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.storage.queries import ProgrammeRow


def console() -> Console:
    """A console for stdout (wide and plain when not a terminal)."""
    plain = Console()
    if plain.is_terminal:
        return plain
    return Console(width=160, no_color=True, highlight=False, soft_wrap=False)


def table(
    title: str | None, headers: Sequence[str], rows: Iterable[Sequence[str]]
) -> Table:
    """A simple table with German headers."""
    result = Table(title=title, show_lines=False, title_justify="left")
    for header in headers:
        numeric = header in ("Betrag", "Summe", "Anzahl")
        result.add_column(
            header, justify="right" if numeric else "left", overflow="fold"
        )
    for row in rows:
        result.add_row(*row)
    return result


def due_text(day: date | None, today: date) -> str:
    """A deadline with its state relative to today."""
    if day is None:
        return "–"
    text = format_date(day)
    if day < today:
        return f"{text} (überfällig)"
    return text


def stichtag_line(stichtag: date | None) -> str | None:
    """The banner for a database with a Stichtag."""
    if stichtag is None:
        return None
    day = format_date(stichtag)
    return f"Stichtag {day} – alle Listen behandeln diesen Tag als heute."


def programmes_table(rows: Sequence[ProgrammeRow], today: date) -> Table:
    """The programme overview as a table."""
    return table(
        f"Programme ({len(rows)})",
        ["Schlüssel", "Programm", "Fördergeber", "Laufzeit", "Betrag", "Status",
         "Nächste Frist"],
        (
            (
                row.key,
                row.label,
                ", ".join(row.funders) or "–",
                str(row.period) if row.period else "–",
                format_money(row.amount),
                label(row.status),
                due_text(row.next_due, today),
            )
            for row in rows
        ),
    )  # fmt: skip
