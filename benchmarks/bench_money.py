"""Money benchmark (issue 13): booking lists and the Verwendungsnachweis, as ratios.

Measured in one run, in-process (the floor and the candidate share the warm-up):

* booking list XLSX of N lines: ``read_bookings`` + plan + apply into SQLite
  against python-calamine reading every cell of the same file (goal ≤ 5×);
* the same as CSV (cp1252, ``;``) against reading it with the csv module (≤ 5×);
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
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import xlsxwriter
from python_calamine import CalamineWorkbook

from imports.bookings import read_bookings
from portfolio.domain.models import Award, Expense
from portfolio.services.demo import load_demo
from portfolio.services.import_bookings import apply_bookings, plan_bookings
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bookings", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = _lines(args.rows)
        xlsx, csv_path = folder / "buchungen.xlsx", folder / "buchungen.csv"
        write_xlsx(xlsx, rows)
        write_csv(csv_path, rows)
        floor_xlsx = statistics.median(
            timed(lambda: calamine_parse(xlsx)) for _ in "123"
        )
        first_url = prepared_db(folder, "x.db")
        first = timed(lambda: import_file(first_url, xlsx))
        url = prepared_db(folder, "r.db")
        import_file(url, xlsx)
        again = timed(lambda: import_file(url, xlsx))
        floor_csv = statistics.median(timed(lambda: csv_parse(csv_path)) for _ in "123")
        csv_url = prepared_db(folder, "c.db")
        csv_import = timed(lambda: import_file(csv_url, csv_path))
        print(f"{args.rows} Buchungszeilen")
        print(f"  XLSX: calamine {floor_xlsx:.2f} s, Import {first:.2f} s "
              f"= {first / floor_xlsx:.1f}× (Ziel ≤ 5×)")  # fmt: skip
        print(f"  CSV: csv-Modul {floor_csv:.2f} s, Import {csv_import:.2f} s "
              f"= {csv_import / floor_csv:.1f}× (Ziel ≤ 5×)")  # fmt: skip
        print(
            f"  erneuter Import {again:.2f} s = {again / first:.2f}× "
            "des ersten (Ziel ≤ 1,5×)"
        )
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
