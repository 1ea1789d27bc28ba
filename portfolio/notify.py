"""Mail: German messages from Jinja2 templates, and the transports that deliver them.

A reminder mail is multipart (plain text + HTML) with an .ics attachment for the
effective due date; its subject names the programme and the date; its body cites the
legal source and the contents checklist and links to the obligation when a base URL
is configured. Templates live in ``reports/templates/email/`` and can be overridden
from ``<paths.templates>/email/``. Transports: ``outbox`` writes one ``.eml`` file per
message (named after the Message-ID, so a message written twice is one file — the
default, so a fresh install mails no one) and ``smtp`` sends through one connection
per run (STARTTLS or SSL, optional login). A transport failure that concerns the
server (down, refused login) raises ``TransportDown``; one that concerns a single
message raises ``MessageRejected``. Jinja2 is imported when a message is first
built: a reminder run with nothing due does not need it. The calendar part of a
reminder is written directly (``ics_for``), without the icalendar library.
"""

from __future__ import annotations

import base64
import errno
import importlib.util
import smtplib
import socket
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import (
    format_datetime,
    formataddr,
    getaddresses,
    make_msgid,
    parseaddr,
)
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self
from zoneinfo import ZoneInfo

from portfolio.domain.deadlines import format_de, weekday_de
from portfolio.domain.errors import InputError
from portfolio.domain.reminders import Digest, due_text, stage_label

if TYPE_CHECKING:
    from jinja2 import Environment


