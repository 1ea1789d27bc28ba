"""Login throttling: a growing delay for the guesser, none for anybody else.

The delay is capped and tiny in these tests (``web.login_delay_max_seconds``); what
the tests check is who gets slowed (the failure page says so, the throttle service
returns the wait) and that a right password always gets in. Addresses are set with
the test client's peer address, as a reverse proxy would present them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import CSRF, PASSWORD, csrf_of, login, make_settings, prepare_db

from portfolio.domain.models import LoginThrottle
from portfolio.services import throttle
from portfolio.services.throttle import ThrottleRules
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database
from portfolio.web import create_app

FAST = {"web.login_delay_max_seconds": 0.01}


@pytest.fixture
def web_db(db_url: str) -> str:
    prepare_db(db_url, demo=False)
    return db_url


_apps: dict[str, FastAPI] = {}


def _from(db_url: str, address: str, **settings: object) -> TestClient:
    """A browser at ``address``; one app per database and settings, as in a server."""
    key = repr((db_url, sorted(settings.items())))
    if key not in _apps:
        _apps.clear()
        _apps[key] = create_app(make_settings(db_url, **{**FAST, **settings}))
    return TestClient(_apps[key], client=(address, 40000))


def _guess(http: TestClient, names: list[str]) -> None:
    """Wrong passwords for these names, one form token as a script would."""
    token = csrf_of(http)
    for name in names:
        answer = http.post(
            "/login",
            data={"username": name, "password": "falsch", "csrf_token": token},
        )
        assert answer.status_code == 401


def _delay(db_url: str, account: str, address: str) -> float:
    """The wait the next attempt would get (counted, then taken back)."""
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        wait = throttle.count_attempt(session, account, address, ThrottleRules())
        session.rollback()
    engine.dispose()
    return wait


def test_failures_for_one_account_do_not_refuse_another(web_db: str) -> None:
    http = _from(web_db, "10.0.0.7")
    assert login(http, "viewer").status_code == 303  # a colleague, known here
    guesser = _from(web_db, "10.0.0.7")
    _guess(guesser, ["editor"] * 20)
    slowed = login(guesser, "editor", "falsch")
    assert "langsamer" in slowed.text and "verzögert" in slowed.text
    assert _delay(web_db, "editor", "10.0.0.7") > 0
    assert _delay(web_db, "viewer", "10.0.0.7") == 0
    # B's right password from the same address is not refused.
    assert login(_from(web_db, "10.0.0.7"), "viewer").status_code == 303
    # The right password of the attacked account itself is never refused either.
    assert login(_from(web_db, "10.0.0.7"), "editor").status_code == 303


def test_failures_from_one_address_do_not_touch_another(sqlite_url: str) -> None:
    web_db = sqlite_url  # the shared state on PostgreSQL: the two-process test
    prepare_db(web_db, demo=False)
    _guess(_from(web_db, "10.0.0.66"), [f"name{n % 7}" for n in range(100)])
    assert _delay(web_db, "name1", "10.0.0.66") > 0
    assert _delay(web_db, "admin", "10.0.0.66") > 0  # spraying from there is slowed
    assert _delay(web_db, "admin", "10.0.0.99") == 0
    answer = login(_from(web_db, "10.0.0.99"), "admin")
    assert answer.status_code == 303


def test_one_account_from_many_addresses_only_beyond_a_high_threshold(
    web_db: str,
) -> None:
    for n in range(30):
        _guess(_from(web_db, f"10.1.0.{n}"), ["admin"])
    assert _delay(web_db, "admin", "10.2.0.1") == 0
    engine = open_database(web_db)
    with session_scope(engine, "test") as session:
        session.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.scope == "account")
            .values(failures=150)
        )
    engine.dispose()
    assert _delay(web_db, "admin", "10.2.0.1") > 0


def test_forged_forwarded_for_is_ignored_by_default(web_db: str) -> None:
    for n in range(12):
        http = _from(web_db, "127.0.0.1")
        http.headers["X-Forwarded-For"] = f"192.0.2.{n}"
        login(http, "editor", "falsch")
    # Each forged address was ignored: the failures all count for 127.0.0.1.
    assert _delay(web_db, "editor", "127.0.0.1") > 0
    assert _delay(web_db, "editor", "192.0.2.5") == 0


def test_trusted_proxy_names_the_client(web_db: str) -> None:
    proxy = {"web.trusted_proxies": "127.0.0.1, 10.9.0.0/16"}
    for _ in range(6):
        http = _from(web_db, "127.0.0.1", **proxy)
        http.headers["X-Forwarded-For"] = "forged, 198.51.100.4, 10.9.1.1"
        login(http, "editor", "falsch")
    assert _delay(web_db, "editor", "198.51.100.4") > 0
    assert _delay(web_db, "editor", "127.0.0.1") == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """Two real `portfolio serve` processes on one PostgreSQL database."""
    prepare_db(postgres_url, demo=False)
    env = {
        **os.environ,
        "PORTFOLIO_DB": postgres_url,
        "PORTFOLIO_LOGIN_DELAY_MAX": "1",
    }
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [str(Path(sys.executable).with_name("portfolio")), "serve",
             "--port", str(port), "--ohne-zeitplan"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]  # fmt: skip
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            for _ in range(200):
                try:
                    if httpx.get(url + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield urls[0], urls[1], postgres_url
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


def _real_login(http: httpx.Client, name: str, password: str) -> httpx.Response:
    match = CSRF.search(http.get("/login").text)
    assert match
    return http.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": match[1]},
    )


@pytest.mark.postgres
def test_two_server_processes_share_throttle_and_revoked_sessions(
    two_servers: tuple[str, str, str],
) -> None:
    first_url, second_url, db = two_servers
    first = httpx.Client(base_url=first_url)
    for _ in range(4):
        assert _real_login(first, "editor", "falsch").status_code == 401
    # The fifth guess goes to the other process, which knows the four before.
    second = httpx.Client(base_url=second_url)
    answer = _real_login(second, "editor", "falsch")
    assert "verzögert" in answer.text
    assert _delay(db, "editor", "127.0.0.1") > 0

    assert _real_login(first, "viewer", PASSWORD).status_code == 303
    cookie = first.cookies["portfolio_session"]
    other = httpx.Client(base_url=second_url, cookies={"portfolio_session": cookie})
    assert other.get("/konto").status_code == 200
    token = CSRF.search(first.get("/konto").text)
    assert token
    first.post("/logout", data={"csrf_token": token[1]})
    assert other.get("/konto").status_code == 303
    assert other.get("/konto").headers["location"].startswith("/login")
