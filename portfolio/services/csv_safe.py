"""CSV that is safe to open in Excel: formula prefixes neutralised (OWASP).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel and LibreOffice as a formula (CSV injection: ``=HYPERLINK(…)``,
``=cmd|…``). Following OWASP's advice such a cell is prefixed with a single quote,
which spreadsheets show as text, and the cell is quoted. Every CSV portfolio writes
for people goes through ``csv_bytes``: semicolon-separated, UTF-8 with BOM, so Excel
in a German office opens it with umlauts and columns right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """One cell as text, neutralised if a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text  # a real number (also a negative one) stays a number
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A whole CSV file: header and rows, every cell through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