class _PrefoldedPolicy(Compat32):
    """compat32, but ASCII headers are written as they are.

    Headers are encoded (RFC 2047) and folded once when the message is built;
    re-folding every header of every message in the generator was most of the cost
    of a run of thousands of mails.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if isinstance(value, str) and value.isascii():
            if self.linesep != "\n":
                value = value.replace("\n", self.linesep)
            return f"{name}: {value}{self.linesep}"
        return str(super()._fold(name, value, sanitize))  # type: ignore[misc]


NO_REFOLD = _PrefoldedPolicy()


class TransportDown(Exception):
    """The mail server cannot be reached or refuses us: retry the run later."""


class MessageRejected(Exception):
    """The server refused this one message for good (5xx: bad recipient …)."""


class MessageDeferred(Exception):
    """The server refused this one message for now (4xx): try again later."""


@dataclass(frozen=True, slots=True)
class ReminderMail:
    """Everything a reminder mail shows."""

    recipient: str
    programme: str
    title: str
    kind: str
    due_on: date
    due_effective: date
    stage: int
    obligation_id: int
    message_id: str
    cc: tuple[str, ...] = ()
    source: str = ""
    checklist: tuple[str, ...] = ()
    award: str = ""
    funder: str = ""
    link: str = ""
    holiday: str = ""
    today: date | None = None

    @property
    def days_left(self) -> int:
        """Days from today to the effective date (negative: overdue)."""
        return (self.due_effective - (self.today or self.due_effective)).days

    @property
    def remaining(self) -> str:
        """How far the effective date is from today: "in 22 Tagen fällig"."""
        return due_text(self.due_effective, self.today or self.due_effective)


@dataclass(frozen=True, slots=True)
class Office:
    """The sender side: office name, From address, base URL, template folder."""

    name: str = "Regionales Bildungsbüro"
    sender: str = "portfolio@localhost"
    base_url: str = ""
    templates_dir: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def builtin_templates() -> Path:
    """The shipped e-mail templates (``reports/templates/email``)."""
    spec = importlib.util.find_spec("reports")
    roots: list[Path] = []
    if spec is not None and spec.submodule_search_locations:
        roots = [Path(p) for p in spec.submodule_search_locations]
    roots.append(Path(__file__).resolve().parents[1] / "reports")
    for root in roots:
        folder = root / "templates" / "email"
        if folder.is_dir():
            return folder
    raise InputError("Die E-Mail-Vorlagen fehlen in der Installation (reports/).")


def _fill(
    env: Environment, name: str, context: dict[str, Any], templates_dir: str | None
) -> str:
    """Fill a mail template; a broken one from the office's folder is their input."""
    from jinja2 import TemplateError

    try:
        return env.get_template(name).render(context)
    except TemplateError as exc:
        own = Path(templates_dir) / "email" / name if templates_dir else None
        if own is None or not own.is_file():
            raise
        raise InputError(
            f"Die eigene E-Mail-Vorlage {str(own)!r} ist fehlerhaft – korrigieren Sie "
            "sie oder entfernen Sie sie, dann gilt die mitgelieferte."
        ) from exc


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> Environment:
    """A Jinja2 environment: override folder first, then the shipped templates.

    Cached per folder: a run of 10,000 mails compiles each template once (Jinja's
    loader still notices a changed template file).
    """
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    loaders = []
    if templates_dir:
        loaders.append(FileSystemLoader(str(Path(templates_dir) / "email")))
    loaders.append(FileSystemLoader(str(builtin_templates())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["de"] = format_de
    env.filters["weekday"] = weekday_de
    env.filters["stage"] = stage_label
    return env


def message_id_for(
    reminder_id: int,
    sender: str,
    created_at: datetime | None = None,
    kind: str = "reminder",
) -> str:
    """Return a stable Message-ID per outbox row (a re-send is the same message).

    The row's creation time goes in too: ids restart in a new or reset database,
    and a receiving server drops a second message with a Message-ID it has seen.
    """
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    stamp = f".{int(created_at.timestamp() * 1_000_000):x}" if created_at else ""
    return f"<portfolio-{kind}-{reminder_id}{stamp}@{domain}>"


def reminder_message(mail: ReminderMail, office: Office) -> Message:
    """Build the multipart reminder mail with its .ics attachment."""
    env = environment(office.templates_dir)
    context = {"m": mail, "office": office}
    subject = _fill(env, "reminder_subject.txt", context, office.templates_dir).strip()
    body = _alternative(
        _fill(env, "reminder.txt", context, office.templates_dir),
        _fill(env, "reminder.html", context, office.templates_dir),
    )
    ics = MIMEText(
        ics_for([mail], office).decode("utf-8"), "calendar", "utf-8", policy=NO_REFOLD
    )
    ics.set_param("method", "PUBLISH")
    ics.add_header(
        "Content-Disposition", "attachment", filename=f"frist-{mail.obligation_id}.ics"
    )
    msg = MIMEMultipart("mixed", _subparts=[body, ics], policy=NO_REFOLD)
    _set_boundaries(msg)
    _envelope(
        msg,
        to=mail.recipient,
        cc=mail.cc,
        office=office,
        message_id=mail.message_id,
        subject=subject,
    )
    return msg


def digest_message(digest: Digest, office: Office, message_id: str) -> Message:
    """Build the weekly digest mail (text + HTML)."""
    env = environment(office.templates_dir)
    context = {"d": digest, "office": office}
    msg = _alternative(
        _fill(env, "digest.txt", context, office.templates_dir),
        _fill(env, "digest.html", context, office.templates_dir),
    )
    subject = (
        f"Fristen-Übersicht ab {format_de(digest.today)}: "
        f"{len(digest.overdue)} überfällig, {len(digest.upcoming)} in 8 Wochen"
    )
    _set_boundaries(msg)
    _envelope(
        msg,
        to=digest.recipient,
        cc=(),
        office=office,
        message_id=message_id,
        subject=subject,
    )
    return msg


def outage_message(
    office: Office,
    to: str,
    *,
    since: datetime,
    until: datetime,
    error: str,
    timezone: str,
) -> Message:
    """Tell the office lead that the mail server was down (sent once it is back).

    The Message-ID comes from the outage's start, so a notice sent twice (a crash
    right after it went out) is recognisably the same message.
    """
    zone = ZoneInfo(timezone)

    def moment(value: datetime) -> str:
        local = value.astimezone(zone)
        return f"{format_de(local.date())} {local:%H:%M} Uhr"

    hours = f"{(until - since).total_seconds() / 3600:.1f}".replace(".", ",")
    text = (
        f"Guten Tag,\n\nder Mailserver war von {moment(since)} bis {moment(until)} "
        f"(etwa {hours} Stunden) nicht erreichbar.\nLetzter Fehler: {error}\n\n"
        "Erinnerungen aus dieser Zeit gingen nicht verloren: Sie werden jetzt "
        "verschickt, einige also verspätet. Fristen, die in dieser Zeit fällig "
        "wurden, prüfen Sie bitte selbst (portfolio deadlines).\n\n"
        f"{office.name}\n"
    )
    msg = MIMEText(text, "plain", "utf-8", policy=NO_REFOLD)
    domain = office.sender.rsplit("@", 1)[-1] or "localhost"
    stamp = int(since.timestamp())
    _envelope(
        msg,
        to=to,
        cc=(),
        office=office,
        message_id=f"<portfolio-outage-{stamp:x}@{domain}>",
        subject=(
            f"Mailserver war nicht erreichbar ({moment(since)} bis {moment(until)})"
        ),
    )
    return msg


def _set_boundaries(msg: Message) -> None:
    """Fixed random boundaries: every part is base64, which has no ``=_``.

    Saves the generator a regular-expression compile per part and message.
    """
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f"=_portfolio_{uuid.uuid4().hex}")


def _alternative(text: str, html: str) -> MIMEMultipart:
    """A text/plain + text/html alternative in UTF-8."""
    return MIMEMultipart(
        "alternative",
        _subparts=[
            MIMEText(text, "plain", "utf-8", policy=NO_REFOLD),
            MIMEText(html, "html", "utf-8", policy=NO_REFOLD),
        ],
        policy=NO_REFOLD,
    )


def _envelope(
    msg: Message,
    *,
    to: str,
    cc: Sequence[str],
    office: Office,
    message_id: str,
    subject: str,
) -> None:
    """Headers common to every mail.

    The classic (compat32) message classes are used on purpose: they build and
    serialise several times faster than ``Message`` (a run sends thousands),
    and ``Header`` encodes the German subject without losing blanks.
    """
    msg["From"] = formataddr((office.name, office.sender), charset="utf-8")
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = encode_header(subject, len("Subject: "))
    msg["Date"] = format_datetime(office.now)
    msg["Message-ID"] = message_id or make_msgid(domain="portfolio.local")
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "de"


def encode_header(text: str, offset: int = 0) -> str:
    """RFC 2047 base64 encoded words, folded, split on character boundaries.

    Hand-made because ``email.header.Header`` spent a millisecond per subject.
    """
    if text.isascii():
        return text
    words, chunk = [], ""
    limit = 45 - offset // 2  # 75-character encoded words
    for char in text:
        if len((chunk + char).encode("utf-8")) > limit:
            words.append(chunk)
            chunk, limit = "", 45
        chunk += char
    words.append(chunk)
    encoded = [
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?="
        for word in words
    ]
    return "\n ".join(encoded)


def ics_for(mails: Sequence[ReminderMail], office: Office) -> bytes:
    """An iCalendar file with one all-day event per deadline (effective date).

    Written directly (RFC 5545 escaping and folding, the property order of the
    icalendar library, byte for byte the same; tests/test_notify.py compares):
    building it with icalendar cost a third of composing a reminder.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//portfolio//Fristen//DE",
        "METHOD:PUBLISH",
    ]
    for mail in mails:
        lines += _event_lines(mail, office)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _event_lines(mail: ReminderMail, office: Office) -> list[str]:
    """One all-day VEVENT for a deadline, as unfolded content lines."""
    domain = office.sender.rsplit("@", 1)[-1] or "localhost"
    stamp = office.now
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    lines = [f"{mail.kind}: {mail.title}", f"Programm: {mail.programme}"]
    if mail.due_effective != mail.due_on:
        lines.append(
            f"Fällig am {format_de(mail.due_effective)} "
            f"(berechnet {format_de(mail.due_on)}, verschoben auf den nächsten Werktag)"
        )
    if mail.source:
        lines.append(f"Grundlage: {mail.source}")
    lines += [f"- {item}" for item in mail.checklist]
    event = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _ics_text(f"Frist: {mail.title} ({mail.programme})"),
        f"DTSTART;VALUE=DATE:{mail.due_effective:%Y%m%d}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%S}" + ("Z" if stamp.tzinfo else ""),
        "UID:" + _ics_text(f"obligation-{mail.obligation_id}@{domain}"),
        "DESCRIPTION:" + _ics_text("\n".join(lines)),
    ]
    if mail.link:
        event.append(f"URL:{mail.link}")
    event.append("END:VEVENT")
    return event


def _ics_text(text: str) -> str:
    """An iCalendar TEXT value escaped as RFC 5545 (and icalendar) do it."""
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str, limit: int = 75) -> str:
    """Fold a content line below ``limit`` octets, never inside a character.

    As icalendar does: an escape (backslash) is not split from what it escapes.
    """
    if len(line) < limit and line.isascii():
        return line
    folded: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = 1 if char < "\x80" else len(char.encode("utf-8"))
        if current and count + size >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, count = [carried], len(carried.encode("utf-8"))
            else:
                folded.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready for the wire: envelope and bytes (CRLF), built once."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes


def prepare(msg: Message | Outgoing) -> Outgoing:
    """Serialise a message once (the sender does it while the last one travels)."""
    if isinstance(msg, Outgoing):
        return msg
    data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    addresses = getaddresses([*msg.get_all("To", []), *msg.get_all("Cc", [])])
    return Outgoing(
        message_id=str(msg["Message-ID"] or ""),
        sender=parseaddr(str(msg["From"]))[1],
        recipients=tuple(address for _, address in addresses if address),
        data=data,
    )


class Transport(Protocol):
    """Delivers messages; used as a context manager for one run."""

    def __enter__(self) -> Self:
        """Open the transport (connect)."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close it."""
        ...

    def send(self, msg: Message | Outgoing) -> None:
        """Deliver one message or raise TransportDown / MessageRejected."""
        ...


class OutboxTransport:
    """Writes each message as an .eml file into a folder (the safe default)."""

    def __init__(self, folder: str | Path) -> None:
        """Remember the folder; it is created on first use."""
        self.folder = Path(folder)
        self.written: list[Path] = []

    def __enter__(self) -> Self:
        """Create the folder."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportDown(
                f"Ausgangsordner {self.folder} nicht anlegbar: {failure_reason(exc)}"
            ) from exc
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing to close."""

    def send(self, msg: Message | Outgoing) -> None:
        """Write the message atomically; the same Message-ID gives the same file."""
        ready = prepare(msg)
        name = _file_name(ready.message_id)
        target = self.folder / name
        temp = self.folder / f".{name}.tmp"
        try:
            temp.write_bytes(ready.data)
            temp.replace(target)
        except OSError as exc:
            raise TransportDown(
                f"Ausgangsordner {self.folder}: {failure_reason(exc)}"
            ) from exc
        self.written.append(target)


# Why a connection or a file failed, in German (the OS says it in English).
OS_FAILURES = {
    errno.ECONNREFUSED: "Verbindung abgelehnt (läuft der Server, stimmt der Port?)",
    errno.ECONNRESET: "Verbindung vom Server getrennt",
    errno.EHOSTUNREACH: "Rechner nicht erreichbar",
    errno.ENETUNREACH: "Netz nicht erreichbar",
    errno.ETIMEDOUT: "Zeitüberschreitung",
    errno.EACCES: "keine Berechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EROFS: "schreibgeschützt",
    errno.ENOSPC: "Datenträger voll",
    errno.EEXIST: "eine Datei gleichen Namens ist im Weg",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Ordner",
    errno.ENOENT: "der übergeordnete Ordner fehlt",
}


FAILURE_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "Rechnername unbekannt"),
    (TimeoutError, "Zeitüberschreitung"),
    (smtplib.SMTPServerDisconnected, "Verbindung vom Server getrennt"),
)


