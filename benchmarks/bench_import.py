"""Import benchmark: one command, ratios against the raw calamine parse (issue 3).

Generates realistic deadline lists (title, "Stand:" line, header, German dates and
done marks, names of 200 programmes as people write them, a sum-free footnote) of
10k, 100k and 300k rows, then measures in the same run, each in a fresh process:

* calamine: python-calamine reading every cell (the floor),
* pandas: ``pandas.read_excel(engine="openpyxl")`` (what a script would do),
* import: ``portfolio import FILE --yes`` end to end into SQLite (loading the
  CLI, read, match, plan, write, commit), into a database holding the 200
  programmes,
* reimport: the same command again: the file and the database are unchanged, so
  the import recognises the file (``portfolio.services.import_repeat``),
* recheck: the same with ``--recheck``: read and compare every row (no-op),
* store: the floor of writing: exactly the rows the first import created and
  its change-log rows, read back from its database and inserted with sqlite3's
  ``executemany`` (ids given, the application's pragmas, one transaction, as
  many rows per statement as 999 bound values allow, as the import's own
  ``BulkInsert`` does) into the database as it was before that import; no
  reading, no planning,

with each phase's peak memory (max RSS). Prints the ratios against calamine and
the first import against the floor (calamine + store). The project's modules are
compiled to bytecode first, as an installed package has them (pip compiles on
install; a checkout run with PYTHONDONTWRITEBYTECODE would otherwise compile
every module anew in every phase). Usage::

    python benchmarks/bench_import.py                 # 10k, 100k, 300k
    python benchmarks/bench_import.py --rows 10000 --skip-pandas
    python benchmarks/bench_import.py --overview 100000   # the overview path
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROGRAMMES = 200
TITLES = [
    "Zwischennachweis",
    "Verwendungsnachweis",
    "Sachbericht",
    "Mittelabruf",
    "Bildungskonferenz",
    "Lenkungskreis",
    "Bericht an den Ausschuss",
]
PEOPLE = [
    ("Frau Albers", "albers@kreis-re.de"),
    ("Herr Brandt", "brandt@kreis-re.de"),
    ("Frau Celik", "celik@kreis-re.de"),
    ("Herr Dahl", "dahl@kreis-re.de"),
]


def programme_name(number: int) -> str:
    return f"Bildungsprojekt {number:03d} Kreis Recklinghausen"


def make_overview(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Übersicht")
    sheet.write_row(
        0, 0, ["Programm", "Kurzname", "Fördergeber", "Laufzeit", "Fördersumme"]
    )
    for number in range(PROGRAMMES):
        sheet.write_row(
            number + 1,
            0,
            [
                programme_name(number),
                f"BP{number:03d}",
                "Land NRW",
                "01.08.2016 – 31.07.2019",
                10000 + number,
            ],
        )
    book.close()


OVERVIEW_HEADER = [
    "Programm",
    "Kurzname",
    "Fördergeber",
    "Art",
    "Förderkennzeichen",
    "Laufzeit",
    "Fördersumme",
    "Eigenanteil",
    "Status",
    "Ansprechpartner",
    "E-Mail",
    "nächste Frist",
    "Bemerkungen",
]
STATUSES = [
    "läuft",
    "Bewilligt",
    "Laufend",
    "Antrag eingereicht",
    "Antrag in Vorbereitung",
    "Verwendungsnachweis offen",
    "abgeschlossen",
    "verlängert",
]
FUNDERS = [
    ("Land NRW", "Land"),
    ("BMBF", "Bund"),
    ("ESF", "EU"),
    ("RAG-Stiftung", "Stiftung"),
]
AWARDS_PER_PROGRAMME = 4


def make_big_overview(path: Path, rows: int) -> None:
    """A portfolio overview of ``rows`` awards (13 columns, 4 awards a programme)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Übersicht")
    sheet.write_row(0, 0, OVERVIEW_HEADER)
    for index in range(rows):
        number = index // AWARDS_PER_PROGRAMME
        funder, kind = FUNDERS[number % len(FUNDERS)]
        person, email = PEOPLE[number % len(PEOPLE)]
        start = 2010 + number % 12
        sheet.write_row(
            index + 1,
            0,
            [
                f"Vorhaben {number:06d} Bildung im Quartier",
                f"VQ{number:06d}",
                funder,
                kind,
                f"FKZ-{index:07d}",
                f"01.{1 + index % 12:02d}.{start} – 31.12.{start + 3}",
                10000 + index,
                1000 + index % 500,
                STATUSES[number % len(STATUSES)],
                person,
                email,
                f"30.06.{start + 4}",
                "laut Bescheid" if index % 7 == 0 else "",
            ],
        )
    book.close()


