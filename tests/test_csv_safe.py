"""CSV written by portfolio opens in a spreadsheet without running anything."""

from __future__ import annotations

import csv
import io

from portfolio.services.csv_safe import csv_bytes, safe_cell


def test_formula_prefixes_are_neutralised() -> None:
    for evil in ("=1+1", "+49 2361", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                 '=HYPERLINK("http://x","klick")'):  # fmt: skip
        assert safe_cell(evil) == "'" + evil
    assert safe_cell("Zukunftsstadt") == "Zukunftsstadt"
    assert safe_cell(-12) == "-12" and safe_cell(None) == ""


def test_a_csv_file_reads_back_as_text() -> None:
    data = csv_bytes(
        ["Programm", "Betrag"], [['=HYPERLINK("http://x")', "1.234,56"], ["Kö", 5]]
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Programm", "Betrag"],
        ['\'=HYPERLINK("http://x")', "1.234,56"],
        ["Kö", "5"],
    ]
