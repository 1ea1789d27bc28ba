"""The HTTP protocol ``portfolio serve`` gives uvicorn: its own answers in German.

A request that never reaches the application (a malformed request line, an invalid
or oversized header, bytes that are not HTTP) is answered by uvicorn's h11 protocol
itself, with "Invalid HTTP request received." in English. ``GermanH11Protocol``
keeps uvicorn's h11 protocol and only replaces that answer: 400 with a German
sentence saying what to do. Passing the class as uvicorn's ``http`` also pins the
h11 implementation, so an installed httptools (``uvicorn[standard]``) cannot bring
its English answer back. ``GermanLogFilter`` puts uvicorn's warnings about such
requests into German for the operator's console.
"""

from __future__ import annotations

import logging

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

BAD_REQUEST_TEXT = (
    "Ungültige Anfrage: Die Anfrage an portfolio war kein gültiges HTTP "
    "(fehlerhafte Anfragezeile oder Kopfzeile, oder zu große Kopfzeilen, "
    "z. B. durch zu viele Cookies). Bitte laden Sie die Seite neu; hilft das "
    "nicht, löschen Sie die Cookies dieser Seite im Browser.\n"
)

# uvicorn's warnings (logger "uvicorn.error") about requests it answered itself.
LOG_TEXTS = {
    "Invalid HTTP request received.": (
        "Ungültige HTTP-Anfrage erhalten; mit 400 beantwortet."
    ),
    "Unsupported upgrade request.": (
        "Upgrade-Anfrage (z. B. WebSocket) nicht unterstützt; als normale Anfrage "
        "behandelt."
    ),
}


class GermanH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering requests it cannot parse in German."""

    def send_400_response(self, msg: str) -> None:
        """Answer 400 with the German text, then close (as uvicorn does)."""
        del msg  # uvicorn's English reason; the client gets ours
        body = BAD_REQUEST_TEXT.encode("utf-8")
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"content-language", b"de"),
            (b"connection", b"close"),
        ]
        event = h11.Response(
            status_code=400, headers=headers, reason=STATUS_PHRASES[400]
        )
        self.transport.write(self.conn.send(event) or b"")
        self.transport.write(self.conn.send(h11.Data(data=body)) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()


class GermanLogFilter(logging.Filter):
    """Put uvicorn's warnings about requests it answered itself into German."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace a known English message; drop the WebSocket install hint."""
        message = record.getMessage()
        if message.startswith("No supported WebSocket library"):
            return False
        german = LOG_TEXTS.get(message)
        if german is not None:
            record.msg, record.args = german, None
        return True


def install_log_filter() -> None:
    """Attach ``GermanLogFilter`` to uvicorn's error logger (once)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, GermanLogFilter) for f in logger.filters):
        logger.addFilter(GermanLogFilter())
