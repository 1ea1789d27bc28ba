"""Documents benchmark (issue 18 "Speed"): attaching PDFs, and the full-text search.

1. Attaching ``--pdfs`` (default 1,000) distinct PDFs of 10 pages each through the
   service the CLI uses (type check, hash, store with fsync, text extraction, rows,
   full-text index; one unit of work like ``portfolio attach KEY FILE…``) is timed
   against extracting their text with pypdf alone in the same run. Goal: ≤ 2×.
   The PDFs are written once by WeasyPrint (a few different texts) and made
   distinct by pypdf (an id in the metadata), so every file has its own hash.
2. A full-text search over ``--docs`` (default 10,000) documents (each with about
   2,000 words of German text; one in fifty says "Zwischennachweis … 31.03.") is timed
   as the page ``/dokumente?q=…`` against the page ``/fristen`` on the same database
   (median of ``--repeat`` requests after one warm-up). Goal: ≤ 3×.

SQLite always; PostgreSQL too when ``PORTFOLIO_TEST_POSTGRES_URL`` is set (a database
of its own, dropped afterwards).

Run: ``python benchmarks/bench_documents.py [--pdfs N] [--docs M] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from bench_web import build, client  # noqa: E402

from portfolio.domain.models import Document, DocumentText, Programme  # noqa: E402
from portfolio.services import edit_documents  # noqa: E402
from portfolio.services.document_store import DocumentStore  # noqa: E402
from portfolio.storage.db import session_scope  # noqa: E402
from portfolio.storage.schema import open_database  # noqa: E402

WORDS = [
    "Zuwendung",
    "Bewilligung",
    "Haushaltsjahr",
    "Verwendungsnachweis",
    "Sachbericht",
    "Projekt",
    "Bildung",
    "Kreis",
    "Kommune",
    "Schule",
    "Förderung",
    "Maßnahme",
    "Träger",
    "Mittel",
    "Abruf",
    "Ausgaben",
    "Personal",
    "Honorar",
    "Reisekosten",
    "Eigenanteil",
    "Finanzierungsplan",
    "Auflage",
    "Nebenbestimmung",
    "Widerruf",
    "Erstattung",
    "Zinsen",
    "Frist",
    "Termin",
    "Bericht",
    "Erfolgskontrolle",
    "Koordinierung",
    "Netzwerk",
    "Übergang",
    "Beruf",
    "Ausbildung",
    "Integration",
    "Sprache",
    "Kita",
    "Familie",
    "Monitoring",
]


def make_pdfs(folder: Path, count: int) -> list[Path]:
    import weasyprint
    from pypdf import PdfReader, PdfWriter

    rng = random.Random(18)
    bases = []
    for _variant in range(5):
        pages = "".join(
            f"<section style='page-break-after: always'><h1>Seite {n + 1}</h1><p>"
            + " ".join(rng.choice(WORDS) for _ in range(350))
            + (" Der Zwischennachweis ist zum 31.03. vorzulegen." if n == 0 else "")
            + "</p></section>"
            for n in range(10)
        )
        bases.append(
            weasyprint.HTML(string=f"<html><body>{pages}</body></html>").write_pdf()
        )
    paths = []
    for index in range(count):
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bases[index % 5])))
        writer.add_metadata(
            {"/Title": f"Bescheid {index}", "/Subject": uuid.uuid4().hex}
        )
        path = folder / f"bescheid-{index:04d}.pdf"
        with path.open("wb") as handle:
            writer.write(handle)
        paths.append(path)
    return paths


def extract_only(paths: list[Path]) -> float:
    from pypdf import PdfReader

    start = time.perf_counter()
    for path in paths:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        for page in reader.pages:
            page.extract_text()
    return time.perf_counter() - start


def attach_all(url: str, store: DocumentStore, paths: list[Path]) -> float:
    engine = open_database(url)
    spec = edit_documents.make_input(programme="synth-0", kind="bescheid")
    start = time.perf_counter()
    with session_scope(engine, "bench") as session:
        for path in paths:
            edit_documents.create(
                session, store, path.read_bytes(), path.name, spec, who="bench"
            )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def fill_documents(url: str, count: int) -> None:
    """``count`` documents with text (rows only: the search reads no files)."""
    rng = random.Random(7)
    engine = open_database(url)
    with engine.begin() as connection:
        programme_ids = list(connection.scalars(sa.select(Programme.id)))
        start_id = (connection.scalar(sa.select(sa.func.max(Document.id))) or 0) + 1
        now = datetime.now(UTC)
        for chunk in range(0, count, 1000):
            docs, texts = [], []
            for offset in range(chunk, min(count, chunk + 1000)):
                ident = start_id + offset
                words = [rng.choice(WORDS) for _ in range(2000)]
                if offset % 50 == 0:
                    words.insert(300, "Zwischennachweis zum 31.03. des Folgejahres")
                docs.append({
                    "id": ident, "kind": "bescheid", "title": f"Dokument {ident}",
                    "file_name": f"d{ident}.pdf", "media_type": "application/pdf",
                    "size": 1000, "sha256": f"{ident:064x}",
                    "programme_id": programme_ids[offset % len(programme_ids)],
                    "added_by": "bench", "added_at": now,
                })  # fmt: skip
                texts.append({"document_id": ident, "text": " ".join(words)})
            connection.execute(sa.insert(Document.__table__), docs)
            connection.execute(sa.insert(DocumentText.__table__), texts)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE document_texts")
    engine.dispose()


def median_get(http, path: str, repeat: int) -> float:
    answer = http.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        http.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(name: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    build(url, 200)  # bench user, Stichtag, 200 synthetic programmes
    pdfs = make_pdfs(folder, args.pdfs)
    store = DocumentStore(folder / "documents")
    extract = extract_only(pdfs)
    attach = attach_all(url, store, pdfs)
    print(
        f"{name}: {args.pdfs} PDFs à 10 Seiten – nur pypdf-Text {extract:.2f} s, "
        f"anhängen {attach:.2f} s, Verhältnis {attach / extract:.2f} (Ziel ≤ 2)"
    )
    fill_documents(url, args.docs - args.pdfs)
    http = client(url)
    search = median_get(http, "/dokumente?q=Zwischennachweis+31.03.", args.repeat)
    page = median_get(http, "/fristen", args.repeat)
    print(
        f"{name}: Volltextsuche über {args.docs} Dokumente {search * 1000:.0f} ms, "
        f"/fristen {page * 1000:.0f} ms, Verhältnis {search / page:.2f} (Ziel ≤ 3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=1000)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        folder = Path(tmp)
        (folder / "sqlite").mkdir()
        run("SQLite", f"sqlite:///{folder / 'bench.db'}", folder / "sqlite", args)
        admin_url = os.environ.get("PORTFOLIO_TEST_POSTGRES_URL")
        if admin_url:
            run_postgres(admin_url, folder, args)


def run_postgres(admin_url: str, folder: Path, args: argparse.Namespace) -> None:
    from sqlalchemy.engine import make_url

    name = f"bench_documents_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(database=name).render_as_string(False)
        (folder / "pg").mkdir()
        run("PostgreSQL", url, folder / "pg", args)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
