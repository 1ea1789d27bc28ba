"""Document commands: ``attach`` and ``documents list|search|check|get|delete…``.

Thin: read the files named, call ``portfolio.services.edit_documents`` or the
queries of ``portfolio.services.documents``, print German tables. A file that is
refused (too large, a type portfolio does not keep, a zip bomb, HTML with a .pdf
name) is named with the reason while the others are attached: exit 1 then, exit 2
when nothing could be attached. ``check`` exits 1 when a file is missing or altered.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from portfolio.cli.app import CliContext, ask_yes, main, parse_day, pass_cli
from portfolio.cli.files import os_reason, write_atomically
from portfolio.cli.render import console, table
from portfolio.domain.documents import DOCUMENT_KIND_LABELS, DocumentKind
from portfolio.domain.errors import InputError, NotFound
from portfolio.domain.periods import format_date
from portfolio.services import clock
from portfolio.services import documents as queries
from portfolio.services import edit_documents as service
from portfolio.services.document_store import DocumentStore, default_dir
from portfolio.storage.fulltext import MARK_END, MARK_START

KINDS = [k.value for k in DocumentKind]


def store_of(cli: CliContext) -> DocumentStore:
    """The documents folder of this configuration."""
    return DocumentStore(
        default_dir(cli.settings.database_url, cli.settings.get("documents.dir"))
    )


def limits_of(cli: CliContext) -> service.Limits:
    """The upload limits of this configuration."""
    return service.Limits(int(cli.settings.get("documents.max_file_mb")) * 2**20)


def size_text(size: int) -> str:
    """A file size as people read it (KB below a megabyte)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 2**20:.1f} MB".replace(".", ",")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"Die Datei {str(path)!r} gibt es nicht.") from None
    except OSError as exc:
        raise InputError(
            f"Die Datei {str(path)!r} lässt sich nicht lesen: {os_reason(exc)}."
        ) from None


@main.command()
@click.argument("key", metavar="SCHLÜSSEL")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="DATEI…"
)
@click.option(
    "--application",
    "application_id",
    type=int,
    metavar="NR",
    help="Zu diesem Antrag (Nr.).",
)
@click.option(
    "--award",
    metavar="NR|ZEICHEN",
    help="Zu dieser Bewilligung (Nr. oder Förderkennzeichen).",
)
@click.option(
    "--deadline",
    "obligation_id",
    type=int,
    metavar="NR",
    help="Zu dieser Frist (Nr. wie in `portfolio deadlines`).",
)
@click.option(
    "--version-of",
    "version_of",
    type=int,
    metavar="DOK",
    help="Neue Version des Dokuments Nr. DOK (ältere bleiben erhalten).",
)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    metavar="ART",
    help="Art: " + ", ".join(KINDS) + " (Standard: sonstiges).",
)
@click.option("--title", metavar="TITEL", help="Titel (Standard: Dateiname).")
@click.option(
    "--date",
    "date_text",
    metavar="DATUM",
    help="Datum des Dokuments, z. B. 15.03.2017.",
)
@pass_cli
def attach(  # noqa: PLR0917 - one parameter per option
    cli: CliContext,
    key: str,
    files: tuple[Path, ...],
    application_id: int | None,
    award: str | None,
    obligation_id: int | None,
    version_of: int | None,
    kind: str | None,
    title: str | None,
    date_text: str | None,
) -> None:
    """Dokumente (Bescheid, Vertrag, Nachweis …) an ein Programm anhängen."""
    spec = service.make_input(
        programme=key,
        kind=kind,
        title=title if len(files) == 1 else None,
        doc_date=parse_day(date_text, "--date"),
        application_id=application_id,
        award_id=int(award) if award and award.isdigit() else None,
        award_reference=award if award and not award.isdigit() else None,
        obligation_id=obligation_id,
        version_of=version_of,
    )
    store, limits = store_of(cli), limits_of(cli)
    refused: list[str] = []
    lines: list[str] = []
    with cli.session() as session:
        for path in files:
            try:
                done = service.create(
                    session, store, _read(path), path.name, spec,
                    who=cli.who, limits=limits,
                )  # fmt: skip
            except InputError as exc:
                if isinstance(exc, NotFound):
                    raise
                refused.append(exc.message)
                continue
            lines.append(_attached_line(done))
    for line in lines:
        click.echo(line)
    for message in refused:
        click.echo(f"Nicht angehängt: {message}", err=True)
    if refused:
        raise SystemExit(2 if not lines else 1)


