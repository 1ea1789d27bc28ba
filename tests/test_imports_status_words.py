"""Status words as offices write them: understood, or kept and counted — never refused.

An overview written the way offices keep it ("Antrag in Vorbereitung", "Antrag
eingereicht", "Bewilligt", "Laufend", "Verwendungsnachweis offen", "Abgeschlossen",
"Abgelehnt", "zurückgezogen", "ruht", "verlängert") imports every row: programme
statuses, Anträge with their status, an open Verwendungsnachweis deadline; a word
portfolio does not know lands in the note and the preview names it once with its
count. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from imports.words import parse_status
from portfolio.domain.enums import (
    ApplicationStatus,
    ObligationKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.models import Application, Obligation, Programme
from portfolio.services.import_apply import import_files
from portfolio.services.import_preview import preview_text
from portfolio.storage.db import session_scope

P, A = ProgrammeStatus, ApplicationStatus


@pytest.mark.parametrize(
    ("written", "programme", "application"),
    [
        ("Antrag in Vorbereitung", P.APPLYING, A.DRAFT),
        ("Antrag eingereicht", P.APPLYING, A.SUBMITTED),
        ("Antrag eingereicht am 12.03.2017", P.APPLYING, A.SUBMITTED),
        ("Bewilligt", P.RUNNING, None),
        ("Laufend", P.RUNNING, None),
        ("läuft", P.RUNNING, None),
        ("Verwendungsnachweis offen", P.ENDED, None),
        ("VN offen", P.ENDED, None),
        ("Abgeschlossen", P.ENDED, None),
        ("Abgelehnt", P.REJECTED, A.REJECTED),
        ("nicht bewilligt", P.REJECTED, A.REJECTED),
        ("zurückgezogen", P.REJECTED, A.WITHDRAWN),
        ("Antrag zurückgezogen", P.REJECTED, A.WITHDRAWN),
        ("ruht", P.RUNNING, None),
        ("verlängert", P.RUNNING, None),
        ("Status: bewilligt", P.RUNNING, None),
        ("  BEWILLIGT. ", P.RUNNING, None),
    ],
)
def test_status_words_as_offices_write_them(
    written: str, programme: ProgrammeStatus, application: ApplicationStatus | None
) -> None:
    word = parse_status(written)
    assert word.programme is programme
    assert word.application is application


def test_an_unknown_word_is_kept_not_refused() -> None:
    word = parse_status("wartet auf Ministerium")
    assert word.programme is None
    assert word.word == "wartet auf Ministerium"


ROWS = [
    ("Programm", "Fördergeber", "Laufzeit", "Fördersumme", "Status", "Bemerkungen"),
    ("Alpha", "BMBF", "01/2023 – 12/2025", 100000, "Bewilligt", None),
    ("Beta", "MSB NRW", "01/2024 – 12/2026", 50000, "Antrag in Vorbereitung", None),
    ("Gamma", "MSB NRW", "01/2024 – 12/2026", 70000, "Antrag eingereicht", None),
    ("Delta", "BMBF", "01/2020 – 06/2023", 80000, "Verwendungsnachweis offen", None),
    ("Epsilon", "ESF", "01/2021 – 12/2022", 20000, "Abgeschlossen", None),
    ("Zeta", "BMBF", "01/2024 – 12/2025", 30000, "Abgelehnt", None),
    ("Eta", "BMBF", "01/2024 – 12/2025", 30000, "zurückgezogen", None),
    ("Theta", "Land NRW", "01/2022 – 12/2026", 40000, "ruht", "Personal fehlt"),
    ("Iota", "Land NRW", "01/2022 – 12/2026", 40000, "verlängert", None),
    ("Kappa", "Land NRW", "01/2022 – 12/2026", 40000, "wartet auf Ministerium", None),
    ("Lambda", "Land NRW", "01/2022 – 12/2026", 40000, "wartet auf Ministerium", None),
    ("My", "Land NRW", "01/2022 – 12/2026", 40000, "Laufend", None),
]


def _overview(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in ROWS:
        sheet.append(list(row))
    book.save(path)
    return path


def test_every_row_of_an_office_overview_is_taken(
    engine: Engine, tmp_path: Path
) -> None:
    result = read_file(_overview(tmp_path / "uebersicht.xlsx"))
    sheet = result.sheets[0]
    assert sheet.rejected == []
    assert len(sheet.records) == len(ROWS) - 1
    unknown = [n for n in sheet.notes if "Unbekannter Status" in n]
    assert unknown == [
        "Unbekannter Status „wartet auf Ministerium“ (2 Zeilen): die Zeilen werden "
        "übernommen, der Status steht in den Bemerkungen."
    ]
    with session_scope(engine, "test") as session:
        preview = import_files(session, [result], apply=True)
    assert preview.exit_code == 0
    assert "Unbekannter Status „wartet auf Ministerium“ (2 Zeilen)" in preview_text(
        preview
    )
    with session_scope(engine, read_only=True) as session:
        programmes = {p.name: p for p in session.scalars(sa.select(Programme))}
        assert programmes["Alpha"].status is P.RUNNING
        assert programmes["Alpha"].awards[0].amount == 100000
        assert programmes["Delta"].status is P.ENDED
        assert programmes["Epsilon"].status is P.ENDED
        assert programmes["Iota"].status is P.RUNNING
        assert "Status laut Tabelle: wartet auf Ministerium" in (
            programmes["Kappa"].notes or ""
        )
        assert programmes["Theta"].notes == "Personal fehlt\nStatus laut Tabelle: ruht"
        applications = {
            a.programme.name: a for a in session.scalars(sa.select(Application))
        }
        assert applications["Beta"].status is A.DRAFT
        assert applications["Gamma"].status is A.SUBMITTED
        assert applications["Zeta"].status is A.REJECTED
        assert applications["Eta"].status is A.WITHDRAWN
        assert not programmes["Beta"].awards  # applied for, not awarded
        reports = session.scalars(
            sa.select(Obligation).where(
                Obligation.kind == ObligationKind.VERWENDUNGSNACHWEIS
            )
        ).all()
        assert [(r.programme.name, r.due_on, r.status) for r in reports] == [
            ("Delta", date(2023, 12, 31), ObligationStatus.OPEN)
        ]
        assert reports[0].award is programmes["Delta"].awards[0]
    # Importing the same sheet again opens no second Verwendungsnachweis.
    with session_scope(engine, "test") as session:
        again = import_files(
            session, [read_file(tmp_path / "uebersicht.xlsx")], apply=True
        )
    assert not again.has_changes
