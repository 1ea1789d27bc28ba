"""Importing into a real database (SQLite and PostgreSQL): apply, again, edit, undo.

The user's story: import the overview and the deadline list as they are, see what
will happen, apply, import again with no change, edit one cell and import again
(exactly that field changes), and undo — restoring the state before.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine

from imports.reading import read_file
from portfolio.domain.enums import ObligationStatus
from portfolio.domain.errors import Conflict
from portfolio.domain.models import (
    Award,
    Change,
    ImportBatch,
    Obligation,
    Programme,
)
from portfolio.domain.money import format_money
from portfolio.services.export_json import build_document
from portfolio.services.import_apply import import_files
from portfolio.services.import_result import ImportPreview, RowStatus
from portfolio.services.import_undo import undo_batch
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

DATA = Path(__file__).parent / "data" / "imports"


def run(
    engine: Engine, *paths: Path, apply: bool = True, **options: Any
) -> ImportPreview:
    results = [read_file(p) for p in paths]
    with session_scope(engine, "test") as session:
        return import_files(session, results, apply=apply, **options)


def state(engine: Engine) -> dict[str, Any]:
    with session_scope(engine, read_only=True) as session:
        return build_document(session)


def test_overview_applies_and_reimport_changes_nothing(engine: Engine) -> None:
    first = run(engine, DATA / "uebersicht.xlsx")
    assert first.totals() == {"new": 7, "changed": 0, "unchanged": 0, "rejected": 2,
                              "skipped": 4, "rows": 13}  # fmt: skip
    assert first.exit_code == 1
    with session_scope(engine, read_only=True) as session:
        names = set(session.scalars(sa.select(Programme.name)))
        awards = session.scalars(sa.select(Award).order_by(Award.reference)).all()
        batch = session.scalars(sa.select(ImportBatch)).one()
        assert all(a.import_batch_id == batch.id for a in awards)
        assert {a.reference for a in awards} >= {"01UR1605A", "01UR1605B"}
        assert all(a.source_ref and "uebersicht.xlsx" in a.source_ref for a in awards)
    assert "Zukunftsstadt" in names and len(names) == 6  # two awards, one programme
    again = run(engine, DATA / "uebersicht.xlsx")
    assert again.totals()["unchanged"] == 7
    assert not again.has_changes
    assert again.files[0].batch_id is None
    assert "schon am" in again.files[0].notes[0]


def test_edited_cell_changes_exactly_that_field(engine: Engine, tmp_path: Path) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    edited = tmp_path / "uebersicht.xlsx"
    shutil.copy(DATA / "uebersicht.xlsx", edited)
    book = load_workbook(edited)
    book["Übersicht"]["F7"] = "1.300.000,00 €"
    book.save(edited)
    preview = run(engine, edited)
    changed = [r for f in preview.files for s in f.sheets for r in s.rows
               if r.status is RowStatus.CHANGED]  # fmt: skip
    assert len(changed) == 1
    diffs = [(d.label, d.old, d.new) for c in changed[0].changes for d in c.diffs]
    old, new = format_money(Decimal("1234567.89")), format_money(Decimal("1300000"))
    assert diffs == [("Fördersumme", old, new)]
    with session_scope(engine, read_only=True) as session:
        kaoa = session.scalars(
            sa.select(Programme).where(Programme.key == "kaoa")
        ).one()
        assert str(kaoa.awards[0].amount) == "1300000.00"


def test_deadlines_find_their_programmes_as_people_write_them(engine: Engine) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    preview = run(engine, DATA / "fristen.xlsx")
    sheet = preview.files[0].sheets[0]
    assert sheet.counts() == {"new": 5, "changed": 0, "unchanged": 0, "rejected": 3,
                              "skipped": 1, "rows": 9}  # fmt: skip
    hints = [p.hint for p in sheet.rejected()]
    assert "meinten Sie „Zukunftsstadt“?" in hints
    assert "Lernen vor Ort" not in " ".join(sheet.notes)
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            sa.select(Programme.key, Obligation.title, Obligation.status)
            .join(Obligation.programme).order_by(Obligation.id)
        ).all()  # fmt: skip
        programmes = session.scalar(sa.select(sa.func.count()).select_from(Programme))
    assert programmes == 6  # a deadline never creates a programme
    assert ("kaoa", "Zwischennachweis 2016", ObligationStatus.OPEN) in rows
    assert (
        "lebenswelten-aktiv-gestalten",
        "Sachbericht",
        ObligationStatus.DONE,
    ) in rows
    assert ("rbn", "Bildungskonferenz", ObligationStatus.OPEN) in rows


def test_budget_plan_and_contacts(engine: Engine) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    preview = run(engine, DATA / "finanzplan.xlsx", DATA / "kontakte.ods",
                  programme="lebenswelten-aktiv-gestalten")  # fmt: skip
    assert preview.totals()["new"] == 4
    assert preview.totals()["changed"] == 3
    document = state(engine)
    programme = next(p for p in document["programmes"]
                     if p["key"] == "lebenswelten-aktiv-gestalten")  # fmt: skip
    lines = programme["awards"][0]["budget_lines"]
    assert {"category": "Personal", "year": 2017, "planned": "48000.00"} in lines
    assert len(lines) == 11
    roles = {c["email"]: c["role"] for c in document["contacts"]}
    assert roles["albers@kreis-re.de"] == "Leitung Bildungsbüro"


def test_dry_run_writes_nothing(engine: Engine) -> None:
    before = state(engine)
    preview = run(engine, DATA / "uebersicht.xlsx", apply=False)
    assert preview.totals()["new"] == 7
    assert state(engine) == before


def test_undo_restores_the_state_before(engine: Engine, tmp_path: Path) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    before = state(engine)
    edited = tmp_path / "uebersicht.xlsx"
    shutil.copy(DATA / "uebersicht.xlsx", edited)
    book = load_workbook(edited)
    book["Übersicht"]["K7"] = "abgeschlossen"
    book["Übersicht"]["B20"] = "Neues Programm"
    book["Übersicht"]["C20"] = "BMFSFJ"
    book.save(edited)
    second = run(engine, edited).files[0].batch_id
    assert second is not None
    assert state(engine) != before
    with session_scope(engine, "test") as session:
        undo_batch(session, second)
    assert state(engine) == before
    with (
        session_scope(engine, "test") as session,
        pytest.raises(Conflict, match="bereits"),
    ):
        undo_batch(session, second)


def test_undo_refuses_when_later_changes_build_on_it(engine: Engine) -> None:
    first = run(engine, DATA / "uebersicht.xlsx").files[0].batch_id
    run(engine, DATA / "fristen.xlsx")
    with (
        session_scope(engine, "test") as session,
        pytest.raises(
            Conflict,
            match=r"Frist „[^“]+“ \(fällig [\d.]+\) verweist auf Programm Nr\.",
        ),
    ):
        undo_batch(session, first or 0)
    with session_scope(engine, "test") as session:
        kaoa = session.scalars(
            sa.select(Programme).where(Programme.key == "kaoa")
        ).one()
        kaoa.notes = "von Hand"
    with session_scope(engine, "test") as session:
        batches = session.scalars(
            sa.select(ImportBatch.id).order_by(ImportBatch.id)
        ).all()
        undo_batch(session, batches[-1])
    with (
        session_scope(engine, "test") as session,
        pytest.raises(Conflict, match=r"Programm „[^“]+“ wurde danach geändert"),
    ):
        undo_batch(session, first or 0)


def test_interrupted_apply_leaves_the_database_as_it_was(
    engine: Engine, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Programm", "Fördergeber", "Laufzeit", "Fördersumme"])
    for number in range(2500):
        sheet.append([f"Programm {number}", "Land NRW", "2016 - 2018", 1000 + number])
    path = tmp_path / "viele.xlsx"
    book.save(path)
    before = state(engine)
    calls: list[int] = []

    def interrupt(count: int) -> None:
        calls.append(count)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(engine, path, progress=interrupt)
    assert state(engine) == before
    with session_scope(engine, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Change)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_cli_preview_confirm_and_exit_codes(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    declined = cli("import", str(DATA / "uebersicht.xlsx"), db=db, input="n\n")
    assert "Nichts geändert" in declined.output
    no_programmes = cli("import", str(DATA / "fristen_cp1252.csv"), "--yes", db=db)
    assert no_programmes.exit_code == 1
    assert "nicht eindeutig bekannt" in no_programmes.output
    assert "Nichts zu übernehmen" in no_programmes.output
    applied = cli("import", str(DATA / "uebersicht.xlsx"), db=db, input="j\n")
    assert applied.exit_code == 1, applied.output
    assert "Übernommen" in applied.output
    listed = cli("imports", db=db)
    assert "uebersicht.xlsx" in listed.output
    as_json = cli(
        "import", str(DATA / "uebersicht.xlsx"), "--dry-run", "--format", "json", db=db
    )
    assert '"unchanged": 7' in as_json.output
    unknown = cli(
        "import", str(DATA / "finanzplan.xlsx"), "--programme", "zukunft", db=db
    )
    assert unknown.exit_code == 2
    assert "meinten Sie" in unknown.output
    unused = cli(
        "import", str(DATA / "uebersicht.xlsx"), "--programme", "egal", "--dry-run",
        db=db,
    )  # fmt: skip
    assert "--programme egal wird hier nicht verwendet" in unused.output
    undone = cli("imports", "undo", "1", db=db)
    assert undone.exit_code == 0 and "rückgängig gemacht" in undone.output
    missing = cli("import", str(tmp_path / "fehlt.xlsx"), db=db)
    assert missing.exit_code == 2
    assert "Traceback" not in missing.output


def test_one_run_with_the_same_deadlines_twice_creates_them_once(
    engine: Engine,
) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    preview = run(engine, DATA / "fristen.xlsx", DATA / "fristen.xlsx")
    first, second = (f.sheets[0].counts() for f in preview.files)
    assert (first["new"], second["new"], second["unchanged"]) == (5, 0, 5)
    with session_scope(engine, read_only=True) as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(Obligation))
        batch = session.scalars(sa.select(ImportBatch)).all()[-1]
        provenance = session.scalars(sa.select(Obligation.import_batch_id)).all()
        logged = session.scalars(
            sa.select(Change.entity_id).where(Change.entity == "obligations")
        ).all()
    assert count == 5
    assert set(provenance) == {batch.id}
    assert len(logged) == 5 and all(logged)


def test_exported_workbook_reimports_with_exactly_the_edits(
    cli: Callable[..., Any], demo_workbook: tuple[str, Path]
) -> None:
    db, workbook = demo_workbook
    untouched = cli("import", str(workbook), "--dry-run", db=db)
    assert untouched.exit_code == 0, untouched.output
    assert "Keine Änderungen" in untouched.output
    book = load_workbook(workbook)
    sheet = book["Übersicht"]
    header = [c.value for c in sheet[1]]
    status = header.index("Status") + 1
    sheet.cell(row=2, column=status).value = "abgeschlossen"
    book.save(workbook)
    edited = cli("import", str(workbook), "--yes", db=db)
    assert edited.exit_code == 0, edited.output
    assert "1 geändert" in edited.output
    assert "Status: läuft → abgeschlossen" in edited.output
    again = cli("import", str(workbook), "--dry-run", db=db)
    assert "Keine Änderungen" in again.output


def test_a_stale_workbook_does_not_undo_what_changed_since_its_export(
    cli: Callable[..., Any], demo_workbook: tuple[str, Path]
) -> None:
    db, workbook = demo_workbook
    book = load_workbook(workbook)
    sheet = book["Fristen"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in ("_id", "_stand", "fällig am")}
    done_id = sheet.cell(row=2, column=col["_id"]).value
    # After the export, a colleague marks the first deadline done in portfolio …
    engine = open_database(db)
    with session_scope(engine, "kollegin") as session:
        obligation = session.get(Obligation, done_id)
        assert obligation is not None
        obligation.status = ObligationStatus.DONE
        obligation.done_on = date(2026, 11, 20)
    # … while the office lead moves the second deadline in her (older) workbook.
    sheet.cell(row=3, column=col["fällig am"]).value = date(2030, 1, 15)
    book.save(workbook)

    result = cli("import", str(workbook), "--yes", db=db)
    assert result.exit_code == 1, result.output
    assert "1 geändert" in result.output  # her edit is applied
    assert "nach dem Export der Tabelle in der Datenbank geändert" in result.output
    assert "Status: erledigt → offen" in result.output  # what it would have undone
    with session_scope(engine, read_only=True) as session:
        kept = session.get(Obligation, done_id)
        assert kept is not None and kept.status is ObligationStatus.DONE

    # Clearing _stand says: take my row anyway.
    sheet.cell(row=2, column=col["_stand"]).value = None
    book.save(workbook)
    forced = cli("import", str(workbook), "--yes", db=db)
    assert forced.exit_code == 0, forced.output
    with session_scope(engine, read_only=True) as session:
        reopened = session.get(Obligation, done_id)
        assert reopened is not None and reopened.status is ObligationStatus.OPEN
    engine.dispose()


def test_an_edited_workbook_imports_again_after_undo(
    cli: Callable[..., Any], demo_workbook: tuple[str, Path]
) -> None:
    db, workbook = demo_workbook
    book = load_workbook(workbook)
    sheet = book["Fristen"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("erledigt") + 1).value = date(2026, 11, 2)
    book.save(workbook)
    for attempt in ("first", "after undo"):
        result = cli("import", str(workbook), "--yes", db=db)
        assert result.exit_code == 0, (attempt, result.output)
        assert "1 geändert" in result.output
        assert "Status: offen → erledigt" in result.output
        if attempt == "first":
            assert cli("imports", "undo", "1", db=db).exit_code == 0


def test_overlong_texts_are_rejected_not_crashing_the_database(
    engine: Engine, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Programm", "Fördergeber", "Förderkennzeichen", "E-Mail"])
    sheet.append(["P" * 400, "BMBF", "A1", "a@b.de"])
    sheet.append(["Gut", "F" * 500, "A2", "a@b.de"])
    sheet.append(["Auch gut", "BMBF", "R" * 200, "a@b.de"])
    sheet.append(["Kurz", "BMBF", "A4", "x" * 300 + "@b.de"])
    sheet.append(["Passt", "BMBF", "A5", "a@b.de"])
    path = tmp_path / "lang.xlsx"
    book.save(path)
    preview = run(engine, path)
    assert preview.totals()["rejected"] == 4
    assert preview.totals()["new"] == 1


def test_edited_deadline_changes_and_undoes(engine: Engine, tmp_path: Path) -> None:
    run(engine, DATA / "uebersicht.xlsx")
    run(engine, DATA / "fristen.xlsx")
    before = state(engine)
    edited = tmp_path / "fristen.xlsx"
    shutil.copy(DATA / "fristen.xlsx", edited)
    book = load_workbook(edited)
    book["Fristen 2017"]["F5"] = "x"
    book["Fristen 2017"]["C8"] = "15.12.2017"
    book.save(edited)
    preview = run(engine, edited)
    rows = [r for r in preview.files[0].sheets[0].rows if r.status is RowStatus.CHANGED]
    diffs = sorted(d.label for r in rows for c in r.changes for d in c.diffs)
    assert diffs == ["Status", "fällig am"]
    batch = preview.files[0].batch_id
    with session_scope(engine, read_only=True) as session:
        done = session.scalars(
            sa.select(Obligation).where(Obligation.title == "Zwischennachweis 2016")
        ).one()
        assert done.status is ObligationStatus.DONE
        assert done.import_batch_id == batch
    with session_scope(engine, "test") as session:
        undo_batch(session, batch or 0)
    assert state(engine) == before


def test_a_name_of_symbols_finds_itself_again(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "zeichen.csv"
    path.write_text("Programm;Fördergeber\n{;BMBF\n–;BMBF\n", encoding="utf-8")
    assert run(engine, path).totals()["new"] == 2
    assert run(engine, path).totals()["unchanged"] == 2


def test_a_missing_due_date_names_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "fristen.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Programm", "Was?", "fällig am", "zuständig"])
    sheet.append(["KAoA", "Sachbericht", None, "Frau Albers"])
    sheet.append(["KAoA", "Verwendungsnachweis", "01.02.2017", "Frau Albers"])
    book.save(path)
    [problem] = read_file(path).sheets[0].rejected
    assert (problem.row, problem.column) == (2, "C (fällig am)")
    assert problem.message == "Pflichtangabe „fällig am“ fehlt."
