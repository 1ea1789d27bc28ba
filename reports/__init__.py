"""Reports: the portfolio workbook, the yearly funder reports and the portfolio report.

Datasets are built from storage queries (``reports.datasets``), then rendered to
xlsx (``reports.workbook``), html and pdf (Jinja2 + WeasyPrint), docx (docxtpl) or
the report's numbers as xlsx (``reports.render``). The doors (CLI, web, scheduler)
call only the two functions re-exported here and pass plain values, never settings.
"""

from __future__ import annotations

from reports.options import ReportOptions
from reports.render import FORMATS, KINDS, render_report, report_filename
from reports.workbook import build_workbook

__all__ = [
    "FORMATS",
    "KINDS",
    "ReportOptions",
    "build_workbook",
    "render_report",
    "report_filename",
]
