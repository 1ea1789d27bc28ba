"""Short commands start without the heavy libraries; the schema check needs no Alembic.

Every ``portfolio`` command imports the whole command line, so a library imported at
the top of any command module delays ``portfolio --version`` and the cron jobs' short
commands. Each command runs in a fresh interpreter here, which then lists the heavy
libraries it has loaded. No timings: the machines are shared and noisy.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import subprocess
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from process_support import last_said, run_python

from portfolio.cli import app as cli_app
from portfolio.storage.db import make_engine
from portfolio.storage.schema import (
    alembic_config,
    current_revision,
    head_revision,
    open_database,
    scanned_head,
)

HEAVY = ("matplotlib", "numpy", "argon2", "icalendar", "jinja2", "fastapi",
         "starlette", "uvicorn", "weasyprint", "docxtpl", "docx", "pandas",
         "openpyxl", "xlsxwriter", "alembic", "apscheduler")  # fmt: skip
RUN_AND_LIST = """
import sys
from portfolio.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("loaded:", heavy, file=sys.stderr)
"""


def _loaded_by(*args: str, cwd: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    done = run_python(RUN_AND_LIST.format(heavy=HEAVY), *args, cwd=cwd, env=env)
    loaded: list[str] = ast.literal_eval(last_said(done, "loaded: "))
    return loaded


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (nothing loaded yet); it must succeed."""
    return run_python(code, cwd=cwd, check=True)


def test_importing_the_command_line_loads_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import sys, portfolio.cli.app, portfolio.cli; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _python(code, tmp_path).stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["report", "--help"]])
def test_version_and_help_load_no_heavy_library(
    tmp_path: Path, args: list[str]
) -> None:
    assert _loaded_by(*args, cwd=tmp_path) == []


def test_a_short_command_on_an_existing_database_loads_no_heavy_library(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'portfolio.db'}"
    open_database(url).dispose()  # creating a database is Alembic's job (stamp)
    for args in (["programmes"], ["deadlines"], ["reminders"], ["db", "status"]):
        assert _loaded_by("--db", url, *args, cwd=tmp_path) == [], args


def _modules_of(command: click.Command) -> set[str]:
    """The modules whose functions make up a command and its subcommands."""
    modules = {command.callback.__module__} if command.callback else set()
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            modules |= _modules_of(sub)
    return modules


def test_the_lazy_command_table_names_every_command_and_its_modules() -> None:
    """A command the table forgets would be missing; a module it forgets, a
    subcommand (``report nachweis`` lives in its own module)."""
    folder = Path(cli_app.__file__).parent
    for module in pkgutil.iter_modules([str(folder)]):
        importlib.import_module(f"portfolio.cli.{module.name}")
    assert set(cli_app.main.commands) == set(cli_app.COMMAND_MODULES)
    for name, command in cli_app.main.commands.items():
        assert _modules_of(command) <= set(cli_app.COMMAND_MODULES[name]), name


def test_a_command_loads_only_its_own_area(tmp_path: Path) -> None:
    """``portfolio import`` starts without the web server and documents code."""
    code = (
        "import sys\n"
        "from portfolio.cli import main\n"
        "try:\n    main(['import', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('portfolio.cli.')),"
        " file=sys.stderr)"
    )
    done = _python(code, tmp_path)
    loaded = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    assert "Excel-/CSV-Tabellen importieren" in done.stdout
    assert "portfolio.cli.imports" in loaded
    for other in ("web", "documents", "backup", "admin", "reports"):
        assert f"portfolio.cli.{other}" not in loaded, other


def test_the_scanned_head_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert scanned_head() is not None
    assert scanned_head() == script.get_current_head() == head_revision()


def _migration(folder: Path, revision: str, down: str, extra: str = "") -> None:
    (folder / f"{revision}.py").write_text(
        f'"""A migration."""\nimport sqlalchemy as sa\n\nrevision = {revision!r}\n'
        f"down_revision: str | None = {down}\n{extra}\n\n"
        "def upgrade() -> None:\n    pass\n"
    )


def test_the_scan_reads_plain_files_and_leaves_the_rest_to_alembic(
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    _migration(plain, "a1", "None", "branch_labels = None\ndepends_on = None")
    _migration(plain, "b2", "'a1'")
    _migration(plain, "c3", "('b2',)")
    assert scanned_head(plain) == "c3"

    two_heads = tmp_path / "two_heads"
    two_heads.mkdir()
    _migration(two_heads, "a1", "None")
    _migration(two_heads, "b2", "'a1'")
    _migration(two_heads, "c3", "'a1'")
    assert scanned_head(two_heads) is None

    for name, extra in (
        ("depends", "depends_on = 'x9'"),
        ("labelled", "branch_labels = ('feature',)"),
        ("computed", "revision = 'b' + '2'"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        _migration(folder, "a1", "None")
        _migration(folder, "b2", "'a1'", extra)
        assert scanned_head(folder) is None, name


def test_current_revision_reads_what_alembic_reads(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None  # empty database
        engine.dispose()
        open_database(db_url).dispose()
        with engine.connect() as connection:
            alembic_says = MigrationContext.configure(connection).get_current_revision()
        assert alembic_says is not None
        assert current_revision(engine) == alembic_says == head_revision()
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM alembic_version"))
        assert current_revision(engine) is None
    finally:
        engine.dispose()
