"""Temporary uploads go away, and the server's own refusals speak German.

An upload waits in the server's folder only between preview and confirmation: it is
removed when confirmed, discarded, expired, when the server stops, and a folder
left by a dead server is removed at the next start.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from web_support import csrf_of, login, make_settings, prepare_db

from portfolio.web import create_app

LIST = b"Programm;F\xc3\xb6rdergeber;Laufzeit\nKAoA;Land NRW;2016 - 2018\n"


def _editor(db_url: str, **settings: object) -> tuple[TestClient, str, Path]:
    app = create_app(make_settings(db_url, **settings))
    http = TestClient(app)
    assert login(http, "editor").status_code == 303
    return http, csrf_of(http, "/konto"), app.state.upload_dir


def _upload(http: TestClient, token: str, content: bytes = LIST) -> None:
    answer = http.post(
        "/import",
        data={"csrf_token": token},
        files={"datei": ("programme.csv", content, "text/csv")},
    )
    assert answer.status_code == 200, answer.text


def test_uploads_are_removed_when_discarded_confirmed_or_expired(
    sqlite_url: str,
) -> None:
    prepare_db(sqlite_url, demo=False)
    http, token, folder = _editor(sqlite_url)
    _upload(http, token)
    assert len(list(folder.iterdir())) == 1
    http.post("/import/verwerfen", data={"csrf_token": token})
    assert list(folder.iterdir()) == []
    _upload(http, token)
    http.post("/import/uebernehmen", data={"csrf_token": token})
    assert list(folder.iterdir()) == []

    # (an unchanged file into an unchanged database is not kept at all)
    _upload(http, token, LIST.replace(b"KAoA", b"Bildungsketten"))
    (old,) = folder.iterdir()
    stale = time.time() - 61 * 60
    os.utime(old, (stale, stale))
    _upload(http, token, LIST.replace(b"KAoA", b"Kultur macht stark"))
    assert old not in list(folder.iterdir())
    assert len(list(folder.iterdir())) == 1


def test_upload_folders_go_at_stop_and_orphans_at_start(sqlite_url: str) -> None:
    prepare_db(sqlite_url, demo=False)
    dead = Path(tempfile.gettempdir()) / "portfolio-uploads-999999999-test"
    (dead / "abc").mkdir(parents=True, exist_ok=True)
    (dead / "abc" / "programme.csv").write_bytes(LIST)
    app = create_app(make_settings(sqlite_url))
    assert not dead.exists()
    folder = app.state.upload_dir
    assert folder.name.startswith(f"portfolio-uploads-{os.getpid()}-")
    with TestClient(app) as http:
        login(http, "editor")
        _upload(http, csrf_of(http, "/konto"))
        assert folder.exists()
    assert not folder.exists()


def _chunks(size: int) -> Iterator[bytes]:
    boundary = b"--grenze\r\n"
    yield boundary + (
        b'Content-Disposition: form-data; name="datei"; filename="gross.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )
    for _ in range(size // 65536 + 1):
        yield b"x" * 65536
    yield b"\r\n--grenze--\r\n"


def test_servers_own_refusals_are_german(sqlite_url: str) -> None:
    prepare_db(sqlite_url, demo=False)
    http, token, _ = _editor(sqlite_url, **{"imports.max_file_mb": 1})
    chunked = http.post(
        "/import",
        content=_chunks(2 * 1024 * 1024),
        headers={
            "content-type": "multipart/form-data; boundary=grenze",
            "x-csrf-token": token,
        },
    )
    assert chunked.status_code == 413
    assert "zu groß" in chunked.text and "höchstens 1 MB" in chunked.text
    broken = http.post(
        "/import",
        content=b"--grenze\r\nkaputt",
        headers={
            "content-type": "multipart/form-data; boundary=grenze",
            "x-csrf-token": token,
        },
    )
    assert broken.status_code in (400, 422)
    assert "<h1>Eingabe unvollständig</h1>" in broken.text
    wrong = http.put("/login")
    assert wrong.status_code == 405
    for answer in (chunked, broken, wrong, http.get("/nirgends")):
        for english in ("error parsing", "Method Not Allowed", "Not Found"):
            assert english not in answer.text