def make_deadlines(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Fristen")
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write(0, 0, "Fristenliste Regionales Bildungsbüro")
    sheet.write(1, 0, "Stand: 15.03.2017")
    sheet.write_row(
        3,
        0,
        [
            "Programm",
            "Was?",
            "fällig am",
            "zuständig",
            "E-Mail",
            "erledigt",
            "Bemerkungen",
        ],
    )
    start = date(2016, 1, 31)
    for index in range(rows):
        number = index % PROGRAMMES
        name = f"BP{number:03d}" if index % 3 == 0 else programme_name(number)
        person, email = PEOPLE[index % len(PEOPLE)]
        title = f"{TITLES[index % len(TITLES)]} {index}"
        due = start + timedelta(days=index % 1500)
        row = 4 + index
        sheet.write(row, 0, name)
        sheet.write(row, 1, title)
        if index % 2:
            sheet.write_datetime(row, 2, due, dates)
        else:
            sheet.write(row, 2, due.strftime("%d.%m.%Y"))
        sheet.write(row, 3, person)
        sheet.write(row, 4, email)
        sheet.write(row, 5, "x" if index % 5 == 0 else "")
        sheet.write(row, 6, "laut Bescheid" if index % 7 == 0 else "")
    sheet.write(4 + rows + 1, 0, "* Fristen ohne Gewähr")
    book.close()


# --- phases (each runs in its own process) -------------------------------------


def phase_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return sum(len(book.get_sheet_by_name(n).to_python()) for n in book.sheet_names)


def phase_pandas(path: Path) -> int:
    import pandas as pd

    return len(pd.read_excel(path, sheet_name=None, engine="openpyxl")["Fristen"])


def phase_import(path: Path, db: str, *options: str) -> int:
    """``portfolio import FILE --yes`` in this process, loading the CLI included.

    Text output, as a person runs it (the JSON preview lists every row: a
    document of its own size, not what this measures).
    """
    import contextlib
    import io
    import re

    from portfolio.cli import run

    out = io.StringIO()
    # As the ``portfolio`` program runs it: a process that ends with the command.
    sys.argv = ["portfolio", "--db", db, "import", str(path), "--yes", *options]
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        run()
    total = re.search(r"^Gesamt: (\d+) Zeile", out.getvalue(), re.MULTILINE)
    if total is None:
        raise SystemExit(f"no totals in the import output:\n{out.getvalue()}")
    return int(total[1])


def phase_store(source: Path, target: Path) -> tuple[int, float]:
    """Insert the rows the last import batch of ``source`` created into ``target``.

    Returns the rows inserted (data and change log) and the seconds the inserts
    and the commit took; reading them back is not timed.
    """
    import sqlite3

    from portfolio.domain.base import Base
    from portfolio.domain.models import ImportBatch

    assert ImportBatch  # every table known to Base.metadata

    with sqlite3.connect(source) as db:
        (batch,) = db.execute("SELECT max(batch_id) FROM changes").fetchone()
        created: dict[str, list[int]] = {}
        for entity, key in db.execute(
            "SELECT entity, entity_id FROM changes WHERE batch_id = ? "
            "AND action = 'create' ORDER BY id",
            (batch,),
        ):
            created.setdefault(entity, []).append(int(key))
        order = [t.name for t in Base.metadata.sorted_tables]
        tables = [_table_rows(db, "import_batches", "id", [batch])]
        tables += [
            _table_rows(db, name, "id", created[name])
            for name in sorted(created, key=order.index)
        ]
        tables.append(_table_rows(db, "changes", "batch_id", [batch]))
    store = sqlite3.connect(target, isolation_level=None)
    for pragma in (
        "foreign_keys = ON",
        "journal_mode = WAL",
        "synchronous = NORMAL",
        "cache_size = -65536",
    ):
        store.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    store.execute("BEGIN IMMEDIATE")
    for sql, rows in tables:
        _insert_many(store, sql, rows)
    store.execute("COMMIT")
    seconds = time.perf_counter() - started
    store.close()
    return sum(len(rows) for _, rows in tables), seconds


def _insert_many(store: object, sql: str, rows: list[tuple[object, ...]]) -> None:
    """Insert rows with as many per statement as 999 bound values allow."""
    import sqlite3

    assert isinstance(store, sqlite3.Connection)
    if not rows:
        return
    per = max(1, 999 // len(rows[0]))
    head, marks = sql.split(" VALUES ")
    many = f"{head} VALUES {', '.join([marks] * per)}"
    whole = len(rows) - len(rows) % per
    groups = [
        tuple(value for row in rows[start : start + per] for value in row)
        for start in range(0, whole, per)
    ]
    store.executemany(many, groups)
    store.executemany(sql, rows[whole:])


def _table_rows(
    db: object, table: str, key: str, values: list[int]
) -> tuple[str, list[tuple[object, ...]]]:
    """The INSERT of a table and its rows whose ``key`` is one of ``values``."""
    import sqlite3

    assert isinstance(db, sqlite3.Connection)
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
    rows: list[tuple[object, ...]] = []
    for start in range(0, len(values), 900):
        chunk = values[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        rows += db.execute(
            f"SELECT * FROM {table} WHERE {key} IN ({marks}) ORDER BY id",
            chunk,
        ).fetchall()
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})", rows


def compile_project() -> None:
    """Bytecode for the project's modules, as ``pip install`` leaves it."""
    import compileall

    root = Path(__file__).resolve().parents[1]
    for package in ("portfolio", "imports", "reports"):
        compileall.compile_dir(root / package, quiet=1)


def fresh_database(path: Path) -> None:
    """An empty database of the current schema (what a first import finds)."""
    from portfolio.storage.db import make_engine
    from portfolio.storage.schema import ensure_schema

    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    engine.dispose()


def run_phase(name: str, path: Path, db: str) -> dict[str, float]:
    if name == "store":
        source, target = db.split("|")
        rows, seconds = phase_store(Path(source), Path(target))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"seconds": seconds, "peak_mb": peak_mb, "rows": rows}
    started = time.perf_counter()
    if name == "calamine":
        rows = phase_calamine(path)
    elif name == "pandas":
        rows = phase_pandas(path)
    elif name == "recheck":
        rows = phase_import(path, db, "--recheck")
    else:
        rows = phase_import(path, db)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "rows": rows}


