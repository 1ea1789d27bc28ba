"""Money benchmark (issue 13): booking lists and the Verwendungsnachweis, as ratios.

Measured in one run, in-process (the floor and the candidate share the warm-up):

* booking list XLSX of N lines: ``read_bookings`` + plan + apply into SQLite
  against python-calamine reading every cell of the same file (goal ≤ 5×);
* the same as CSV (cp1252, ``;``) against reading it with the csv module (≤ 5×);
* both imports against the storage floor: the same expense rows (the three
  quarters of the lines on the award's code) and their change-log rows inserted
  straight through ``portfolio.storage.bulk`` into the same fresh database, no
  file, no matching (goal ≤ 1.5×: the csv module's 5× is below this floor);
* re-importing the unchanged XLSX (read, plan: all known, nothing written)
  against the first import (goal ≤ 1.5×);
* the Nachweis without Belegliste (html) for an award with 20 000 bookings
  against one with 20 (goal ≤ 3×);
* the Belegliste of 20 000 bookings as xlsx against XlsxWriter writing the same
  cells directly (goal ≤ 1.5×).

Usage::

    python benchmarks/bench_money.py               # 100 000 booking lines
    python benchmarks/bench_money.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from python_calamine import CalamineWorkbook

from imports.bookings import read_bookings
from portfolio.domain.models import Award, Expense, ImportBatch
from portfolio.services.collector import collector_paused
from portfolio.services.demo import load_demo
from portfolio.services.import_bookings import (
    COLUMNS,
    EXPENSES,
    TABLE,
    BookingPlan,
    apply_bookings,
    plan_bookings,
)
from portfolio.storage.changes import record_created
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports.nachweis import render_nachweis
from reports.nachweis_data import belegliste, build_nachweis

HEADER = ["Buchungsdatum", "Belegnummer", "Sachkonto", "Kostenstelle", "Auftrag",
          "Buchungstext", "Betrag"]  # fmt: skip


def _lines(rows: int) -> list[list[object]]:
    start = date(2017, 1, 2)
    out: list[list[object]] = []
    for n in range(rows):
        code = "A-KOKO" if n % 4 else "A-FREMD"  # a quarter belongs to nobody
        account = "501100" if n % 3 else "542100"
        out.append([start + timedelta(days=n % 360), f"B-{n:07d}", account, "4711",
                    code, f"Buchung {n}", round(10 + (n % 997) * 1.37, 2)])  # fmt: skip
    return out


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Buchungen")
    fmt = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, ["Sachkontenauszug Fachdienst 40"])
    sheet.write_row(2, 0, HEADER)
    for i, row in enumerate(rows, 3):
        sheet.write_datetime(i, 0, row[0], fmt)  # type: ignore[arg-type]
        sheet.write_row(i, 1, row[1:])
    book.close()


def write_csv(path: Path, rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Sachkontenauszug Fachdienst 40"])
    writer.writerow(HEADER)
    for row in rows:
        day = row[0]
        assert isinstance(day, date)
        writer.writerow([f"{day:%d.%m.%Y}", *row[1:6],
                         f"{row[6]:.2f}".replace(".", ",")])  # fmt: skip
    path.write_bytes(buffer.getvalue().encode("cp1252"))


def timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def paired(
    floor: Callable[[], object], work: Callable[[], object]
) -> tuple[float, float]:
    """Medians of three interleaved rounds (the shared machine's load varies)."""
    floors, works = [], []
    for _ in range(3):
        floors.append(timed(floor))
        works.append(timed(work))
    return statistics.median(floors), statistics.median(works)


def prepared_db(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    engine = open_database(url)
    with session_scope(engine, "bench") as session:
        load_demo(session)
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-KOKO-2016")
        ).one()
        award.accounting_codes = ["A-KOKO"]
        award.account_categories = {"5011": "Personal", "5421": "Reisen"}
        # Without the demo's example bookings: every booking here is the bench's.
        session.execute(sa.delete(Expense).where(Expense.award_id == award.id))
    engine.dispose()
    return url


def import_file(url: str, path: Path) -> int:
    engine = open_database(url)
    with session_scope(engine, "bench") as session:
        result = read_bookings(path, 10**9)
        assert result is not None
        plan = plan_bookings(session, result)
        apply_bookings(session, plan)
        count = len(plan.new)
    engine.dispose()
    return count


def plan_of(url: str, path: Path) -> BookingPlan:
    """What an import of the file would store (read and planned, nothing written)."""
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        result = read_bookings(path, 10**9)
        assert result is not None
        plan = plan_bookings(session, result)
    engine.dispose()
    return plan


def floor_columns(plan: BookingPlan) -> list[list[Any]]:
    """The values the import stores for the plan's new bookings, column by column."""
    rows = plan.new
    return [
        [award_id for award_id, _, _, _ in rows],
        [category for _, _, _, category in rows],
        [b.day.year for _, b, _, _ in rows],
        [b.day for _, b, _, _ in rows],
        [b.amount for _, b, _, _ in rows],
        [None] * len(rows),
        [b.reference for _, b, _, _ in rows],
        [b.text[:300] or None for _, b, _, _ in rows],
        [b.account for _, b, _, _ in rows],
        [code for _, _, code, _ in rows],
        [b.occurrence for _, b, _, _ in rows],
    ]


def store_floor(url: str, columns: list[list[Any]]) -> None:
    """The storage floor: the same expense rows and their change-log rows.

    All rows in one bulk insert with their ids, the change-log rows (their JSON
    included) and the commit, under one import batch, the cyclic collector
    paused as the import pauses it: no file, no matching.
    """
    engine = open_database(url)
    with session_scope(engine, "bench") as session, collector_paused():
        batch = ImportBatch(file_name="floor", sha256="", sheets=[], kind="bookings")
        session.add(batch)
        session.flush()
        session.info["batch_id"] = batch.id
        stored = [*columns, [batch.id] * len(columns[0])]
        ids = EXPENSES.insert_columns_with_ids(session, stored)
        after = list(stored)
        after[3] = [d.isoformat() for d in stored[3]]
        after[4] = [str(a) for a in stored[4]]
        record_created(
            session, TABLE.name, (*COLUMNS, "id"), [*after, ids], list(map(str, ids))
        )
    engine.dispose()


def calamine_parse(path: Path) -> None:
    book = CalamineWorkbook.from_path(str(path))
    for _ in book.get_sheet_by_index(0).iter_rows():
        pass


def csv_parse(path: Path) -> None:
    text = path.read_bytes().decode("cp1252")
    for _ in csv.reader(io.StringIO(text), delimiter=";"):
        pass


def nachweis_db(folder: Path, bookings: int) -> tuple[str, int]:
    url = prepared_db(folder, f"n{bookings}.db")
    engine = open_database(url)
    with session_scope(engine, "bench") as session:
        award = session.scalars(
            sa.select(Award).where(Award.reference == "DEMO-KOKO-2016")
        ).one()
        session.add_all(
            Expense(award_id=award.id, category="Personal" if n % 3 else "Reisen",
                    year=2017, spent_on=date(2017, 1, 1) + timedelta(days=n % 360),
                    amount=Decimal("100.50"), reference=f"B-{n:06d}", text=f"Beleg {n}",
                    account="501100")
            for n in range(bookings)
        )  # fmt: skip
        award_id = award.id
    engine.dispose()
    return url, award_id


def render(url: str, award_id: int, fmt: str, listing: bool) -> bytes:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        award = session.get(Award, award_id)
        assert award is not None
        data = build_nachweis(session, award, year=None, today=date(2017, 3, 15),
                              office="Bildungsbüro", address=[])  # fmt: skip
        content = render_nachweis(session, data, fmt, with_belegliste=listing)
    engine.dispose()
    return content


def xlsxwriter_floor(url: str, award_id: int) -> None:
    engine = open_database(url)
    with session_scope(engine, read_only=True) as session:
        rows = list(belegliste(session, award_id))
    engine.dispose()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet("Belegliste")
    for i, (category, day, reference, text, account, amount) in enumerate(rows, 1):
        sheet.write_string(i, 0, category)
        if day is not None:
            sheet.write_datetime(i, 1, day)
        sheet.write_string(i, 2, reference or "")
        sheet.write_string(i, 3, text or "")
        sheet.write_string(i, 4, account or "")
        sheet.write_number(i, 5, float(amount))
    book.close()


def fresh(template: Path, name: str) -> str:
    """A copy of the prepared database (the same start for every timed import)."""
    target = template.with_name(name)
    for stale in template.parent.glob(f"{name}*"):
        stale.unlink()
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def clocked(work: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of one run of ``work``."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def booking_imports(folder: Path, rows: int) -> None:
    """Time the booking imports against their floors, three interleaved rounds.

    Each timing is kept twice: by the wall clock and as the process's CPU time
    (the machine is shared; CPU time does not count waiting for a core).
    """
    lines = _lines(rows)
    xlsx, csv_path = folder / "buchungen.xlsx", folder / "buchungen.csv"
    write_xlsx(xlsx, lines)
    write_csv(csv_path, lines)
    prepared_db(folder, "template.db")
    template = folder / "template.db"
    columns = floor_columns(plan_of(fresh(template, "plan.db"), xlsx))
    parses: dict[str, Callable[[], object]] = {
        "calamine": lambda: calamine_parse(xlsx),
        "csv": lambda: csv_parse(csv_path),
    }
    writes: dict[str, Callable[[str], object]] = {
        "floor": lambda url: store_floor(url, columns),
        "xlsx": lambda url: import_file(url, xlsx),
        "csv import": lambda url: import_file(url, csv_path),
    }
    times: dict[str, list[tuple[float, float]]] = {n: [] for n in (*parses, *writes)}
    for _ in range(3):  # interleaved: the shared machine's load varies
        for name, parse in parses.items():
            times[name].append(clocked(parse))
        for name, write in writes.items():
            times[name].append(clocked(partial(write, fresh(template, "round.db"))))
    url = fresh(template, "again.db")
    import_file(url, xlsx)
    times["again"] = [clocked(lambda: import_file(url, xlsx)) for _ in "123"]
    print(f"{rows} Buchungszeilen, {len(columns[0])} davon neu für die Bewilligung")
    for clock, label in enumerate(("Wanduhr", "CPU-Zeit")):
        best = {n: statistics.median(t[clock] for t in ts) for n, ts in times.items()}
        report(label, best)


def report(label: str, best: dict[str, float]) -> None:
    """The booking import ratios by one clock (medians in seconds)."""
    floor, first, by_csv = best["floor"], best["xlsx"], best["csv import"]
    calamine, again = best["calamine"], best["again"]
    print(f"  {label}: Speicher-Untergrenze (bulk.py: Ausgaben und "
          f"Änderungsprotokoll) {floor:.2f} s")  # fmt: skip
    print(f"    XLSX-Import {first:.2f} s = {first / calamine:.1f}× calamine "
          f"({calamine:.2f} s; Ziel ≤ 5×) = {first / floor:.2f}× der Untergrenze "
          f"(Ziel ≤ 1,5×) = {first / (floor + calamine):.2f}× calamine + "
          "Untergrenze")  # fmt: skip
    print(f"    CSV-Import {by_csv:.2f} s = {by_csv / best['csv']:.1f}× csv-Modul "
          f"({best['csv']:.2f} s; Ziel ≤ 5×) = {by_csv / floor:.2f}× der "
          "Untergrenze (Ziel ≤ 1,5×)")  # fmt: skip
    print(f"    erneuter XLSX-Import {again:.2f} s = {again / first:.2f}× des "
          "ersten (Ziel ≤ 1,5×)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bookings", type=int, default=20_000)
    parser.add_argument(
        "--only-bookings", action="store_true", help="only the booking imports"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        booking_imports(folder, args.rows)
        if args.only_bookings:
            return
        small_url, small_id = nachweis_db(folder, 20)
        big_url, big_id = nachweis_db(folder, args.bookings)
        render(small_url, small_id, "html", False)  # warm up templates
        small, big = paired(
            lambda: render(small_url, small_id, "html", False),
            lambda: render(big_url, big_id, "html", False),
        )
        print(
            f"  Nachweis ohne Belegliste: 20 Buchungen {small:.3f} s, "
            f"{args.bookings} Buchungen {big:.3f} s = {big / small:.2f}× (Ziel ≤ 3×)"
        )
        floor, listing = paired(
            lambda: xlsxwriter_floor(big_url, big_id),
            lambda: render(big_url, big_id, "xlsx", True),
        )
        print(
            f"  Belegliste xlsx: XlsxWriter {floor:.2f} s, Nachweis {listing:.2f} s "
            f"= {listing / floor:.2f}× (Ziel ≤ 1,5×)"
        )


if __name__ == "__main__":
    main()
