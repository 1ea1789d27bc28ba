"""The JSON API: token auth, answers as documented, and schemathesis finds no 500s."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from web_support import logged_in, make_settings, prepare_db

from portfolio.web import create_app


@pytest.fixture(scope="module")
def api_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("api") / "api.db"
    prepare_db(f"sqlite:///{path}")
    return f"sqlite:///{path}"


def _token(db_url: str, username: str = "editor") -> str:
    http, csrf = logged_in(db_url, username)
    shown = http.post("/konto/api-schluessel", data={"csrf_token": csrf})
    return shown.text.split('id="api-token">')[1].split("<")[0]


@pytest.fixture(scope="module")
def token(api_db: str) -> str:
    return _token(api_db)


def test_programmes_obligations_funders(api_db: str, token: str) -> None:
    http, _ = logged_in(api_db, "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    page = http.get("/api/programmes", headers=headers).json()
    assert page["total"] == 10
    zukunft = next(p for p in page["items"] if p["key"] == "zukunftsstadt")
    assert zukunft["end"] == "2018-04-30" and zukunft["funders"] == ["BMBF"]
    detail = http.get("/api/programmes/zukunftsstadt", headers=headers).json()
    assert [p["name"] for p in detail["phases"]] == ["Phase I", "Phase II"]
    open_items = http.get("/api/obligations?status=open", headers=headers).json()[
        "items"
    ]
    first = open_items[0]
    only = http.get("/api/obligations?programme=zukunftsstadt", headers=headers).json()
    assert only["total"] >= 3
    assert {o["programme"] for o in only["items"]} == {"zukunftsstadt"}
    changed = http.post(
        f"/api/obligations/{first['id']}/status",
        headers=headers,
        json={"status": "done", "on": "2017-03-14"},
    )
    assert changed.status_code == 200 and changed.json()["status"] == "done"
    funders = http.get("/api/funders", headers=headers).json()
    assert {
        "short_name": "BMBF",
        "name": funders[0]["name"],
        "kind": "bund",
    } in funders or any(
        f["short_name"] == "BMBF" and f["kind"] == "bund" for f in funders
    )
    missing = http.get("/api/programmes/gibt-es-nicht", headers=headers)
    assert missing.status_code == 404 and "gibt es nicht" in missing.json()["detail"]
    schema = http.get("/openapi.json", headers=headers).json()
    assert set(schema["paths"]) >= {
        "/api/programmes",
        "/api/programmes/{key}",
        "/api/obligations",
        "/api/obligations/{obligation_id}/status",
        "/api/funders",
        "/api/programmes/{key}/awards",
        "/api/awards/{item_id}",
        "/api/awards/{item_id}/preview",
        "/api/contacts",
        "/api/changes/{item_id}/undo",
        "/api/programmes/{key}/documents",
        "/api/documents",
        "/api/documents/{document_id}/file",
        "/api/documents/{document_id}",
        "/api/awards/{award_id}/money",
        "/api/awards/{award_id}/plan",
        "/api/awards/{award_id}/disbursements",
        "/api/disbursements/{item_id}",
        "/api/changes",
    }


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    # A database of its own, so the fuzzer's changes do not leak into other tests.
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    prepare_db(f"sqlite:///{path}")
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def fuzz_token(fuzz_db: str) -> str:
    return _token(fuzz_db)


@pytest.fixture(scope="module")
def web_app(fuzz_db: str, fuzz_token: str) -> Any:
    app = create_app(make_settings(fuzz_db))
    return schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers={"Authorization": f"Bearer {fuzz_token}"}
    )


def test_api_never_fails_with_500(web_app: Any, fuzz_token: str) -> None:
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    operations = [result.ok() for result in web_app.get_all_operations()]
    assert len(operations) >= 35  # reads, the writes of every entity, money
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text)

        no_server_error()
