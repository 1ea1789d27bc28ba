"""Grant lists other people wrote: the values vote with the headers.

The sheets are written here in the shapes public bodies publish them: one grant per
row (recipient, authority, purpose, period, amount, reference), a banner row with the
record count above the header, bilingual headers, budget codes as text under a
header that sounds like a name ("Titel"), a purpose column whose header speaks of the
grant ("Zuwendung für …") beside the real amount column. What the reading layer makes
of each is a golden file (``pytest --update-golden`` rewrites it; review the diff);
importing them gives one award per grant and no programme named by a budget code.
The real Hamburg Zuwendungsbericht of the shared corpus is read too, where present.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from imports.summary import describe
from portfolio.domain.models import Award, Funder, Programme
from portfolio.services.import_apply import import_files
from portfolio.services.import_preview import preview_text
from portfolio.storage.db import session_scope

GOLDEN = Path(__file__).parent / "data" / "imports" / "public"


def _book(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Daten"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# One grant per row, as a Land publishes its Zuwendungsbericht: a banner with the
# record count, budget codes (Einzelplan, Titel) as text, the purpose under a
# header that names the grant, the amount under "Gesamtzuwendung".
ONE_PER_ROW = [
    ["", "Es werden 4 Datensätze angezeigt", "", "", "", "", "", "", ""],
    [
        "INEZ-Nummer",
        "Zuwendungsempfänger",
        "Behörde",
        "Zeitraum Von",
        "Zeitraum Bis",
        "Einzelplan",
        "Titel bzw. Position im Finanzplan",
        "Zuwendung für … (ggf. gekürzt)",
        "Gesamtzuwendung",
    ],
    [
        37874,
        "Fußballclub Hellbrook e.V. (e.V.)",
        "Bezirksamt Wandsbek",
        dt.datetime(2010, 1, 1),
        dt.datetime(2010, 12, 31),
        "01.6",
        "684.12",
        "Mobiles offenes Kinderprogramm",
        71373.0,
    ],
    [
        41510,
        "Fußballclub Hellbrook e.V. (e.V.)",
        "Bezirksamt Wandsbek",
        dt.datetime(2010, 7, 1),
        dt.datetime(2010, 12, 31),
        "04.0",
        "684.13",
        "Rückenwind",
        19308.98,
    ],
    [
        40104,
        "Stadtteilkultur gGmbH",
        "Kulturbehörde",
        dt.datetime(2010, 1, 1),
        dt.datetime(2010, 12, 31),
        "09.1",
        "682.02",
        "Betrieb des Stadtteilzentrums",
        1400000.0,
    ],
    [
        40997,
        "Werkstatt Nord",
        "Schulbehörde",
        dt.datetime(2010, 2, 1),
        dt.datetime(2010, 9, 30),
        "03.1",
        "685.37",
        "Einzelmaßnahme für benachteiligte Jugendliche",
        1200.0,
    ],
]

# Bilingual headers, as EU-funded lists and city portals write them.
BILINGUAL = [
    [
        "Empfänger / Recipient",
        "Behörde / Authority",
        "Zweck / Purpose",
        "Laufzeit / Period",
        "Betrag (EUR) / Amount (EUR)",
        "Aktenzeichen / Reference",
    ],
    [
        "Verein Lesestart",
        "Land NRW",
        "Leseförderung",
        "01/2021 – 12/2022",
        12000,
        "A1",
    ],
    ["Musikschule Süd", "Land NRW", "Bandklassen", "2022", "8.500,00 €", "A2"],
    ["Jugendhaus West", "ESF", "Ausbildungslotsen", "03/2021 – 02/2023", 45000, "A3"],
]

# Two columns whose headers both speak of the grant: the purpose as text in K and
# the amount as numbers in M. The values decide, and the preview says so.
TWO_AMOUNTS = [
    ["Programm", "Fördergeber", "Zuwendung", "Betrag", "Laufzeit"],
    ["Lesestart", "Land NRW", "für Bücher", 1000, "2021"],
    ["Bandklassen", "Land NRW", "für Instrumente", 2000, "2022"],
    ["Lotsen", "ESF", "für Personal", 3000, "2023"],
]

SHEETS = {
    "eine-zuwendung-je-zeile": ONE_PER_ROW,
    "zweisprachig": BILINGUAL,
    "zwei-betragsspalten": TWO_AMOUNTS,
}


def _read(tmp_path: Path, name: str) -> Any:
    return read_file(_book(tmp_path / f"{name}.xlsx", SHEETS[name]))


def test_public_lists_read_as_golden(
    tmp_path: Path, golden: Callable[[Path, str], None]
) -> None:
    for name in SHEETS:
        golden(GOLDEN / f"{name}.expected.txt", describe(_read(tmp_path, name)))


def test_the_values_decide_between_two_amount_columns(tmp_path: Path) -> None:
    sheet = _read(tmp_path, "zwei-betragsspalten").sheets[0]
    assert sheet.rejected == []
    assert "Fördersumme: Spalte D gewählt (Zahlen), nicht Spalte C (Text)." in (
        sheet.notes
    )
    assert [r.values["amount"] for r in sheet.records] == [1000, 2000, 3000]


def test_budget_codes_never_name_a_programme(tmp_path: Path) -> None:
    sheet = _read(tmp_path, "eine-zuwendung-je-zeile").sheets[0]
    assert sheet.rejected == []
    assert any(
        "wird nicht als „Programm“ gelesen: sie enthält" in n for n in sheet.notes
    )
    assert "Zeile 1 nennt 4 Datensätze: alle 4 gelesen." in sheet.notes
    names = [r.values["name"] for r in sheet.records]
    assert (
        names[0] == "Mobiles offenes Kinderprogramm – Fußballclub Hellbrook e.V. (e.V.)"
    )
    assert not any(name[:1].isdigit() for name in names)


def test_a_grant_list_imports_as_awards(engine: Engine, tmp_path: Path) -> None:
    results = [
        _read(tmp_path, "eine-zuwendung-je-zeile"),
        _read(tmp_path, "zweisprachig"),
    ]
    with session_scope(engine, "test") as session:
        preview = import_files(session, results, apply=True)
    assert preview.exit_code == 0, preview_text(preview)
    with session_scope(engine, read_only=True) as session:
        awards = session.scalars(sa.select(Award).order_by(Award.reference)).all()
        assert [(a.reference, a.amount) for a in awards] == [
            ("37874", 71373),
            ("40104", 1400000),
            ("40997", 1200),
            ("41510", Decimal("19308.98")),
            ("A1", 12000),
            ("A2", 8500),
            ("A3", 45000),
        ]
        names = set(session.scalars(sa.select(Programme.name)))
        assert len(names) == 7
        assert not any(n.startswith(("684", "682", "685")) for n in names)
        funders = set(session.scalars(sa.select(Funder.name)))
        assert funders == {
            "Bezirksamt Wandsbek",
            "Kulturbehörde",
            "Schulbehörde",
            "Land NRW",
            "ESF",
        }
        kinder = session.scalars(
            sa.select(Award).where(Award.reference == "37874")
        ).one()
        assert (kinder.start, kinder.end) == (
            dt.date(2010, 1, 1),
            dt.date(2010, 12, 31),
        )


def test_the_real_hamburg_report_imports_its_grants(corpus_dir: Path) -> None:
    path = corpus_dir / "hamburg-zuwendungsbericht" / "zuwendungsbericht-2011.xlsx"
    sheet = read_file(path).sheets[0]
    # Every grant is read; only the five negative amounts (repayments) are
    # refused later, by the planner: the purpose is no longer taken as amount.
    assert len(sheet.records) == 4941
    assert sheet.rejected == []
    assert "Zeile 1 nennt 4941 Datensätze: alle 4941 gelesen." in sheet.notes
    first = sheet.records[0].values
    assert first["amount"] == 71373
    assert first["reference"] == "37874"
    assert first["name"].startswith('das Projekt "MoKip')
