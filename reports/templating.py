"""Finding and filling templates: the office's folder first, then the shipped ones.

Report templates (``funder_report.html``, ``funder_report.docx``, ``report.css`` …)
ship in ``reports/templates/``; a file of the same name in the folder named by
``paths.templates`` wins, so an office can restyle the Word template or the print CSS
without touching the installation.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)

from portfolio.domain.errors import InputError

BUILTIN = Path(__file__).resolve().parent / "templates"


def template_path(name: str, override: Path | None) -> Path:
    """The file to use for a template name (override folder first)."""
    if override is not None and (override / name).is_file():
        return override / name
    path = BUILTIN / name
    if not path.is_file():
        raise InputError(f"Die Berichtsvorlage {name!r} fehlt in der Installation.")
    return path


@contextmanager
def office_template_errors(name: str, override: Path | None) -> Iterator[None]:
    """A broken template from the office's folder is their input (exit 2).

    A shipped template that fails is a bug and stays an internal error.
    """
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, _template_failures()):
            raise
        path = template_path(name, override)
        failing = getattr(exc, "filename", None) or str(path)
        if override is None or not str(failing).startswith(str(override)):
            raise
        line = exc.lineno if isinstance(exc, TemplateSyntaxError) else None
        where = f" (Zeile {line})" if line else ""
        raise InputError(
            f"Die eigene Vorlage {failing!r} ist fehlerhaft{where} – korrigieren Sie "
            f"sie oder entfernen Sie sie aus {str(override)!r}, dann gilt die "
            "mitgelieferte."
        ) from exc


def _template_failures() -> tuple[type[Exception], ...]:
    from docx.opc.exceptions import OpcError  # python-docx loads only for docx

    return (TemplateError, OpcError, zipfile.BadZipFile, ValueError, KeyError)


def environment(override: Path | None) -> Environment:
    """A Jinja2 environment for the html templates (autoescaped)."""
    folders = [str(override)] if override is not None else []
    return Environment(
        loader=ChoiceLoader([FileSystemLoader([*folders, str(BUILTIN)])]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(name: str, context: dict[str, Any], override: Path | None) -> str:
    """Fill an html template; the print CSS is inlined so the file stands alone."""
    css = template_path("report.css", override).read_text(encoding="utf-8")
    with office_template_errors(name, override):
        template = environment(override).get_template(name)
        return template.render(css=css, **context)


def html_to_pdf(html: str) -> bytes:
    """Lay out html as an A4 PDF with WeasyPrint."""
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=str(BUILTIN)).write_pdf()
    return bytes(pdf or b"")


def render_docx(
    name: str,
    context: dict[str, Any],
    override: Path | None,
    images: dict[str, bytes] | None = None,
) -> bytes:
    """Fill a Word template with docxtpl; ``images`` become inline PNG pictures."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    values = dict(context)
    with office_template_errors(name, override):
        document = DocxTemplate(str(template_path(name, override)))
        for key, png in (images or {}).items():
            values[key] = InlineImage(document, io.BytesIO(png), width=Mm(160))
        document.render(values, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