def attach_to_deadline(
    cli: CliContext, session: Session, key: str, deadline: int, files: tuple[Path, ...]
) -> list[str]:
    """Attach files to a deadline in the caller's unit of work (all or nothing)."""
    if not files:
        return []
    spec = service.make_input(
        programme=key, kind=DocumentKind.NACHWEIS, obligation_id=deadline
    )
    store, limits = store_of(cli), limits_of(cli)
    lines = []
    for path in files:
        done = service.create(
            session, store, _read(path), path.name, spec, who=cli.who, limits=limits
        )
        lines.append(_attached_line(done))
    return lines


def _attached_line(done: service.Attached) -> str:
    document = done.document
    if done.same_as is not None:
        return (
            f"Schon vorhanden: {service.describe(document)} – dieselbe Datei ist hier "
            "bereits angehängt, nichts hinzugefügt."
        )
    extra = " (Inhalt war schon gespeichert, nicht doppelt abgelegt)"
    text = (
        f"Angehängt: {service.describe(document)}, "
        f"{size_text(document.size)}"
        f"{extra if done.stored_before else ''}."
    )
    if done.warning:
        text += f" Hinweis: {done.warning}."
    return text


@main.group()
def documents() -> None:
    """Dokumente: auflisten, im Volltext suchen, Dateien prüfen, Aufbewahrung."""


@documents.command("list")
@click.argument("key", metavar="SCHLÜSSEL")
@pass_cli
def list_documents(cli: CliContext, key: str) -> None:
    """Die Dokumente eines Programms (neueste Version zuerst)."""
    with cli.session(read_only=True) as session:
        series = queries.series_of_programme(session, key)
    rows = []
    for group in series:
        for index, row in enumerate(group.versions):
            d = row.document
            version = (
                "" if len(group.versions) == 1 else (f"V{len(group.versions) - index}")
            )
            rows.append((
                str(d.id), DOCUMENT_KIND_LABELS[d.kind], format_date(d.doc_date)
                if d.doc_date else "–", ("  ↳ " if index else "") + d.title,
                version, d.file_name, size_text(d.size),
                " · ".join(x for x in (row.award, row.deadline) if x) or "–",
                format_date(row.keep_until) if row.keep_until else "–",
            ))  # fmt: skip
    out = console()
    if not rows:
        out.print(f"Zu {key} sind keine Dokumente abgelegt (`portfolio attach`).")
        return
    out.print(table(
        f"Dokumente {key} ({len(rows)})",
        ["Nr.", "Art", "Datum", "Titel", "Version", "Datei", "Größe", "zu",
         "aufbewahren bis"],
        rows,
    ))  # fmt: skip


def plain_snippet(snippet: str) -> str:
    """A snippet for the terminal: matched words in »…«, one line."""
    text = snippet.replace(MARK_START, "»").replace(MARK_END, "«")
    return " ".join(text.split())


@documents.command("search")
@click.argument("words", nargs=-1, required=True, metavar="TEXT…")
@click.option(
    "--limit",
    type=int,
    default=20,
    show_default=True,
    help="Höchstens so viele Treffer.",
)
@pass_cli
def search_documents(cli: CliContext, words: tuple[str, ...], limit: int) -> None:
    """Volltextsuche in allen Dokumenten (PDF, Word, Excel, E-Mails …)."""
    text = " ".join(words)
    with cli.session(read_only=True) as session:
        hits = queries.search(session, text, limit)
    out = console()
    if not hits:
        out.print(f"Kein Dokument enthält „{text}“.")
        return
    out.print(table(
        f"Treffer für „{text}“ ({len(hits)})",
        ["Nr.", "Programm", "Bewilligung / Frist", "Dokument", "Fundstelle"],
        (
            (
                str(h.row.document.id), h.row.programme_key,
                " · ".join(x for x in (h.row.award, h.row.deadline) if x) or "–",
                f"{DOCUMENT_KIND_LABELS[h.row.document.kind]}: "
                f"{h.row.document.title}", plain_snippet(h.snippet),
            )
            for h in hits
        ),
    ))  # fmt: skip


