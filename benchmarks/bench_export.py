"""Export benchmark (issue 5 "Speed"): the portfolio workbook vs bare XlsxWriter.

A SQLite database with ``--programmes`` programmes (default 10,000; each with a
phase, a funder link and an award) and ``--obligations`` open obligations (default
100,000). We time ``reports.build_workbook`` (queries + all five sheets) and then
write the very same cells (read back from that workbook with python-calamine, not
timed) with XlsxWriter in constant-memory mode, without formats, in the same
process: the floor. Goal: ≤ 1.5× the floor. Peak memory of each run is measured
with tracemalloc in a second pass (tracemalloc slows Python down, so timings come
from the first pass).

Run: ``python benchmarks/bench_export.py [--programmes N] [--obligations M]``.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import tempfile
import time
import tracemalloc
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import xlsxwriter
from python_calamine import CalamineWorkbook

from portfolio.domain.enums import FunderKind
from portfolio.domain.models import Award, Funder, Funding, Obligation, Phase, Programme
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from reports import build_workbook

TODAY = date(2017, 3, 15)
CHUNK = 20_000


def fill(engine, programmes: int, obligations: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with session_scope(engine, "bench") as session:
        funders = [
            Funder(
                short_name=f"F{i}",
                name=f"Fördergeber {i}",
                kind=list(FunderKind)[i % 6],
            )
            for i in range(40)
        ]
        session.add_all(funders)
        session.flush()
        funder_ids = [f.id for f in funders]
    prog_rows, phase_rows, funding_rows, award_rows = [], [], [], []
    for i in range(1, programmes + 1):
        start = date(2009, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        end = start + timedelta(days=rng.randrange(365, 1500))
        funder = rng.choice(funder_ids)
        prog_rows.append(
            {
                "id": i,
                "key": f"prog-{i}",
                "name": f"Programm {i} – Bildung",
                "status": "running",
                "tags": [],
            }
        )
        phase_rows.append(
            {
                "programme_id": i,
                "name": "",
                "start": start,
                "end": end,
                "precision": "day",
            }
        )
        funding_rows.append({"programme_id": i, "funder_id": funder})
        award_rows.append(
            {
                "id": i,
                "programme_id": i,
                "funder_id": funder,
                "kind": "bescheid",
                "reference": f"FKZ-{i}",
                "start": start,
                "end": end,
                "amount": Decimal(rng.randrange(10_000, 900_000)),
                "overrides": {},
            }
        )
    obligation_rows = []
    for j in range(obligations):
        pid = rng.randrange(1, programmes + 1)
        due = TODAY + timedelta(days=rng.randrange(-200, 700))
        obligation_rows.append(
            {
                "programme_id": pid,
                "award_id": pid,
                "kind": "zwischennachweis",
                "title": f"Zwischennachweis {j}",
                "due_on": due,
                "status": "open",
                "origin": "manual",
                "checklist": [],
                "edited": False,
                "source": "ANBest-Gk Nr. 6",
            }
        )
    with engine.begin() as conn:
        for table, rows in (
            (Programme, prog_rows),
            (Phase, phase_rows),
            (Funding, funding_rows),
            (Award, award_rows),
            (Obligation, obligation_rows),
        ):
            for k in range(0, len(rows), CHUNK):
                conn.execute(sa.insert(table.__table__), rows[k : k + CHUNK])


BLANK_RE = re.compile(rb'<c r="([A-Z]+)(\d+)" s="\d+"/>')


def cells_of(data: bytes) -> list[tuple[str, list[list[object]]]]:
    """Every cell of the workbook; styled empty cells (the Zeitstrahl) as BLANK."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = [
        (name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for index, (_, rows) in enumerate(sheets, 1):
            xml = archive.read(f"xl/worksheets/sheet{index}.xml")
            for letters, number in BLANK_RE.findall(xml):
                r, c = int(number) - 1, column_index(letters.decode())
                while len(rows) <= r:
                    rows.append([])
                row = rows[r]
                row.extend([""] * (c + 1 - len(row)))
                if row[c] in ("", None):
                    row[c] = BLANK
    return sheets


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


BLANK = object()


def floor(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False}
    )
    fill = book.add_format({"bg_color": "#5B8BC9"})
    for name, rows in sheets:
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is BLANK:
                    ws.write_blank(r, c, None, fill)
                    continue
                if value == "" or value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif isinstance(value, (date,)):
                    ws.write_datetime(r, c, value)
                else:
                    ws.write_number(r, c, float(value))
    book.close()
    return out.getvalue()


def ours(engine) -> bytes:
    with session_scope(engine, read_only=True) as session:
        return build_workbook(session, TODAY)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def peak(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programmes", type=int, default=10_000)
    parser.add_argument("--obligations", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        _, seconds = timed(fill, engine, args.programmes, args.obligations)
        print(
            f"filled {args.programmes:,} programmes / {args.obligations:,} obligations "
            f"in {seconds:.1f} s"
        )
        data, t_ours = timed(ours, engine)
        sheets = cells_of(data)
        count = sum(
            1 for _, rows in sheets for row in rows for v in row if v not in ("", None)
        )
        blanks = sum(1 for _, rows in sheets for row in rows for v in row if v is BLANK)
        _, t_floor = timed(floor, sheets)
        print(
            f"workbook: {len(data) / 2**20:.1f} MB, {count:,} cells "
            f"(of which {blanks:,} filled Zeitstrahl months)"
        )
        print(f"build_workbook (queries + 5 sheets): {t_ours:6.2f} s")
        print(f"xlsxwriter constant_memory, same cells: {t_floor:6.2f} s")
        print(f"ratio: {t_ours / t_floor:.2f}x (goal <= 1.5x)")
        print(f"peak memory build_workbook: {peak(ours, engine):7.1f} MB (tracemalloc)")
        print(
            f"peak memory floor:          {peak(floor, sheets):7.1f} MB (tracemalloc, "
            "cells held in memory before)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
