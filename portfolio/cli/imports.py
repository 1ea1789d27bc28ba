"""Import commands: ``portfolio import FILE...`` and ``portfolio imports [undo]``.

``import`` reads the files (format, sheets, header, values: ``imports``), shows what
it will do (new / changed field by field / unchanged / skipped / rejected), asks, and
applies everything in one transaction; ``--dry-run`` only shows, ``--yes`` does not
ask, ``--format json`` prints the preview for machines (stdout holds exactly one JSON
document; what was applied after the question goes to stderr). Without a terminal to
ask and without ``--yes`` nothing is applied (exit 2). Before writing, the plan is
made again inside the write transaction and must match the preview shown. Exit codes
(DESIGN §6): 0 done, 1 done but rows rejected, 2 unusable input. ``imports`` lists
the import history; ``imports undo BATCH`` restores the state before a batch.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa

from imports.mapping import check_fields, parse_map
from imports.profiles import Profile, load_profile
from imports.readers import file_sha256
from imports.reading import ReadOptions, read_file
from portfolio.cli.app import CliContext, ask_yes, main, pass_cli
from portfolio.cli.bookings import booking_files, import_bookings
from portfolio.cli.render import console, table
from portfolio.domain.models import ImportBatch
from portfolio.domain.periods import format_date
from portfolio.domain.records import FileResult, SheetKind
from portfolio.services.collector import collector_off_for_the_process
from portfolio.services.import_apply import Progress, RuleSettings
from portfolio.services.import_preview import (
    counts_line,
    preview_json,
    preview_text,
    repeat_json,
    repeat_text,
    rows_word,
)
from portfolio.services.import_repeat import Repeat
from portfolio.services.import_result import ImportPreview
from portfolio.services.import_undo import undo_batch
from portfolio.services.import_workflow import ImportWorkflow, fingerprint

KINDS = [k.value for k in SheetKind]
T = TypeVar("T")
STATUS = {"applied": "übernommen", "undone": "rückgängig gemacht"}


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal (rows read and planned), else nothing."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed} Zeilen"),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Import")
        yield lambda n: bar.advance(task, n)


def _read(
    paths: tuple[Path, ...],
    options: ReadOptions,
    progress: Progress | None,
) -> list[FileResult]:
    return [read_file(path, options, progress) for path in paths]


@main.command("import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    metavar="DATEI...",
    type=click.Path(path_type=Path, dir_okay=False),
)
@click.option("--sheet", metavar="BLATT", help="Nur dieses Tabellenblatt lesen.")
@click.option("--kind", type=click.Choice(KINDS), help="Art der Tabelle erzwingen.")
@click.option(
    "--programme",
    metavar="SCHLÜSSEL",
    help="Programm für Fristen/Finanzplan ohne Programmspalte.",
)
@click.option("--profile", metavar="NAME", help="Importprofil für besondere Tabellen.")
@click.option("--dry-run", is_flag=True, help="Nur die Vorschau zeigen, nichts ändern.")
@click.option("--yes", "-y", is_flag=True, help="Ohne Rückfrage übernehmen.")
@click.option(
    "--recheck",
    is_flag=True,
    help="Jede Zeile neu vergleichen, auch wenn die Datei seit ihrem letzten "
    "Import unverändert ist und sich die Datenbank seitdem nicht geändert hat.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FELD=SPALTE",
    help="Ein Feld aus einer anderen Spalte lesen: Buchstabe oder Überschrift, "
    "z. B. --map Fördersumme=E oder --map 'Fördersumme=Summe bewilligt'; "
    "FELD=- liest das Feld gar nicht. Mehrfach möglich; die Vorschau zeigt die "
    "Zuordnung.",
)
@click.option(
    "--reopen",
    is_flag=True,
    help="Fristen wieder öffnen, die erst nach dem Stand der Liste (gespeichert "
    "oder zuletzt importiert) als erledigt markiert wurden; ohne diese Option "
    "bleiben sie erledigt und die Vorschau nennt sie als Konflikt.",
)
@click.option(
    "--remove-missing",
    is_flag=True,
    help="Gespeicherte Zeilen löschen, die eine wieder eingelesene portfolio-"
    "Arbeitsmappe (Spalte _id) nicht mehr enthält: Programme mit allem, was "
    "dazugehört, Fristen und Mittelabrufe; aus einem Finanzierungsplan (Blatt "
    "Finanzen) die Planzeilen, die er nicht mehr nennt. Die Vorschau nennt sie; "
    "rückgängig mit dem Import. "
    "Ohne diese Option bleiben sie gespeichert.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Ausgabeformat (Standard: text). json: auf stdout genau ein JSON-Dokument "
    "– mit --yes das Ergebnis (applied, je Datei batch), sonst die Vorschau; was "
    "nach der Rückfrage übernommen wurde, steht auf stderr "
    '(als letzte Zeile {"applied": true, "batches": [NR]}).',
)
@pass_cli
def import_command(  # noqa: PLR0917 - one parameter per option
    cli: CliContext,
    files: tuple[Path, ...],
    sheet: str | None,
    kind: str | None,
    programme: str | None,
    profile: str | None,
    dry_run: bool,
    yes: bool,
    recheck: bool,
    reopen: bool,
    remove_missing: bool,
    maps: tuple[str, ...],
    fmt: str,
) -> int:
    """Excel-/CSV-Tabellen importieren: Vorschau, Rückfrage, alles oder nichts.

    Ohne Terminal für die Rückfrage wird nichts übernommen: dann --yes
    (übernehmen) oder --dry-run (nur ansehen). Exit-Code 0 fertig, 1 fertig mit
    abgelehnten Zeilen, 2 Datei oder Angaben unbrauchbar, 3 interner Fehler.
    """
    if cli.own_process:
        collector_off_for_the_process()
    folder = cli.settings.get("paths.profiles")
    chosen: Profile | None = (
        load_profile(profile, Path(folder) if folder else None) if profile else None
    )
    max_mb = int(cli.settings.get("imports.max_file_mb"))
    mapping = parse_map(maps)
    check_fields(mapping)
    options = ReadOptions(
        sheet=sheet,
        kind=SheetKind(kind) if kind else None,
        profile=chosen,
        max_bytes=max_mb * 1024 * 1024,
        mapping=mapping,
        profiles=Path(folder) if folder else None,
    )
    run = ImportRun(
        cli,
        read_with=options.describe(),
        programme=programme,
        profile=profile,
        fmt=fmt,
        reopen=reopen,
        remove_missing=remove_missing,
    )
    if kind is None and (booked := booking_files(files, options.max_bytes)):
        return import_bookings(cli, booked, dry_run=dry_run, yes=yes, fmt=fmt)
    if not (recheck or reopen or remove_missing) and (repeats := run.repeats(files)):
        _show(repeats, repeat_text, repeat_json, fmt)
        return 0
    with _progress(fmt == "text") as progress:
        results = _read(files, options, progress)
        if yes and not dry_run:
            # Nobody to ask: plan once, inside the write transaction.
            return run.apply(results, progress, shown=None)
        preview = run.preview(results, progress)
    _show(preview, preview_text, preview_json, fmt)
    if dry_run or not preview.has_changes:
        if not dry_run:
            run.remember(preview)
        return preview.exit_code
    if not yes and not ask_yes(
        "Diese Änderungen übernehmen?",
        without="Übernehmen ohne Rückfrage mit --yes, nur ansehen mit --dry-run.",
    ):
        click.echo("Nichts geändert.", err=True)
        return preview.exit_code
    with _progress(fmt == "text") as progress:
        return run.apply(results, progress, shown=preview)


class ImportRun:
    """One ``portfolio import``: the shared workflow on the command line's sessions."""

    def __init__(
        self,
        cli: CliContext,
        *,
        read_with: dict[str, object],
        programme: str | None,
        profile: str | None,
        fmt: str,
        reopen: bool = False,
        remove_missing: bool = False,
    ) -> None:
        """Keep the options every step needs."""
        settings = cli.settings
        self.cli = cli
        self.fmt = fmt
        self.flow = ImportWorkflow(
            read_with=read_with,
            programme=programme,
            profile=profile,
            rules=RuleSettings(
                settings.get("office.state"), settings.get("paths.regimes")
            ),
            reopen=reopen,
            remove_missing=remove_missing,
        )

    def repeats(self, paths: tuple[Path, ...]) -> list[Repeat] | None:
        """The earlier imports the database still matches, if every file has one."""
        files = [(path.name, file_sha256(path)) for path in paths]
        with self.cli.session(read_only=True) as session:
            return self.flow.repeats(session, files)

    def preview(
        self, results: list[FileResult], progress: Progress | None
    ) -> ImportPreview:
        """Plan without writing."""
        with self.cli.session(read_only=True) as session:
            return self.flow.preview(session, results, progress)

    def remember(self, preview: ImportPreview) -> None:
        """A preview found nothing to change: let the next import say so at once."""
        if preview.has_changes or preview.exit_code or preview.log_state is None:
            return
        with self.cli.session() as session:
            self.flow.remember(session, preview)

    def apply(
        self,
        results: list[FileResult],
        progress: Progress | None,
        *,
        shown: ImportPreview | None,
    ) -> int:
        """Plan again and write in one transaction; it must match what was shown."""
        promised = fingerprint(shown) if shown is not None else None
        with self.cli.session() as session:
            applied = self.flow.apply(session, results, progress, shown=promised)
        if shown is None:
            _show(applied, preview_text, preview_json, self.fmt)
            if not applied.has_changes:
                return applied.exit_code
        self._say_applied(applied, shown=shown is not None)
        return applied.exit_code

    def _say_applied(self, applied: ImportPreview, *, shown: bool) -> None:
        """Name the new import batches and how to undo them.

        Text after ``--yes``: the preview just printed says it per file already.
        JSON: stdout keeps its one document; after a question the batches go to
        stderr, with the German sentence, as one JSON line for machines.
        """
        batches = [(f.result.file, f.batch_id) for f in applied.files if f.batch_id]
        if not batches or (self.fmt == "text" and not shown):
            return
        if len(batches) == 1:
            number = batches[0][1]
            message = (
                f"Übernommen als Import {number} "
                f"(rückgängig: portfolio imports undo {number})."
            )
        else:
            named = ", ".join(f"{file} als Import {number}" for file, number in batches)
            undo = "; ".join(
                f"portfolio imports undo {number}" for _, number in reversed(batches)
            )
            message = f"Übernommen: {named} (rückgängig, den neuesten zuerst: {undo})."
        click.echo(message, err=self.fmt == "json")
        if self.fmt == "json" and shown:
            document = {"applied": True, "batches": [number for _, number in batches]}
            click.echo(json.dumps(document), err=True)


