"""Layouts QA found misread: real rows taken for sums, "Laufzeit von/bis", periods.

Each test builds a real xlsx with openpyxl, the way an office writes it, and checks
what a user sees: which rows import, which are skipped and why, the period stored,
and the preview's note on columns that are not read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from imports.reading import read_file
from portfolio.domain.enums import Precision
from portfolio.domain.periods import Period
from portfolio.domain.records import SheetResult

HEADER = ["Programm", "Fördergeber", "Laufzeit", "Fördersumme", "Status"]


def _sheet(tmp_path: Path, rows: list[list[Any]], name: str = "liste.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _read(path: Path) -> SheetResult:
    return read_file(path).sheets[0]


def test_programme_names_starting_with_a_sum_word_are_data(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            HEADER,
            ["Gesamtschule Herten – Talentschule", "Land NRW", "2017 – 2020", 50000],
            ["Gesamt-Konzept Ganztag", "Kreis Recklinghausen", "2017", 10000],
            ["Total digital!", "BMBF", "2018", 20000, "beantragt"],
            ["Insgesamt stark", "Land NRW", "2017", 1000, "läuft"],
            ["Total Plural e.V.", "Theater-AG an der Grundschule"],
            ["Summe", None, None, 81000],
            ["Gesamt:", None, None, 81000],
            ["Summe 2017", None, None, "81.000 €"],
            ["Zwischensumme Land NRW", None, "500.000"],
            ["Gesamt", None, None, "1.234.567,89 €"],
            ["Total Land", None, None, "120 TEUR"],
        ],
    )
    sheet = _read(path)
    assert [r.values["name"] for r in sheet.records] == [
        "Gesamtschule Herten – Talentschule",
        "Gesamt-Konzept Ganztag",
        "Total digital!",
        "Insgesamt stark",
        "Total Plural e.V.",
    ]
    assert [(s.source.row, s.reason) for s in sheet.skipped] == [
        (row, "Summenzeile") for row in range(7, 13)
    ]
    assert sheet.rejected == []


def test_a_sum_formula_row_is_still_skipped(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            HEADER,
            ["Total digital!", "BMBF", "2018", 20000, "beantragt"],
            ["Insgesamt stark", "Land NRW", "2017", 1000, "läuft"],
            ["Alle Programme", None, None, "=SUM(D2:D3)"],
        ],
    )
    sheet = _read(path)
    names = [r.values["name"] for r in sheet.records]
    assert names == ["Total digital!", "Insgesamt stark"]
    assert [s.reason for s in sheet.skipped] == ["Summenzeile (Formel)"]


@pytest.mark.parametrize(
    ("start_header", "end_header"),
    [
        ("Laufzeit von", "Laufzeit bis"),
        ("Zeitraum von", "Zeitraum bis"),
        ("Förderzeitraum von", "Förderzeitraum bis"),
        ("Beginn der Laufzeit", "Ende der Laufzeit"),
        ("Laufzeit (von)", "Laufzeit (bis)"),
        ("von", "bis"),
    ],
)
def test_period_from_and_until_columns_are_start_and_end(
    tmp_path: Path, start_header: str, end_header: str
) -> None:
    path = _sheet(
        tmp_path,
        [
            ["Programm", "Fördergeber", start_header, end_header, "Fördersumme"],
            ["Talentschule", "Land NRW", "01.08.2017", "31.07.2020", 50000],
        ],
    )
    sheet = _read(path)
    assert sheet.columns["start"] == start_header
    assert sheet.columns["end"] == end_header
    period = sheet.records[0].values["period"]
    assert period == Period(date(2017, 8, 1), date(2020, 7, 31), Precision.DAY)
    assert str(period) == "01.08.2017 – 31.07.2020"


def test_von_bis_under_a_merged_laufzeit_heading(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Programm", "Fördergeber", "Laufzeit", None, "Fördersumme"])
    sheet.append([None, None, "von", "bis", None])
    sheet.append(["Talentschule", "Land NRW", "11/2016", "04/2018", 50000])
    sheet.merge_cells("C1:D1")
    path = tmp_path / "zweizeilig.xlsx"
    book.save(path)
    result = _read(path)
    assert result.columns["start"] == "Laufzeit von"
    assert result.columns["end"] == "bis"
    period = result.records[0].values["period"]
    assert str(period) == "11/2016 – 04/2018"
    assert period.precision is Precision.MONTH


def test_a_period_keeps_the_precision_of_each_end(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            HEADER,
            ["Tag bis Jahr", "BMBF", "01.03.2017 – 2018"],
            ["Jahr als Text", "BMBF", "2017"],
            ["Jahr als Zahl", "BMBF", 2017],
            ["Datum als Zelle", "BMBF", date(2017, 8, 1)],
        ],
    )
    periods = {r.values["name"]: r.values["period"] for r in _read(path).records}
    mixed = periods["Tag bis Jahr"]
    assert (mixed.start, mixed.end) == (date(2017, 3, 1), date(2018, 12, 31))
    assert (mixed.precision, mixed.end_precision) == (Precision.DAY, Precision.YEAR)
    assert str(mixed) == "01.03.2017 – 2018"
    year = Period(date(2017, 1, 1), date(2017, 12, 31), Precision.YEAR)
    assert periods["Jahr als Text"] == periods["Jahr als Zahl"] == year
    # A single date stays an open start, as the same date typed as text does.
    assert str(periods["Datum als Zelle"]) == "seit 01.08.2017"


def test_start_and_end_columns_keep_their_precision(tmp_path: Path) -> None:
    path = _sheet(
        tmp_path,
        [
            ["Programm", "Beginn", "Ende"],
            ["Monate", "11/2016", "04/2018"],
            ["Jahre", 2016, 2018],
            ["Tag bis Jahr", "ab 01.08.2017", "2020"],
        ],
    )
    periods = {r.values["name"]: r.values["period"] for r in _read(path).records}
    assert str(periods["Monate"]) == "11/2016 – 04/2018"
    assert periods["Jahre"] == Period.of_years(2016, 2018)
    assert str(periods["Tag bis Jahr"]) == "01.08.2017 – 2020"


def test_the_preview_names_the_columns_it_does_not_read(
    tmp_path: Path, cli: Callable[..., Any], sqlite_url: str
) -> None:
    extra = [f"Spalte {n}" for n in range(1, 15)]
    path = _sheet(
        tmp_path,
        [
            ["Programm", "Gesamtlaufzeit", "Fördergeber", "Nächste Frist", "Laufzeit"],
            ["Talentschule", "3 Jahre", "Land NRW", "30.04.2018", "2017 – 2020"],
        ],
    )
    sheet = _read(path)
    assert sheet.notes == ["Nicht eingelesene Spalten: Gesamtlaufzeit, Nächste Frist."]
    result = cli("import", str(path), "--dry-run", db=sqlite_url)
    assert "Nicht eingelesene Spalten: Gesamtlaufzeit, Nächste Frist." in result.output

    wide = _sheet(
        tmp_path,
        [["Programm", "Fördergeber", *extra], ["Talentschule", "Land NRW"]],
        "breit.xlsx",
    )
    names = ", ".join(extra[:12])
    assert _read(wide).notes == [f"Nicht eingelesene Spalten: {names}, …"]


def test_skipped_row_text_marks_where_it_was_cut(tmp_path: Path) -> None:
    note = "* Beträge ohne Gewähr, " + "alle Angaben vorläufig " * 5
    path = _sheet(tmp_path, [HEADER, ["Talentschule", "Land NRW", "2017"], [note]])
    skipped = _read(path).skipped[0]
    assert skipped.reason == "Fußnote oder Anmerkung"
    assert skipped.text.endswith("…")
    assert len(skipped.text) <= 60
    assert note.startswith(skipped.text[:-1])
