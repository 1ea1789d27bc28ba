"""The access log: one Common Log Format line per request, and nothing secret in it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from web_support import csrf_of, login, make_settings, prepare_db

from portfolio.web import create_app

CLF = re.compile(
    r"^(\S+) - (\S+) \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
    r'"([A-Z]+) (\S+) HTTP/1\.1" (\d{3}) (\d+|-)$'
)


def test_one_common_log_line_per_request_without_secrets(
    sqlite_url: str, tmp_path: Path
) -> None:
    prepare_db(sqlite_url, demo=False)
    log = tmp_path / "zugriff.log"
    app = create_app(make_settings(sqlite_url, **{"web.access_log": str(log)}))
    http = TestClient(app, client=("203.0.113.9", 40000))
    requests = 0
    assert login(http, "viewer").status_code == 303  # GET /login, POST /login
    requests += 2
    token = csrf_of(http, "/konto")
    made = http.post("/konto/api-schluessel", data={"csrf_token": token})
    api_key = made.text.split('id="api-token">')[1].split("<")[0]
    feed = http.post("/fristen/abo", data={"aktion": "neu", "csrf_token": token})
    feed_path = feed.text.split('id="feed-url"')[0].rsplit('value="', 1)[1]
    feed_path = "/kalender/" + feed_path.split("/kalender/")[1].split('"')[0]
    anonymous = TestClient(app, client=("203.0.113.10", 40000))
    assert anonymous.get(feed_path).status_code == 200
    assert (
        anonymous.get(
            "/api/programmes", headers={"Authorization": f"Bearer {api_key}"}
        ).status_code
        == 200
    )
    assert anonymous.get("/gibt-es-nicht?token=geheim").status_code == 404
    requests += 6
    http.close()

    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == requests
    parsed = [CLF.match(line) for line in lines]
    assert all(parsed), lines
    assert parsed[1] and parsed[1].groups()[:5] == (
        "203.0.113.9", "-", "POST", "/login", "303"
    )  # fmt: skip
    assert parsed[3] and parsed[3].group(2) == "viewer"  # the API-key page
    assert any(m and m.group(4) == "/kalender/***.ics" for m in parsed)
    assert any(m and m.group(4) == "/gibt-es-nicht?token=%2A%2A%2A" for m in parsed)
    text = log.read_text(encoding="utf-8")
    secret = feed_path.split("/")[-1].removesuffix(".ics")
    cookie = http.cookies.get("portfolio_session") or "kein-cookie"
    for forbidden in (secret, api_key, cookie, "geheim", "Bearer"):
        assert forbidden not in text, forbidden