def _show(
    what: T,
    text: Callable[[T], str],
    document: Callable[[T], dict[str, Any]],
    fmt: str,
) -> None:
    """Print one rendering only: the JSON of a big import lists every row."""
    if fmt == "json":
        click.echo(json.dumps(document(what), ensure_ascii=False, indent=2))
    else:
        click.echo(text(what), nl=False)


@main.group("imports", invoke_without_command=True)
@click.pass_context
def imports_group(ctx: click.Context) -> None:
    """Bisherige Importe anzeigen; einen Import rückgängig machen."""
    if ctx.invoked_subcommand is not None:
        return
    cli = ctx.find_object(CliContext)
    assert cli is not None
    with cli.session(read_only=True) as session:
        batches = list(session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id)))
        rows = [
            (
                str(b.id),
                format_date(b.created_at.date()),
                b.file_name,
                ", ".join(b.sheets),
                counts_line(b.counts) if b.counts else "",
                STATUS.get(b.status.value, b.status.value),
                b.who,
            )
            for b in batches
        ]
    if not rows:
        click.echo("Noch keine Importe.")
        return
    headers = ["Nr.", "Datum", "Datei", "Blätter", "Zeilen", "Status", "Wer"]
    console().print(table("Importe", headers, rows))


@imports_group.command("undo")
@click.argument("batch", type=int, metavar="NR")
@pass_cli
def undo_command(cli: CliContext, batch: int) -> None:
    """Einen Import rückgängig machen (Stand davor wiederherstellen)."""
    with cli.session() as session:
        result = undo_batch(session, batch)
    click.echo(
        f"Import {result.batch_id} ({result.file_name}) rückgängig gemacht: "
        f"{rows_word(result.deleted)} entfernt, {result.restored} wiederhergestellt."
    )
