"""The mail that carries a yearly report: German cover text, docx and pdf attached.

The cover text comes from the template ``report_mail.txt`` (overridable like every
report template); the office lead is in copy. The door hands the message to the
reminder engine's transport (``portfolio.notify``), outbox or SMTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from reports.templating import environment

MEDIA = {
    "pdf": ("application", "pdf"),
    "docx": (
        "application",
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "html": ("text", "html"),
}


@dataclass(frozen=True, slots=True)
class Attachment:
    """One file attached to the mail."""

    filename: str
    fmt: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReportMail:
    """Who gets which report, from whom."""

    recipient: str
    cc: Sequence[str]
    sender: str
    message_id: str
    office: str
    title: str
    year: int
    recipient_name: str
    programmes: Sequence[str]
    draft: bool = False


def report_message(
    mail: ReportMail, attachments: Sequence[Attachment], templates: Path | None = None
) -> EmailMessage:
    """Build the message: subject, German cover text, the attachments."""
    env = environment(templates)
    env.autoescape = False
    text = env.get_template("report_mail.txt").render(m=mail)
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = mail.recipient
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    msg["Message-ID"] = mail.message_id
    msg["Date"] = format_datetime(datetime.now(UTC))
    prefix = "Entwurf zur Durchsicht: " if mail.draft else ""
    msg["Subject"] = f"{prefix}{mail.title}"
    msg.set_content(text)
    for item in attachments:
        maintype, subtype = MEDIA[item.fmt]
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=item.filename
        )
    return msg
