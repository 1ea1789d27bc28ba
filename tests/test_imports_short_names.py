"""Names as the office writes them: initials, contractions, a part of the name.

A deadline list says "KAoA", "KommKoord", "Meier"; an overview says "Landschafts-
verband" for the funder. When exactly one stored programme, funder or person fits,
the row is taken and the preview says what the short form was taken as; when two
fit, the row is rejected naming both ("meinten Sie …"); when none fits, the row is
rejected as before. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from portfolio.domain.enums import FunderKind
from portfolio.domain.models import Contact, Funder, Obligation, Programme
from portfolio.services.import_apply import import_files
from portfolio.services.import_names import (
    NOT_ALNUM_RE,
    UMLAUTS,
    abbreviates,
    fold,
    person_fits,
)
from portfolio.services.import_preview import preview_text
from portfolio.services.import_result import ImportPreview
from portfolio.storage.db import session_scope


@pytest.mark.parametrize(
    ("written", "name", "fits"),
    [
        ("KAoA", "Kein Abschluss ohne Anschluss", True),
        ("Komm. Koord.", "Kommunale Koordinierung", True),
        ("KommKoord", "Kommunale Koordinierung", True),
        ("Talentschulen", "Landesprogramm Talentschulen", True),
        ("Landesprogramm", "Landesprogramm Talentschulen", True),
        ("MSB", "Ministerium für Schule und Bildung", True),
        ("Lebensw.", "Lebenswelten gestalten", True),
        ("Bund", "Bundesministerium für Bildung und Forschung", False),
        ("Kom. Integr.", "Kommunale Koordinierung", False),
        ("XYZ", "Kein Abschluss ohne Anschluss", False),
    ],
)
def test_short_forms(written: str, name: str, fits: bool) -> None:
    assert abbreviates(written, name) is fits


@pytest.mark.parametrize(
    ("written", "fits"),
    [("Albers", True), ("A. Albers", True), ("Albers, Anna", True),
     ("Frau Albers", True), ("B. Albers", False), ("Meier", False)],
)  # fmt: skip
def test_people_as_the_office_writes_them(written: str, fits: bool) -> None:
    assert person_fits(written, "Dr. Anna Albers") is fits


def _book(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _seed(engine: Engine) -> None:
    with session_scope(engine, "test") as session:
        for key, name in (
            ("abschluss", "Kein Abschluss ohne Anschluss"),
            ("koord", "Kommunale Koordinierung"),
            ("ki", "Kommunales Integrationszentrum"),
            ("talente", "Landesprogramm Talentschulen"),
        ):
            session.add(Programme(key=key, name=name, tags=[]))
        for name in (
            "Ministerium für Schule und Bildung",
            "Ministerium für Sport und Bewegung",
            "Landschaftsverband Rheinland",
        ):
            session.add(Funder(short_name=name, name=name, kind=FunderKind.LAND))
        for email, name in (
            ("anna.albers@kreis.de", "Anna Albers"),
            ("bernd.albers@kreis.de", "Bernd Albers"),
            ("carla.meier@kreis.de", "Carla Meier"),
        ):
            session.add(Contact(email=email, name=name))


def _run(engine: Engine, path: Path) -> ImportPreview:
    with session_scope(engine, "test") as session:
        return import_files(session, [read_file(path)], apply=True)


def test_a_deadline_list_written_short(engine: Engine, tmp_path: Path) -> None:
    _seed(engine)
    path = _book(
        tmp_path / "fristen.xlsx",
        [
            ["Programm", "Was?", "fällig am", "zuständig"],
            ["KAoA", "Sachbericht", "30.04.2027", "Meier"],
            ["KAoA", "Zwischennachweis", "31.05.2027", None],
            ["KommKoord", "Sachbericht", "30.06.2027", None],
            ["Komm.", "Sachbericht", "30.06.2027", None],
            ["XYZ", "Sachbericht", "30.06.2027", None],
            ["Talentschulen", "Bericht", "31.07.2027", "Albers"],
        ],
    )
    preview = _run(engine, path)
    text = preview_text(preview)
    assert "„KAoA“ als „Kein Abschluss ohne Anschluss“ erkannt (2 Zeilen)." in text
    assert "„KommKoord“ als „Kommunale Koordinierung“ erkannt (1 Zeile)." in text
    assert "„Meier“ als „Carla Meier“ erkannt (1 Zeile)." in text
    rejected = {p.row: p for f in preview.files for s in f.sheets for p in s.rejected()}
    # Two programmes fit "Komm.": rejected, naming both.
    assert "meinten Sie „Kommunale Koordinierung“ oder „Kommunales " in (
        rejected[5].hint
    )
    assert rejected[6].message == "Dieses Programm ist nicht eindeutig bekannt."
    assert "meinten Sie" not in rejected[6].hint  # nothing fits "XYZ"
    # Two people fit "Albers": the row is rejected naming both.
    assert "meinten Sie „Anna Albers“ oder „Bernd Albers“?" in rejected[7].hint
    assert sorted(rejected) == [5, 6, 7]
    with session_scope(engine, read_only=True) as session:
        stored = {
            (o.programme.key, o.title): o
            for o in session.scalars(sa.select(Obligation))
        }
        assert set(stored) == {
            ("abschluss", "Sachbericht"),
            ("abschluss", "Zwischennachweis"),
            ("koord", "Sachbericht"),
        }
        assert stored["abschluss", "Sachbericht"].responsible is not None
        assert stored["abschluss", "Sachbericht"].responsible.name == "Carla Meier"


def test_an_overview_names_its_funders_short(engine: Engine, tmp_path: Path) -> None:
    _seed(engine)
    path = _book(
        tmp_path / "uebersicht.xlsx",
        [
            ["Programm", "Fördergeber", "Laufzeit", "Fördersumme"],
            ["Kulturrucksack", "Landschaftsverband", "2024 – 2026", 10000],
            ["Sportabzeichen", "MSB", "2024 – 2026", 20000],
        ],
    )
    preview = _run(engine, path)
    text = preview_text(preview)
    assert (
        "„Landschaftsverband“ als „Landschaftsverband Rheinland“ erkannt (1 Zeile)."
        in text
    )
    problems = [p for f in preview.files for s in f.sheets for p in s.rejected()]
    assert [p.row for p in problems] == [3]
    both = (
        "meinten Sie „Ministerium für Schule und Bildung“ oder „Ministerium für "
        "Sport und Bewegung“?"
    )
    assert both in problems[0].hint
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Funder.id))) == 3  # none new
        names = set(session.scalars(sa.select(Programme.name)))
        assert "Kulturrucksack" in names and "Sportabzeichen" not in names


def _fold_the_long_way(text: str | None) -> str:
    """``fold`` as written before its shortcut for plain ASCII names."""
    if not text:
        return ""
    value = text.casefold().translate(UMLAUTS)
    folded = NOT_ALNUM_RE.sub(" ", value).strip()
    return folded or " ".join(value.split())


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09 -_./äÖüßé–{}\t\nﬁİǅ"), max_size=14))
def test_fold_takes_its_shortcut_only_where_the_long_way_agrees(text: str) -> None:
    """Names are compared folded: the shortcut must never fold differently."""
    assert fold.__wrapped__(text) == _fold_the_long_way(text)


@pytest.mark.parametrize(
    "text",
    ["KAoA", "Vorhaben 000123 Bildung", " KAoA", "KAoA ", "Kein  Abschluss", "FKZ-01"],
)
def test_fold_of_plain_names(text: str) -> None:
    assert fold(text) == _fold_the_long_way(text)
