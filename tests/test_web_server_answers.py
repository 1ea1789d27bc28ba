"""The server's own answers in German (issue 16), against a real ``portfolio serve``.

uvicorn answers requests it cannot parse before the application sees them: a
malformed request line, an invalid header name, headers larger than h11 accepts.
These tests send such bytes to a running ``portfolio serve`` over a socket and read
what a browser or ``curl`` would show; they fail if uvicorn's English "Invalid HTTP
request received." comes back. A bug in a page (an unhandled exception) answers
500 with a German page instead of Starlette's "Internal Server Error".
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import make_settings

from portfolio.web import create_app

GERMAN = "Ungültige Anfrage"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serve(folder: Path) -> Iterator[tuple[int, list[str]]]:
    """A running ``portfolio serve``: its port and, once stopped, its output."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("portfolio")),
         "--db", f"sqlite:///{folder / 'serve.db'}",
         "serve", "--port", str(port), "--ohne-zeitplan"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=folder,
    )  # fmt: skip
    output: list[str] = []
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health"):
                    break
            except OSError:
                time.sleep(0.2)
        yield port, output
    finally:
        process.send_signal(signal.SIGTERM)
        output.append(process.communicate(timeout=30)[0].decode())
    assert process.returncode == 0, output[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[str]]]:
    """One ``portfolio serve`` for the module."""
    with _serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


def _raw(port: int, request: bytes) -> tuple[str, str]:
    """Send bytes, read the whole answer: (status line and headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body.decode("utf-8")


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"KAPUTT\r\n\r\n", id="not-a-request-line"),
        pytest.param(b"GET / HTTP/1.1\r\n\r\n", id="no-host-header"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\nKopf mit Leerzeichen: 1\r\n\r\n",
            id="invalid-header-name",
        ),
        pytest.param(
            # more than h11's 16 KiB for an unfinished head
            b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 20_000,
            id="oversized-headers",
        ),
    ],
)
def test_unparsable_request_is_answered_in_german(
    server: tuple[int, list[str]], request_bytes: bytes
) -> None:
    port, _ = server
    head, body = _raw(port, request_bytes)
    assert head.startswith("HTTP/1.1 400"), head
    assert "charset=utf-8" in head
    assert GERMAN in body
    assert "Cookies" in body  # says what to do
    assert "Invalid HTTP request" not in body


def test_server_keeps_serving_and_logs_bad_requests_in_german(
    tmp_path: Path,
) -> None:
    with _serve(tmp_path) as (port, output):
        _raw(port, b"KAPUTT\r\n\r\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as answer:
            assert answer.status == 200
    assert "Ungültige HTTP-Anfrage erhalten; mit 400 beantwortet." in output[0]
    assert "Invalid HTTP request" not in output[0]


def test_unhandled_error_answers_a_german_page(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url))

    def crash() -> None:
        raise RuntimeError("kaputt")

    app.add_api_route("/kaputt", crash)
    with TestClient(app, raise_server_exceptions=False) as browser:
        answer = browser.get("/kaputt")
    assert answer.status_code == 500
    assert "Interner Fehler" in answer.text
    assert "Internal Server Error" not in answer.text
    assert "kaputt" not in answer.text  # no internals on the page
