"""``portfolio backup [DATEI]`` and the archive half of ``portfolio restore``.

The backup runs beside a working server (SQLite: online backup API; PostgreSQL:
one repeatable-read snapshot). See ``portfolio.services.backup`` for the parts.
The documents' files go in too; a file missing or altered on disk is named and the
backup exits 1 (the archive is still written). A restore puts the files back into
the configured documents folder first, each checked against its hash.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import click

from portfolio.cli.app import CliContext, main, pass_cli
from portfolio.cli.documents import size_text, store_of
from portfolio.domain.errors import InputError
from portfolio.services import audit
from portfolio.services.backup import (
    SQLITE_PART,
    read_manifest,
    restore_archive,
    restore_document_files,
    sqlite_database,
    write_backup,
)
from portfolio.storage.db import parse_url, session_scope
from portfolio.storage.schema import open_database


@main.command("backup")
@click.argument(
    "file", required=False, type=click.Path(dir_okay=False, path_type=Path),
    metavar="[DATEI]",
)  # fmt: skip
@pass_cli
def backup(cli: CliContext, file: Path | None) -> None:
    """Sicherung als eine ZIP-Datei, auch während der Server läuft."""
    target = file or Path(f"portfolio-sicherung-{datetime.now():%Y-%m-%d-%H%M}.zip")
    if not target.parent.is_dir():
        raise InputError(f"Den Ordner {str(target.parent)!r} gibt es nicht.")
    info = write_backup(cli.engine, target, store_of(cli))
    with cli.session() as session:
        audit.record(session, "backup_made", target=target.name)
    counts = ", ".join(f"{v} {k}" for k, v in info.counts.items())
    click.echo(f"Sicherung geschrieben: {target} ({info.kind}; {counts}).")
    report = info.files
    click.echo(
        f"Dokumentdateien: {report.files} ({size_text(report.size)}) aus "
        f"{store_of(cli).root}."
    )
    if report.problems:
        for sha in report.missing:
            click.echo(f"Datei fehlt im Dokumentenordner: {sha}", err=True)
        for sha in report.altered:
            click.echo(
                f"Datei verändert (Prüfsumme stimmt nicht): {sha} – in der Sicherung "
                "so wie sie ist, beim Einspielen wird sie abgelehnt",
                err=True,
            )
        click.echo(
            f"{report.problems} Dokumentdatei(en) fehlen oder sind verändert – "
            "`portfolio documents check` zeigt, zu welchen Dokumenten.",
            err=True,
        )
        raise SystemExit(1)


def _restore_files(cli: CliContext, file: Path) -> int:
    """The archive's document files into the configured folder (before the rows)."""
    store = store_of(cli)
    report = restore_document_files(file, store)
    if report.files or report.problems:
        click.echo(
            f"Dokumentdateien zurückgeholt: {report.files} "
            f"({size_text(report.size)}) nach {store.root}."
        )
    for sha in report.altered:
        click.echo(
            f"Datei in der Sicherung beschädigt (Prüfsumme stimmt nicht), nicht "
            f"eingespielt: {sha}",
            err=True,
        )
    return len(report.altered)


def _finish(file: Path, damaged: int) -> None:
    """Name an incomplete backup or damaged files; exit 1 then."""
    with zipfile.ZipFile(file) as archive:
        manifest = read_manifest(archive, file.name)
    listed = manifest.get("documents") or {}
    if listed.get("missing") or listed.get("altered") or damaged:
        click.echo(
            "Nicht alle Dokumentdateien sind zurück (beim Sichern fehlend oder "
            "verändert, oder in der Sicherung beschädigt) – `portfolio documents "
            "check` nennt die Dokumente.",
            err=True,
        )
        raise SystemExit(1)


def restore_from_archive(cli: CliContext, file: Path) -> None:
    """Restore a ``portfolio-backup/1`` archive into the configured database."""
    with zipfile.ZipFile(file) as archive:
        manifest = read_manifest(archive, file.name)
        if SQLITE_PART in archive.namelist():
            url = parse_url(cli.settings.database_url)
            if url.get_backend_name() != "sqlite" or not url.database:
                raise InputError(
                    f"{file.name} ist die Sicherung einer SQLite-Datenbank: geben Sie "
                    "mit --db eine neue SQLite-Datei an (sqlite:///NEU.db)."
                )
            target = Path(url.database).expanduser()
            if target.exists() and target.stat().st_size > 0:
                sqlite_database(archive, target)  # refuses, with the message
            damaged = _restore_files(cli, file)
            sqlite_database(archive, target)
            engine = open_database(cli.settings.database_url)
            with session_scope(engine, cli.who) as session:
                audit.record(session, "restored", target=file.name)
            engine.dispose()
            click.echo(
                f"Wiederhergestellt aus {file} (SQLite-Datei vom "
                f"{manifest.get('created_at', '?')[:10]})."
            )
            _finish(file, damaged)
            return
    damaged = _restore_files(cli, file)
    with cli.session() as session:
        counts = restore_archive(session, file, cli.settings.get("paths.regimes"))
    click.echo(
        f"Wiederhergestellt aus {file}: {counts['programmes']} Programme, "
        f"{counts['users']} Benutzer, {counts['reminders']} versandte Erinnerungen, "
        f"{counts['documents']} Dokumente."
    )
    _finish(file, damaged)