def child(name: str, path: Path, db: str = "") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path), "--db", db],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_overview(rows: int, folder: Path) -> None:
    """The overview path: a 13-column workbook into a fresh database (issue 14)."""
    overview = folder / f"uebersicht_{rows}.xlsx"
    make_big_overview(overview, rows)
    path = folder / f"overview_{rows}.db"
    db = f"sqlite:///{path}"
    before = folder / f"overview_{rows}_before.db"
    child("fresh", overview, str(before))
    results = {"calamine": child("calamine", overview)}
    results["import"] = child("import", overview, db)
    results["store"] = child("store", overview, f"{path}|{before}")
    results["reimport"] = child("import", overview, db)
    results["recheck"] = child("recheck", overview, db)
    floor = results["calamine"]["seconds"]
    size = overview.stat().st_size / 1_048_576
    print(f"\noverview {rows:>7} rows × 13 columns ({size:.1f} MB xlsx)")
    for name, result in results.items():
        print(
            f"  {name:<9} {result['seconds']:8.2f} s  "
            f"{result['seconds'] / floor:6.1f}× calamine  "
            f"peak {result['peak_mb']:7.0f} MB"
        )
    print(
        f"  goals: first import ≤ 8× ({results['import']['seconds'] / floor:.1f}×), "
        f"re-import ≤ 1.5× ({results['reimport']['seconds'] / floor:.1f}×), "
        f"peak ≤ 600 MB ({results['import']['peak_mb']:.0f} MB)"
    )
    print_floor(results)


