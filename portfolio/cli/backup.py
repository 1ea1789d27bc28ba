"""``portfolio backup [DATEI]`` and the archive half of ``portfolio restore``.

The backup runs beside a working server (SQLite: online backup API; PostgreSQL:
one repeatable-read snapshot). See ``portfolio.services.backup`` for the parts.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import click

from portfolio.cli.app import CliContext, main, pass_cli
from portfolio.domain.errors import InputError
from portfolio.services import audit
from portfolio.services.backup import (
    SQLITE_PART,
    read_manifest,
    restore_archive,
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
    info = write_backup(cli.engine, target)
    with cli.session() as session:
        audit.record(session, "backup_made", target=target.name)
    counts = ", ".join(f"{v} {k}" for k, v in info.counts.items())
    click.echo(f"Sicherung geschrieben: {target} ({info.kind}; {counts}).")


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
            sqlite_database(archive, Path(url.database).expanduser())
            engine = open_database(cli.settings.database_url)
            with session_scope(engine, cli.who) as session:
                audit.record(session, "restored", target=file.name)
            engine.dispose()
            click.echo(
                f"Wiederhergestellt aus {file} (SQLite-Datei vom "
                f"{manifest.get('created_at', '?')[:10]})."
            )
            return
    with cli.session() as session:
        counts = restore_archive(session, file, cli.settings.get("paths.regimes"))
    click.echo(
        f"Wiederhergestellt aus {file}: {counts['programmes']} Programme, "
        f"{counts['users']} Benutzer, {counts['reminders']} versandte Erinnerungen."
    )
