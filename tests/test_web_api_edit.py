"""The API's writes on SQLite and PostgreSQL: same validation, same log, roles.

An editor's API key creates a programme with a phase and an award (amounts typed as
the office types them), previews a period change, changes, deletes and undoes; a
wrong field answers 422 naming the field in German; a viewer's key gets 403.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.models import Change, Partner
from portfolio.storage.schema import open_database


def _key(db_url: str, username: str) -> str:
    http, csrf = logged_in(db_url, username)
    shown = http.post("/konto/api-schluessel", data={"csrf_token": csrf})
    return shown.text.split('id="api-token">')[1].split("<")[0]


def _client(db_url: str, username: str) -> tuple[Any, dict[str, str]]:
    http, _ = logged_in(db_url, username)
    return http, {"Authorization": f"Bearer {_key(db_url, username)}"}


def test_api_writes_every_step(db_url: str) -> None:
    prepare_db(db_url)
    http, headers = _client(db_url, "editor")
    funders = http.get("/api/funders", headers=headers).json()
    assert funders
    made = http.post(
        "/api/programmes",
        headers=headers,
        json={"name": "Übergänge gestalten", "status": "applying", "tags": ["KAoA"]},
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key == "uebergaenge-gestalten"
    contact = http.post(
        "/api/contacts",
        headers=headers,
        json={"name": "Frau Muster", "email": "muster@kreis-re.de"},
    ).json()
    changed = http.put(
        f"/api/programmes/{key}",
        headers=headers,
        json={"name": "Übergänge gestalten", "lead_id": contact["id"], "tags": "A, B"},
    )
    assert changed.status_code == 200 and changed.json()["values"]["tags"] == ["A", "B"]
    phase = http.post(
        f"/api/programmes/{key}/phases",
        headers=headers,
        json={"name": "Phase I", "start": "1.4.17", "end": "2019-03-31"},
    )
    assert phase.status_code == 201 and phase.json()["values"]["start"] == "2017-04-01"
    bmbf = next(f for f in http.get("/api/funders", headers=headers).json()
                if f["short_name"] == "BMBF")  # fmt: skip
    funder_id = _funder_id(db_url, bmbf["short_name"])
    body = {
        "funder_id": funder_id,
        "reference": "01JL1701",
        "start": "1.4.17",
        "end": "31.3.2019",
        "amount": "120 TEUR",
        "regime": "bund-anbest-gk",
    }
    award = http.post(f"/api/programmes/{key}/awards", headers=headers, json=body)
    assert award.status_code == 201, award.text
    assert award.json()["values"]["amount"] == "120000.00"
    award_id = award.json()["id"]
    preview = http.post(
        f"/api/awards/{award_id}/preview",
        headers=headers,
        json={**body, "end": "30.6.2019"},
    ).json()
    assert any("verschiebt sich vom" in line for line in preview["moved"]), preview
    wrong = http.post(
        f"/api/programmes/{key}/awards",
        headers=headers,
        json={**body, "reference": "X", "overrides": {"GIBT_ES_NICHT": "aus"}},
    )
    assert wrong.status_code == 422
    assert "GIBT_ES_NICHT" in wrong.json()["errors"]["overrides"]
    bad_amount = http.post(
        f"/api/programmes/{key}/awards",
        headers=headers,
        json={**body, "amount": "viel"},
    )
    assert bad_amount.status_code == 422
    assert "ist kein Betrag" in bad_amount.json()["errors"]["amount"]
    bad_kind = http.post(
        "/api/funders", headers=headers, json={"short_name": "X", "name": "X",
                                               "kind": "mond"}
    )  # fmt: skip
    assert bad_kind.json()["errors"] == {
        "kind": "Bitte einen Eintrag aus der Liste wählen."
    }
    gone = http.delete(f"/api/programmes/{key}", headers=headers)
    assert gone.status_code == 200, gone.text
    assert "1 Bewilligung" in gone.json()["consequences"][0]
    assert http.get(f"/api/programmes/{key}", headers=headers).status_code == 404
    back = http.post(f"/api/changes/{gone.json()['change_id']}/undo", headers=headers)
    assert back.status_code == 200 and "wiederhergestellt" in back.json()["message"]
    detail = http.get(f"/api/programmes/{key}", headers=headers).json()
    assert detail["awards"][0]["amount"] == "120000.00"
    engine = open_database(db_url)
    with engine.connect() as connection:
        logged = connection.execute(
            sa.select(sa.func.count())
            .select_from(Change)
            .where(Change.entity == "awards")
        ).scalar()
    engine.dispose()
    assert logged and logged >= 3  # created, deleted, restored


def _funder_id(db_url: str, short_name: str) -> int:
    from portfolio.domain.models import Funder

    engine = open_database(db_url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(Funder.id).where(Funder.short_name == short_name)
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_viewer_key_is_refused(db_url: str) -> None:
    prepare_db(db_url)
    http, headers = _client(db_url, "viewer")
    refused = http.post("/api/programmes", headers=headers, json={"name": "X"})
    assert refused.status_code == 403
    assert http.delete("/api/contacts/1", headers=headers).status_code == 403


def test_api_sets_a_partners_roles_and_keeps_them_when_left_out(db_url: str) -> None:
    prepare_db(db_url)
    http, headers = _client(db_url, "editor")
    engine = open_database(db_url)
    with engine.connect() as connection:
        ident = connection.execute(
            sa.select(Partner.id).where(Partner.name == "Castrop-Rauxel")
        ).scalar_one()
    body = {"name": "Castrop-Rauxel", "kind": "Stadt"}
    kept = http.put(f"/api/partners/{ident}", headers=headers, json=body)
    assert kept.status_code == 200, kept.text
    roles = kept.json()["values"]["roles"]
    assert roles["RBN"] == "Mitglied im Regionalen Lenkungskreis"  # left as it was
    changed = http.put(
        f"/api/partners/{ident}",
        headers=headers,
        json={**body, "roles": {**roles, "RBN": "Sprecherstadt"}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["values"]["roles"]["RBN"] == "Sprecherstadt"
    wrong = http.put(
        f"/api/partners/{ident}",
        headers=headers,
        json={**body, "roles": {"Gibt es nicht": "x"}},
    )
    assert wrong.status_code == 422
    assert "gehört nicht zum Programm „Gibt es nicht“" in wrong.text
    engine.dispose()