def print_floor(results: dict[str, dict[str, float]]) -> None:
    """The floor of a first import: the parse plus storing its rows and log."""
    parse, store = results["calamine"]["seconds"], results["store"]["seconds"]
    first = results["import"]["seconds"]
    print(
        f"  floor: calamine + store {parse + store:.2f} s "
        f"({(parse + store) / parse:.1f}× calamine; "
        f"{results['store']['rows']:.0f} rows with their change log); "
        f"first import {first / (parse + store):.2f}× that floor"
    )


def bench(rows: int, folder: Path, skip_pandas: bool) -> None:
    overview, deadlines = folder / "uebersicht.xlsx", folder / f"fristen_{rows}.xlsx"
    make_overview(overview)
    make_deadlines(deadlines, rows)
    path = folder / f"bench_{rows}.db"
    db = f"sqlite:///{path}"
    child("import", overview, db)  # the programmes the deadlines name
    before = folder / f"bench_{rows}_before.db"
    shutil.copyfile(path, before)  # closed and checkpointed: the file is whole
    results = {"calamine": child("calamine", deadlines)}
    if not skip_pandas:
        results["pandas"] = child("pandas", deadlines)
    results["import"] = child("import", deadlines, db)
    results["store"] = child("store", deadlines, f"{path}|{before}")
    results["reimport"] = child("import", deadlines, db)
    results["recheck"] = child("recheck", deadlines, db)
    floor = results["calamine"]["seconds"]
    size = deadlines.stat().st_size / 1_048_576
    print(f"\n{rows:>7} rows ({size:.1f} MB xlsx)")
    for name, result in results.items():
        ratio = result["seconds"] / floor
        print(
            f"  {name:<9} {result['seconds']:8.2f} s  {ratio:6.1f}× calamine  "
            f"peak {result['peak_mb']:7.0f} MB"
        )
    print(
        f"  goals: import ≤ 8× ({results['import']['seconds'] / floor:.1f}×), "
        f"re-import ≤ 1.5× ({results['reimport']['seconds'] / floor:.1f}×; "
        f"row by row with --recheck {results['recheck']['seconds'] / floor:.1f}×), "
        f"peak < 600 MB ({results['import']['peak_mb']:.0f} MB)"
    )
    print_floor(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="*", default=[10_000, 100_000, 300_000]
    )
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--overview",
        type=int,
        nargs="*",
        help="rows of the 13-column overview workbook to import (e.g. 100000); "
        "with this, only the overview is measured",
    )
    parser.add_argument("--phase")
    parser.add_argument("--file")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    if args.phase == "fresh":
        fresh_database(Path(args.db))
        print(json.dumps({}))
        return
    if args.phase:
        print(json.dumps(run_phase(args.phase, Path(args.file), args.db)))
        return
    compile_project()
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.overview or []:
            bench_overview(rows, Path(folder))
        if args.overview:
            return
        for rows in args.rows:
            bench(rows, Path(folder), args.skip_pandas)


if __name__ == "__main__":
    main()