def failure_reason(exc: BaseException) -> str:
    """A German reason for a failed connection, login or file operation."""
    for kind, reason in FAILURE_KINDS:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, ssl.SSLError):
        return f"TLS-Fehler ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _smtp_answer(exc)
    if isinstance(exc, OSError) and exc.errno in OS_FAILURES:
        return OS_FAILURES[exc.errno]
    return str(exc) or type(exc).__name__


def _smtp_answer(exc: smtplib.SMTPResponseException) -> str:
    # The server's own words stay: they name what it refused.
    raw = exc.smtp_error
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    what = (
        "Anmeldung abgelehnt"
        if isinstance(exc, smtplib.SMTPAuthenticationError)
        else "Antwort des Servers"
    )
    return f"{what} ({exc.smtp_code}: {text})"


def _file_name(message_id: str) -> str:
    """A file name from the Message-ID (only safe characters)."""
    raw = (message_id or make_msgid()).strip("<>")
    safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in raw)
    return f"{safe}.eml"


class SmtpTransport:
    """Sends through one SMTP connection per run (none, STARTTLS or SSL; login)."""

    def __init__(
        self,
        host: str = "localhost",
        port: int = 25,
        *,
        security: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Remember the server; connect on ``__enter__``."""
        if security not in ("none", "starttls", "ssl"):
            raise InputError(
                f"mail.smtp_security {security!r} ist unbekannt; "
                "erlaubt sind none, starttls, ssl."
            )
        self.host, self.port, self.security = host, int(port), security
        self.user, self.password, self.timeout = user, password, timeout
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        """Connect (and log in) once for the whole run."""
        self.connection = self._connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Say goodbye; a dead connection is simply dropped."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def _connect(self) -> smtplib.SMTP:
        """Open, secure and authenticate a connection, or raise TransportDown."""
        conn: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                context = ssl.create_default_context()
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
            if self.user:
                conn.login(self.user, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            if conn is not None:
                conn.close()
            raise TransportDown(
                f"SMTP-Server {self.host}:{self.port} nicht erreichbar "
                f"oder Anmeldung abgelehnt: {failure_reason(exc)}"
            ) from exc
        return conn

    def send(self, msg: Message | Outgoing) -> None:
        """Send one message; reconnect once if the server dropped the connection.

        Only a permanent answer about this message (5xx) raises ``MessageRejected``;
        a temporary one (4xx) raises ``MessageDeferred``, and anything about the
        connection (refused, timeout, TLS, 421) raises ``TransportDown``: neither
        of the last two may use up the message's attempts.
        """
        ready = prepare(msg)
        if self.connection is None:
            self.connection = self._connect()
        try:
            self._send_classified(ready)
        except _Reconnect:
            self.connection = self._connect()
            try:
                self._send_classified(ready)
            except _Reconnect as exc:
                self.connection = None
                raise TransportDown(
                    "SMTP-Fehler: Verbindung vom Server getrennt"
                ) from exc

    def _send_classified(self, ready: Outgoing) -> None:
        """One try; the SMTP answer decides which error it is."""
        assert self.connection is not None
        try:
            self.connection.sendmail(ready.sender, list(ready.recipients), ready.data)
        except smtplib.SMTPServerDisconnected as exc:
            raise _Reconnect from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [int(answer[0]) for answer in exc.recipients.values()]
            text = f"Empfänger abgelehnt: {_refusals(exc.recipients)}"
            raise _by_code(min(codes, default=550), text) from exc
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            raise _by_code(
                exc.smtp_code, f"Nachricht abgelehnt: {_smtp_answer(exc)}"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.connection = None
            raise TransportDown(f"SMTP-Fehler: {failure_reason(exc)}") from exc


class _Reconnect(Exception):
    """The server closed the connection: connect again and retry once."""


def _by_code(code: int, text: str) -> Exception:
    """5xx: rejected for good; 421: the server is going away; other 4xx: later."""
    if code == 421:
        return TransportDown(f"SMTP-Server nicht bereit: {text}")
    if 400 <= code < 500:
        return MessageDeferred(f"vorläufig abgelehnt: {text}")
    return MessageRejected(text)


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    """``a@b (550: no such user)`` for each refused address."""
    parts = []
    for address, (code, raw) in recipients.items():
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        parts.append(f"{address} ({code}: {text})")
    return ", ".join(parts)


def make_transport(
    kind: str,
    *,
    outbox_dir: str | Path = "outbox",
    host: str = "localhost",
    port: int = 25,
    security: str = "none",
    user: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
) -> OutboxTransport | SmtpTransport:
    """The configured transport (``outbox`` or ``smtp``)."""
    if kind == "outbox":
        return OutboxTransport(outbox_dir)
    if kind == "smtp":
        return SmtpTransport(
            host, port, security=security, user=user, password=password, timeout=timeout
        )
    raise InputError(
        f"mail.transport {kind!r} ist unbekannt; erlaubt sind outbox, smtp."
    )
