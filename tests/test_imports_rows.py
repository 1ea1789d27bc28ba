"""How rows of an overview and a deadline list become records: the cases that bit.

Phase I and Phase II of a programme in two rows, a row typed twice, an amount typed
into the exported workbook where no single award can take it, a new programme that
resembles a stored one, and what counts as "neu". Real xlsx files, real SQLite and
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from portfolio.domain.enums import ApplicationStatus, ProgrammeStatus
from portfolio.domain.models import Application, Award, Obligation, Phase, Programme
from portfolio.services.import_apply import import_files
from portfolio.services.import_result import ImportPreview, RowStatus
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADER = ["Programm", "Fördergeber", "Laufzeit", "Fördersumme", "Status"]


def sheet(path: Path, *rows: list[Any], header: list[str] = HEADER) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def run(engine: Engine, path: Path, apply: bool = True) -> ImportPreview:
    with session_scope(engine, "test") as session:
        return import_files(session, [read_file(path)], apply=apply)


def statuses(preview: ImportPreview) -> list[str]:
    return [r.status.value for f in preview.files for s in f.sheets for r in s.rows]


def messages(preview: ImportPreview) -> list[str]:
    return [p.message for f in preview.files for s in f.sheets for p in s.rejected()]


def test_two_phases_in_two_rows_stay_two_and_reimport_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path / "phasen.xlsx",
        ["Zukunftsstadt", "BMBF", "01.06.2015 - 31.10.2016", "35.000 €",
         "abgeschlossen"],
        ["Zukunftsstadt", "BMBF", "01.11.2016 - 30.04.2018", "200.000 €", "läuft"],
    )  # fmt: skip
    first = run(engine, path)
    assert first.exit_code == 0
    with session_scope(engine, read_only=True) as session:
        programme = session.scalars(sa.select(Programme)).one()
        terms = sorted((p.start.isoformat(), p.end and p.end.isoformat())
                       for p in session.scalars(sa.select(Phase)))  # fmt: skip
        amounts = sorted(a.amount for a in session.scalars(sa.select(Award)))
        # The programme runs: its status is that of its latest term.
        assert programme.status is ProgrammeStatus.RUNNING
    assert terms == [("2015-06-01", "2016-10-31"), ("2016-11-01", "2018-04-30")]
    assert [str(a) for a in amounts] == ["35000.00", "200000.00"]
    for _ in range(2):
        again = run(engine, path)
        assert again.totals()["unchanged"] == 2, again.totals()
        assert not again.has_changes


def test_a_row_typed_twice_is_rejected_not_doubled(
    engine: Engine, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path / "doppelt.xlsx",
        ["Beta", "Land NRW", "2017", "1,2 Mio. €", "läuft"],
        ["Beta", "Land NRW", "2017", "1,2 Mio. €", "läuft"],
    )
    preview = run(engine, path)
    assert statuses(preview) == ["new", "rejected"]
    assert messages(preview) == ["Die Zeile wiederholt Zeile 2 Wert für Wert."]
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Award.id))) == 1


def test_a_deadline_typed_twice_is_rejected_not_doubled(
    engine: Engine, tmp_path: Path
) -> None:
    run(engine, sheet(tmp_path / "p.xlsx", ["KAoA", "Land NRW", "2017", "", "läuft"]))
    path = sheet(
        tmp_path / "fristen.xlsx",
        ["KAoA", "Sachbericht 2017", "31.03.2018"],
        ["KAoA", "Sachbericht 2017", "31.03.2018"],
        ["KAoA", "Sachbericht 2017", "30.06.2018"],  # another date: another one
        header=["Programm", "Was?", "fällig am"],
    )
    preview = run(engine, path)
    assert statuses(preview) == ["new", "rejected", "new"]
    assert messages(preview) == [
        "Die Frist steht schon in Zeile 2 (gleiches Programm, gleiche Aufgabe, "
        "gleiches Datum)."
    ]
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Obligation.id))) == 2


def test_an_amount_typed_into_the_workbook_does_not_invent_an_award(
    cli: Any, demo_workbook: tuple[str, Path]
) -> None:
    db, workbook = demo_workbook
    book = load_workbook(workbook)
    ws = book["Übersicht"]
    header = [c.value for c in ws[1]]
    amount, award = header.index("Fördersumme (Bescheid)"), header.index("_award")
    # KAoA has one award, whose term is not the phase shown: the row cannot
    # stand for it, so the export leaves the amount (and _award) empty.
    row = next(r for r in ws.iter_rows(min_row=2) if str(r[0].value).startswith("KAoA"))
    assert row[award].value is None and row[amount].value is None
    row[amount].value = 50000
    book.save(workbook)

    def awards() -> int:
        engine = open_database(db)
        with session_scope(engine, read_only=True) as session:
            count = session.scalar(sa.select(sa.func.count(Award.id))) or 0
        engine.dispose()
        return count

    before = awards()
    result = cli("import", str(workbook), "--yes", db=db)
    assert result.exit_code == 1, result.output
    assert "der Betrag lässt sich keiner zuordnen" in result.output
    assert awards() == before


def test_a_new_programme_like_a_stored_one_is_pointed_out(
    engine: Engine, tmp_path: Path
) -> None:
    run(
        engine,
        sheet(
            tmp_path / "alt.xlsx",
            [
                "Kommunale Koordinierung der Bildungsangebote für Neuzugewanderte",
                "BMBF",
                "2016",
                "",
                "läuft",
            ],
        ),
    )
    preview = run(
        engine,
        sheet(
            tmp_path / "neu.xlsx",
            ["Kommunale Koordinierung Neuzugewanderte", "BMBF", "2016", "", "läuft"],
        ),
        apply=False,
    )
    [note] = [n for f in preview.files for s in f.sheets for n in s.notes]
    assert note.startswith("Neue Programme, die vorhandenen ähneln: Zeile 2 ")
    assert "„Kommunale Koordinierung der Bildungsangebote für Neuzugewanderte“" in note


def test_a_row_that_only_links_a_funder_is_changed_not_new(
    engine: Engine, tmp_path: Path
) -> None:
    run(engine, sheet(tmp_path / "a.xlsx", ["Eta", "Land NRW", "2017", "", "läuft"]))
    preview = run(
        engine,
        sheet(
            tmp_path / "b.xlsx", ["Eta", "Land NRW / RAG-Stiftung", "2017", "", "läuft"]
        ),
        apply=False,
    )
    [row] = [r for f in preview.files for s in f.sheets for r in s.rows]
    assert row.status is RowStatus.CHANGED
    assert [c.entity for c in row.changes if c.created] == [
        "Fördergeber",
        "Finanzierung",
    ]


def test_emptied_person_cells_of_the_workbook_clear_the_person(
    cli: Any, demo_workbook: tuple[str, Path]
) -> None:
    db, workbook = demo_workbook
    book = load_workbook(workbook)
    emptied = []
    for name, column in (("Übersicht", "Verantwortlich"), ("Fristen", "zuständig")):
        ws = book[name]
        col = [c.value for c in ws[1]].index(column)
        row = next(r for r in ws.iter_rows(min_row=2) if r[col].value)
        emptied.append(row[col].value)
        row[col].value = None
    book.save(workbook)
    result = cli("import", str(workbook), "--yes", db=db)
    assert result.exit_code == 0, result.output
    assert "2 geändert" in result.output
    lines = result.output.splitlines()
    assert any(
        "Ansprechperson: " in line and f"<{emptied[0]}> → –" in line for line in lines
    ), result.output
    assert any(
        "zuständig: " in line and f"<{emptied[1]}> → –" in line for line in lines
    ), result.output
    again = cli("import", str(workbook), "--recheck", db=db)
    assert "0 geändert" in again.output


def test_a_deadline_of_a_rejected_overview_row_names_that_row(
    engine: Engine, tmp_path: Path
) -> None:
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "Übersicht"
    overview.append(HEADER)
    overview.append(["Alpha", "Land NRW", "2017", "-5.000 €", "läuft"])
    deadlines = book.create_sheet("Fristen")
    deadlines.append(["Programm", "Was?", "fällig am"])
    deadlines.append(["Alpha", "Sachbericht", "31.03.2018"])
    path = tmp_path / "alpha.xlsx"
    book.save(path)
    preview = run(engine, path, apply=False)
    [deadline] = [
        p for f in preview.files for s in f.sheets for p in s.rejected() if p.row == 2
        and s.sheet.sheet == "Fristen"
    ]  # fmt: skip
    assert deadline.hint == (
        "Das Programm steht in Zeile 2 des Blatts „Übersicht“, die abgelehnt wurde "
        "– beheben Sie zuerst diese Zeile."
    )


def test_money_applied_for_is_an_application_until_it_is_awarded(
    engine: Engine, tmp_path: Path
) -> None:
    path = sheet(
        tmp_path / "antrag.xlsx",
        ["Schule trifft Wirtschaft", "RAG-Stiftung", "2027", "1,2 Mio. €", "beantragt"],
    )
    first = run(engine, path)
    assert statuses(first) == ["new"]
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count(Award.id))) == 0
        application = session.scalars(sa.select(Application)).one()
        assert application.status is ApplicationStatus.SUBMITTED
        assert str(application.requested) == "1200000.00"
    assert not run(engine, path).has_changes  # the same sheet again: nothing

    granted = sheet(
        tmp_path / "bewilligt.xlsx",
        ["Schule trifft Wirtschaft", "RAG-Stiftung", "2027", "1,1 Mio. €", "bewilligt"],
    )
    preview = run(engine, granted)
    assert statuses(preview) == ["changed"]  # a stored programme gets its award
    with session_scope(engine, read_only=True) as session:
        award = session.scalars(sa.select(Award)).one()
        assert str(award.amount) == "1100000.00"
        application = session.scalars(sa.select(Application)).one()
        assert application.status is ApplicationStatus.APPROVED


def test_a_new_awards_details_are_those_of_its_own_row(
    engine: Engine, tmp_path: Path
) -> None:
    # The preview writes a new award's details only when shown; they are still
    # the values of the row that created it, not those a later row gave it.
    path = sheet(
        tmp_path / "zwei.xlsx",
        ["Theta", "BMBF", "01.01.2020 - 31.12.2021", "100 €", "läuft", "FKZ-1"],
        ["Theta", "BMBF", "01.01.2020 - 31.12.2022", "200 €", "läuft", "FKZ-1"],
        header=[*HEADER, "Förderkennzeichen"],
    )
    preview = run(engine, path, apply=False)
    first, second = [r for f in preview.files for s in f.sheets for r in s.rows]
    [award] = [c for c in first.changes if c.entity == "Bewilligung"]
    assert award.created
    assert award.details == "100,00 €, 01.01.2020 – 31.12.2021"
    [phase] = [c for c in first.changes if c.entity == "Phase"]
    assert phase.name == "Theta: 01.01.2020 – 31.12.2021"
    diffs = [(d.label, d.old, d.new) for c in second.changes for d in c.diffs]
    assert ("Fördersumme", "100,00 €", "200,00 €") in diffs
