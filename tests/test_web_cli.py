"""The web commands: ``user add`` and ``serve``; the demo prints its login."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from click.testing import Result

from portfolio.domain.models import User
from portfolio.services.users import authenticate
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def test_user_add_reads_the_password_from_stdin(
    cli: Callable[..., Result], sqlite_url: str
) -> None:
    result = cli("user", "add", "anna", "--role", "editor", "--password-stdin",
                 db=sqlite_url, input="sehr-geheim\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Benutzer anna angelegt (Rolle editor)" in result.output
    engine = open_database(sqlite_url)
    with session_scope(engine) as session:
        user = authenticate(session, "anna", "sehr-geheim")
        assert user is not None and user.role.value == "editor"
        stored = session.scalar(sa.select(User.password_hash))
    engine.dispose()
    assert stored is not None and "sehr-geheim" not in stored


def test_user_add_refuses_bad_input(
    cli: Callable[..., Result], sqlite_url: str
) -> None:
    short = cli("user", "add", "bob", "--password-stdin", db=sqlite_url, input="kurz\n")
    assert short.exit_code == 2
    assert "zu kurz" in short.output
    no_terminal = cli("user", "add", "bob", db=sqlite_url, input="")
    assert no_terminal.exit_code == 2
    assert "--password-stdin" in no_terminal.output
    cli("user", "add", "bob", "--password-stdin", db=sqlite_url, input="lang-genug\n")
    twice = cli(
        "user", "add", "bob", "--password-stdin", db=sqlite_url, input="lang-genug\n"
    )
    assert twice.exit_code == 2
    assert "gibt es schon" in twice.output
    role = cli("user", "add", "eve", "--role", "chef", db=sqlite_url)
    assert role.exit_code == 2


def test_demo_prints_address_and_login(
    cli: Callable[..., Result], sqlite_url: str
) -> None:
    result = cli("demo", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000" in result.output
    assert "Benutzer 'demo', Passwort 'demo-passwort'" in result.output


def test_serve_answers_health(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    port = 18000 + os.getpid() % 1000
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("portfolio")), "--db", url, "serve",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health"
                ) as answer:
                    body = answer.read()
                break
            except OSError:
                time.sleep(0.2)
        assert body == b'{"status":"ok"}'
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert answer.url.endswith("/login?next=/")
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0].decode()
    assert f"portfolio läuft auf http://127.0.0.1:{port}" in output
    assert "Zeitplan für Erinnerungen läuft im Hintergrund" in output


def test_serve_refuses_a_busy_port_and_a_bad_one(
    cli: Callable[..., Result], sqlite_url: str
) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port), db=sqlite_url)
    assert result.exit_code == 2, result.output
    assert "läuft portfolio schon?" in result.output
    assert "läuft auf" not in result.output  # nothing started
    too_big = cli("serve", "--port", "99999", db=sqlite_url)
    assert too_big.exit_code == 2
    assert "liegt nicht im Bereich" in too_big.output


def test_user_add_on_a_terminal_asks_again_in_german_when_passwords_differ(
    tmp_path: Path,
) -> None:
    import contextlib
    import pty
    import select

    db = f"sqlite:///{tmp_path / 'pty.db'}"
    script = "from portfolio.cli import main; main()"
    pid, fd = pty.fork()
    if pid == 0:  # the child: portfolio on a real terminal
        os.execv(sys.executable, [sys.executable, "-c", script, "--db", db,
                                  "user", "add", "qa", "--role", "viewer"])  # fmt: skip
    seen, mark = b"", 0

    def answer(expect: bytes, text: bytes) -> None:
        # Type only after the prompt: getpass flushes what was typed ahead.
        nonlocal seen, mark
        deadline = time.monotonic() + 60
        while expect not in seen[mark:] and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                seen += os.read(fd, 4096)
        mark = seen.index(expect, mark) + len(expect)
        os.write(fd, text)

    answer(b"Passwort:", b"erstes-passwort\r")
    answer(b"wiederholen:", b"anderes-passwort\r")
    answer(b"noch einmal", b"")
    answer(b"Passwort:", b"gutes-passwort\r")
    answer(b"wiederholen:", b"gutes-passwort\r")
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        while select.select([fd], [], [], 0.5)[0]:
            seen += os.read(fd, 4096)
    text = seen.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "Die beiden Eingaben stimmen nicht überein" in text
    assert "Error" not in text and "do not match" not in text
    assert "Benutzer qa angelegt" in text
