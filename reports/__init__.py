"""Reports: the portfolio workbook, the yearly funder reports and the portfolio report.

Datasets are built from storage queries (``reports.datasets``), then rendered to
xlsx (``reports.workbook``), html and pdf (Jinja2 + WeasyPrint), docx (docxtpl) or
the report's numbers as xlsx (``reports.render``). The doors (CLI, web, scheduler)
call only the functions re-exported here: ``build_workbook(session, today, year)``
and ``render_report(session, kind, subject, year, fmt, settings)`` return bytes;
``report_filename`` and ``MEDIA_TYPES`` name and type a download.
"""

from __future__ import annotations

from reports.options import ReportOptions
from reports.render import (
    FORMATS,
    KINDS,
    MEDIA_TYPES,
    render_report,
    report_filename,
)
from reports.workbook import build_workbook

__all__ = [
    "FORMATS",
    "KINDS",
    "MEDIA_TYPES",
    "ReportOptions",
    "build_workbook",
    "render_report",
    "report_filename",
]
