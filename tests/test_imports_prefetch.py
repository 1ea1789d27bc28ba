"""Reading ahead: ``portfolio import`` parses its files while its libraries load.

What the second thread hands over must be exactly what the reading would have
made itself, and never a file's older content; a command line that is no plain
import starts nothing. The option tables the early look at the command line
uses must match the commands.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from openpyxl import Workbook
from process_support import last_said, run_python

from imports import prefetch
from imports.readers import DEFAULT_MAX_BYTES
from imports.reading import ReadOptions, read_file
from portfolio.cli import app as cli_app
from portfolio.cli.early import IMPORT_VALUES, MAIN_VALUES, import_files
from portfolio.domain.errors import InputError

DATA = Path(__file__).parent / "data" / "imports"
SAMPLES = [
    "uebersicht.xlsx",
    "fristen.xlsx",
    "fristen_mac1904.xlsx",
    "kontakte.ods",
    "fristen_cp1252.csv",
    "finanzplan.xlsx",
]


def _formulas(tmp_path: Path) -> Path:
    """A workbook with a hidden column, a formula without a value and a sum row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Programm", "Fördergeber", "Fördersumme", "geheim"])
    sheet.append(["KAoA", "MAIS NRW", "=1+1", "x"])
    sheet.append(["Zukunftsstadt", "BMBF", 1000, "y"])
    sheet.append(["Summe", None, "=SUM(C2:C3)"])
    sheet.column_dimensions["D"].hidden = True
    hidden = book.create_sheet("alt")
    hidden.append(["Programm", "Fördersumme"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "formeln.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("name", SAMPLES)
def test_a_file_read_ahead_reads_as_without(name: str) -> None:
    path = DATA / name
    plain = read_file(path)
    prefetch.start([path])
    ahead = read_file(path)
    assert ahead == plain
    assert prefetch.take(path) is None  # taken once; nothing left behind


def test_hidden_columns_sheets_and_formulas_read_ahead_as_without(
    tmp_path: Path,
) -> None:
    path = _formulas(tmp_path)
    plain = read_file(path)
    prefetch.start([path])
    workbook = prefetch.take(path)
    assert workbook is not None
    assert [s.name for s in workbook.sheets if s.calamine is not None] == ["Sheet"]
    workbook.close()
    prefetch.start([path])
    ahead = read_file(path)
    assert ahead == plain
    assert ahead.sheets[0].rejected[0].column == "C (Fördersumme)"


def test_a_file_changed_after_the_start_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / "liste.xlsx"
    path.write_bytes((DATA / "fristen.xlsx").read_bytes())
    prefetch.start([path])
    path.write_bytes((DATA / "uebersicht.xlsx").read_bytes())
    os.utime(path, ns=(1, 1))  # another time even where clocks are coarse
    result = read_file(path)
    expected = read_file(DATA / "uebersicht.xlsx")
    assert result.sha256 == expected.sha256
    assert [s.kind for s in result.sheets] == [s.kind for s in expected.sheets]
    assert [[r.values for r in s.records] for s in result.sheets] == [
        [r.values for r in s.records] for s in expected.sheets
    ]


def test_stricter_limits_refuse_as_without(tmp_path: Path) -> None:
    path = DATA / "fristen.xlsx"
    small = ReadOptions(max_bytes=1000)
    with pytest.raises(InputError) as plain:
        read_file(path, small)
    prefetch.start([path])
    with pytest.raises(InputError) as ahead:
        read_file(path, small)
    assert str(ahead.value) == str(plain.value)
    assert "größer als erlaubt" in str(ahead.value)


def test_a_refused_file_is_refused_with_the_readings_own_words(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError) as plain:
        read_file(path)
    prefetch.start([path])
    with pytest.raises(InputError) as ahead:
        read_file(path)
    assert str(ahead.value) == str(plain.value)


def test_a_missing_file_starts_nothing(tmp_path: Path) -> None:
    prefetch.start([tmp_path / "fehlt.xlsx", tmp_path])
    assert prefetch.take(tmp_path / "fehlt.xlsx") is None
    assert prefetch.take(tmp_path, DEFAULT_MAX_BYTES) is None


@pytest.mark.parametrize(
    ("argv", "files"),
    [
        (["import", "a.xlsx"], ["a.xlsx"]),
        (
            ["--db", "x.db", "import", "a.xlsx", "--sheet", "b.xlsx", "c.ods"],
            ["a.xlsx", "c.ods"],
        ),
        (["--config=p.toml", "import", "--yes", "a.xlsx", "-y"], ["a.xlsx"]),
        (["import", "--map", "Summe=E", "a.xlsx", "--format", "json"], ["a.xlsx"]),
        (["import", "--", "-seltsam.xlsx"], ["-seltsam.xlsx"]),
        (["--db", "import", "programmes"], []),
        (["programmes", "import"], []),
        (["import", "a.xlsx", "--help"], []),
        (["-h", "import", "a.xlsx"], []),
        (["imports", "undo", "3"], []),
        ([], []),
    ],
)
def test_the_files_of_an_import_command_line(argv: list[str], files: list[str]) -> None:
    assert import_files(argv) == [Path(name) for name in files]


def _valued(command: click.Command) -> set[str]:
    """The names of a command's options that take the next word as value."""
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and param.nargs == 1:
            names.update(param.opts + param.secondary_opts)
    return names


def test_the_option_tables_match_the_commands() -> None:
    """An option added to ``import`` that takes a value must be known early,
    or its value would be taken for a file (a parse for nothing)."""
    main = cli_app.main
    command = main.get_command(click.Context(main), "import")
    assert command is not None
    assert _valued(main) == MAIN_VALUES
    assert _valued(command) == IMPORT_VALUES


TAKEN = """
import sys
from imports import prefetch
taken = []
original = prefetch.take
def take(*args, **kwargs):
    workbook = original(*args, **kwargs)
    taken.append(workbook is not None)
    return workbook
prefetch.take = take
import imports.reading
imports.reading.take = take
sys.argv = ["portfolio", *sys.argv[1:]]
from portfolio.cli import run
try:
    run()
finally:
    print("taken:", taken, file=sys.stderr)
"""


def test_the_portfolio_program_reads_an_import_ahead(tmp_path: Path) -> None:
    """The program as a person starts it: the file opened ahead is the one read."""
    db = f"sqlite:///{tmp_path / 'portfolio.db'}"
    sheet = str(DATA / "uebersicht.xlsx")
    done = run_python(TAKEN, "--db", db, "import", sheet, "--yes", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Übernommen" in done.stdout or "neu" in done.stdout
    assert last_said(done, "taken: ") == "[True]"


ENDS_WHILE_PARSING = """
import sys, threading
from pathlib import Path
from imports import prefetch
prefetch.start([Path(sys.argv[1])])
busy = [t for t in threading.enumerate() if t is not threading.main_thread()]
print("parsing:", bool(busy) and busy[0].is_alive(), flush=True)
sys.exit(0)
"""


def test_a_command_that_ends_while_the_parse_runs_ends_cleanly(
    tmp_path: Path,
) -> None:
    """A recognised re-import ends long before a big file's parse: the process
    must still end at once, with its own exit code and nothing on stderr."""
    import xlsxwriter

    path = tmp_path / "gross.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Fristen")
    sheet.write_row(0, 0, ["Programm", "Was?", "fällig am"])
    for row in range(1, 60_000):
        sheet.write_row(row, 0, [f"Programm {row % 97}", f"Bericht {row}", 45000 + row])
    book.close()
    for _ in range(3):
        done = run_python(ENDS_WHILE_PARSING, str(path))
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout.startswith("parsing: True")