@documents.command("check")
@pass_cli
def check_documents(cli: CliContext) -> None:
    """Alle abgelegten Dateien prüfen: fehlende und veränderte melden (Exit 1)."""
    store = store_of(cli)
    with cli.session(read_only=True) as session:
        problems = queries.check(session, store)
        total = queries.count(session)
        unused = queries.unused_files(session, store)
    if unused:
        click.echo(
            f"Hinweis: {len(unused)} Datei(en) im Dokumentenordner gehören zu keinem "
            "Dokument mehr (etwa nach dem Löschen eines Programms)."
        )
    if not problems:
        click.echo(
            f"Alle {total} Dokumente sind vollständig und unverändert ({store.root})."
        )
        return
    words = {"missing": "fehlt", "altered": "verändert (Prüfsumme stimmt nicht)"}
    for problem in problems:
        for document in problem.documents:
            click.echo(
                f"{service.describe(document)}: Datei {words[problem.state]} – "
                f"{store.path(problem.sha256)}"
            )
    click.echo(
        f"{len(problems)} Datei(en) fehlen oder sind verändert – aus der Sicherung "
        "zurückholen (`portfolio restore`).",
        err=True,
    )
    raise SystemExit(1)


@documents.command("due-for-deletion")
@click.option(
    "--today",
    "today_text",
    metavar="DATUM",
    help="Stichtag (Standard: heute bzw. der Stichtag der Datenbank).",
)
@pass_cli
def due_documents(cli: CliContext, today_text: str | None) -> None:
    """Dokumente, deren Aufbewahrungsfrist abgelaufen ist."""
    with cli.session(read_only=True) as session:
        today = parse_day(today_text, "--today") or clock.today(
            session, cli.settings.get("office.timezone")
        )
        rows = queries.due_for_deletion(session, today)
    out = console()
    if not rows:
        out.print(f"Am {format_date(today)} ist kein Dokument zur Löschung fällig.")
        return
    out.print(table(
        f"Zur Löschung fällig am {format_date(today)} ({len(rows)})",
        ["Nr.", "Programm", "Bewilligung", "Dokument", "aufbewahren bis"],
        (
            (str(r.document.id), r.programme_key, r.award or "–",
             service.describe(r.document),
             format_date(r.keep_until) if r.keep_until else "–")
            for r in rows
        ),
    ))  # fmt: skip
    out.print("Löschen (nur Verwaltung): `portfolio documents delete NR`.")


@documents.command("get")
@click.argument("document_id", type=int, metavar="NR")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="Zieldatei (Standard: der ursprüngliche Name).",
)
@pass_cli
def get_document(cli: CliContext, document_id: int, output: Path | None) -> None:
    """Die Datei eines Dokuments speichern (Prüfsumme wird geprüft)."""
    with cli.session(read_only=True) as session:
        document = service.get(session, document_id)
        data = store_of(cli).read(document.sha256, service.describe(document))
    target = output or Path(document.file_name)
    write_atomically(target, data)
    click.echo(f"Gespeichert: {target} ({size_text(len(data))}).")


@documents.command("delete")
@click.argument("document_id", type=int, metavar="NR")
@click.option("--yes", is_flag=True, help="Ohne Rückfrage löschen.")
@pass_cli
def delete_document(cli: CliContext, document_id: int, yes: bool) -> None:
    """Ein Dokument löschen (steht danach im Änderungsprotokoll)."""
    store = store_of(cli)
    with cli.session() as session:
        document = service.get(session, document_id)
        shown = service.describe(document)
        if not yes and not ask_yes(
            f"{shown} endgültig löschen?",
            without="Ohne Rückfrage löschen mit --yes.",
        ):
            click.echo("Nicht gelöscht.")
            return
        service.delete(session, store, document_id)
    click.echo(f"Gelöscht: {shown}. Das Änderungsprotokoll verzeichnet es.")
