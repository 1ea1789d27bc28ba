"""A small picture of a PDF's first page, made once and kept beside the files.

``pdftoppm`` (poppler-utils) renders the page when it is installed, else pypdfium2
when that is; without either there is no picture and the pages show the file's
name only. The picture is cached as ``.thumbs/<sha256>.png`` in the documents
folder; the PDF is read through the store, so an altered file gets no picture.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from portfolio.services import document_types as types
from portfolio.services.document_store import DocumentStore, IntegrityProblem

WIDTH = 240
TIMEOUT_SECONDS = 30


def thumbnail(store: DocumentStore, sha256: str, media_type: str) -> bytes | None:
    """The PNG of the first page of a PDF (None when it cannot be made)."""
    if media_type != types.PDF:
        return None
    cached = store.root / ".thumbs" / f"{store.path(sha256).name}.png"
    if cached.is_file():
        return cached.read_bytes()
    try:
        data = store.read(sha256)
    except IntegrityProblem:
        return None
    picture = _with_pdftoppm(data) or _with_pdfium(data)
    if picture is None:
        return None
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_bytes(picture)
        temporary.replace(cached)
    return picture


def _with_pdftoppm(data: bytes) -> bytes | None:
    program = shutil.which("pdftoppm")
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="portfolio-thumb-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        target = Path(folder) / "page"
        try:
            subprocess.run(  # noqa: S603 - fixed program, our own temporary files
                [program, "-png", "-f", "1", "-l", "1", "-singlefile",
                 "-scale-to", str(WIDTH), str(source), str(target)],
                check=True, capture_output=True, timeout=TIMEOUT_SECONDS,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError):
            return None
        result = target.with_suffix(".png")
        return result.read_bytes() if result.is_file() else None


def _with_pdfium(data: bytes) -> bytes | None:
    try:
        import pypdfium2  # type: ignore[import-not-found]
    except ImportError:
        return None
    import io

    try:
        pdf = pypdfium2.PdfDocument(data)
        page = pdf[0]
        scale = WIDTH / max(1.0, float(page.get_width()))
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()
    except Exception:
        return None
