"""The web server's access log: one line per request in the Common Log Format.

``host ident user [time] "request line" status bytes`` – what web servers and log
tools of a Kreis IT read. The host is the client's address as ``client_address``
sees it (X-Forwarded-For only via trusted proxies), the user the logged-in name.
Nothing secret is written: no cookies or headers at all, the calendar token in
``/kalender/<token>.ics`` and secret-looking query values are replaced by ``***``.
By default the lines go to the server's standard output; ``web.access_log`` names a
file instead (reopened when logrotate moves it) or switches the log off.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio.web.security import client_address

OFF = {"", "aus", "off", "none"}
_FEED = re.compile(r"^/kalender/[^/]+\.ics$")
_SECRET_PARAMS = {"token", "key", "api_key", "password", "passwort", "secret"}
_MONTHS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def make_logger(target: str) -> logging.Logger | None:
    """A logger of its own (not in the logging tree) writing to stdout or a file."""
    if target.strip().lower() in OFF:
        return None
    logger = logging.Logger("portfolio.access")
    handler: logging.Handler = (
        logging.StreamHandler(sys.stdout)
        if target.strip() == "-"
        else logging.handlers.WatchedFileHandler(target, encoding="utf-8")
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def safe_target(path: str, query: str) -> str:
    """The request target with secrets masked."""
    if _FEED.match(path):
        path = "/kalender/***.ics"
    if not query:
        return path
    pairs = [
        (k, "***" if k.lower() in _SECRET_PARAMS else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs)}"


def _clf_time(now: float) -> str:
    local = time.localtime(now)
    offset = local.tm_gmtoff // 60
    sign = "+" if offset >= 0 else "-"
    return (
        f"{local.tm_mday:02d}/{_MONTHS[local.tm_mon - 1]}/{local.tm_year}:"
        f"{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d} "
        f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    )


def _field(text: str) -> str:
    # Quotes, blanks and control characters would break the line's format.
    cleaned = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in text)
    return cleaned.replace(" ", "%20") or "-"


class AccessLogMiddleware:
    """Write one Common Log Format line when a response is complete."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        """Wrap an app; ``logger`` receives the lines."""
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count status and bytes of the answer, then log the request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.time()
        answer: dict[str, Any] = {"status": 500, "bytes": 0}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self._log(scope, started, answer)

    def _log(self, scope: Scope, started: float, answer: dict[str, Any]) -> None:
        request = Request(scope)
        try:
            host = client_address(request)
        except (AttributeError, KeyError):
            host = scope.get("client", ("-",))[0] or "-"
        user = getattr(scope.get("state", {}).get("user"), "username", None)
        target = safe_target(scope.get("path", ""), scope["query_string"].decode())
        line = (
            f"{_field(host)} - {_field(user or '-')} [{_clf_time(started)}] "
            f'"{scope["method"]} {_field(target)} HTTP/{scope["http_version"]}" '
            f"{answer['status']} {answer['bytes'] or '-'}"
        )
        self.logger.info(line)
