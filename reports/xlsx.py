"""Shared xlsx writing: formats, safe cells, table sheets with the office's print setup.

Workbooks are written with XlsxWriter in constant-memory mode (rows stream to disk,
so 100,000 deadlines need little memory). Text is always written as a string cell:
a name a user typed as ``=HYPERLINK(…)`` or ``-5 %`` stays text and never becomes a
formula (``strings_to_formulas`` is off and ``write_string`` is used throughout).
Money uses the number format ``#,##0.00 "€"``, which Excel and LibreOffice show the
German way (``1.234,56 €``) in a German locale; dates use ``DD.MM.YYYY``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

MONEY = '#,##0.00 "€"'
DATE = "DD.MM.YYYY"
DATE_TIME = "DD.MM.YYYY hh:mm"
PERCENT = "0 %"
HEADER_BG = "#1F3B63"
MAX_WIDTH = 60


@dataclass(frozen=True, slots=True)
class Col:
    """One column of a table sheet: header, cell type, width, hidden or not."""

    header: str
    kind: str = "text"  # text, money, date, int, percent, number
    width: float | None = None
    hidden: bool = False


class Book:
    """An XlsxWriter workbook in memory with the formats every sheet uses."""

    def __init__(
        self,
        office: str,
        title: str,
        *,
        constant_memory: bool = True,
        stand: date | None = None,
    ) -> None:
        """Open the workbook and declare the formats; ``stand`` goes in the footer."""
        self.buffer = io.BytesIO()
        self.office = office
        self.stand = f"Stand {stand:%d.%m.%Y}" if stand else ""
        self.workbook = xlsxwriter.Workbook(
            self.buffer,
            {
                "constant_memory": constant_memory,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": DATE,
                "in_memory": not constant_memory,
            },
        )
        self.workbook.set_properties(
            {
                "title": title,
                "author": office,
                "company": office,
                "comments": "portfolio",
            }
        )
        add = self.workbook.add_format
        self.fmt: dict[str, Format] = {
            "header": add(
                {
                    "bold": True,
                    "font_color": "#FFFFFF",
                    "bg_color": HEADER_BG,
                    "text_wrap": True,
                    "valign": "top",
                    "border": 1,
                }
            ),
            "text": add({"valign": "top"}),
            "wrap": add({"valign": "top", "text_wrap": True}),
            "money": add({"num_format": MONEY, "valign": "top"}),
            "date": add({"num_format": DATE, "valign": "top", "align": "left"}),
            "datetime": add(
                {"num_format": DATE_TIME, "valign": "top", "align": "left"}
            ),
            "int": add({"num_format": "0", "valign": "top"}),
            "number": add({"num_format": "#,##0.00", "valign": "top"}),
            "percent": add({"num_format": PERCENT, "valign": "top"}),
            "total_text": add({"bold": True, "top": 1}),
            "total_money": add({"bold": True, "top": 1, "num_format": MONEY}),
            "overdue": add({"bg_color": "#F8D7DA", "font_color": "#7A0000"}),
            "soon": add({"bg_color": "#FFF3CD"}),
            "title": add({"bold": True, "font_size": 13, "font_color": HEADER_BG}),
            "note": add({"italic": True, "font_color": "#555555"}),
        }

    def sheet(
        self, name: str, columns: Sequence[Col], *, landscape: bool = True
    ) -> Worksheet:
        """A sheet with its header row, widths, frozen header and print setup."""
        ws = self.workbook.add_worksheet(name)
        for index, column in enumerate(columns):
            width = column.width or min(MAX_WIDTH, max(10, len(column.header) + 3))
            options = {"hidden": True} if column.hidden else {}
            ws.set_column(index, index, width, None, options)
        ws.set_row(0, 30)
        for index, column in enumerate(columns):
            ws.write_string(0, index, column.header, self.fmt["header"])
        ws.freeze_panes(1, 0)
        self.print_setup(ws, name, landscape=landscape)
        return ws

    def print_setup(self, ws: Worksheet, name: str, *, landscape: bool = True) -> None:
        """A4, landscape, fit to one page wide, header row on every page."""
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        office = self.office.replace("&", "&&")
        ws.set_header(f"&L{office}&R{name}", {"margin": 0.3})
        ws.set_footer(f"&L{self.stand}&RSeite &P von &N", {"margin": 0.3})

    def cell(
        self, ws: Worksheet, row: int, col: int, value: Any, kind: str = "text"
    ) -> None:
        """Write one value with its type and format (None stays empty)."""
        if value is None or value == "":
            return
        # Most cells are text: test that first (this runs once per cell).
        if kind in ("text", "wrap") and not isinstance(value, Decimal):
            ws.write_string(row, col, str(value), self.fmt[kind])
        elif kind == "date" and isinstance(value, date):
            ws.write_datetime(row, col, value, self.fmt["date"])
        elif kind in ("money", "int", "number", "percent"):
            ws.write_number(row, col, float(value), self.fmt[kind])
        else:
            ws.write_number(row, col, float(value), self.fmt["money"])

    def row(
        self,
        ws: Worksheet,
        row: int,
        columns: Sequence[Col],
        values: Sequence[Any],
        start: int = 0,
    ) -> None:
        """Write one data row by the columns' kinds (from column ``start`` on)."""
        for index, (column, value) in enumerate(zip(columns, values, strict=True)):
            self.cell(ws, row, start + index, value, column.kind)

    def close(self) -> bytes:
        """Finish the file and return its bytes."""
        self.workbook.close()
        return self.buffer.getvalue()


def fit_width(
    texts: Sequence[str], header: str, lo: float = 8, hi: float = MAX_WIDTH
) -> float:
    """A column width that fits the longest text (within limits)."""
    longest = max([len(header), *(len(t) for t in texts)]) if texts else len(header)
    return float(min(hi, max(lo, longest + 2)))
