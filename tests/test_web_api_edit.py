"""The API's writes on SQLite and PostgreSQL: same validation, same log, roles.

An editor's API key creates a programme with a phase and an award (amounts typed as
the office types them), previews a period change, changes, deletes and undoes; a
wrong field answers 422 naming the field in German; a viewer's key gets 403. Co-funding
shares, the application pipeline with its call deadline, the award made from an
approved application (linked) and a partner deleted and undone go the same way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from web_support import logged_in, prepare_db

from portfolio.domain.models import Award, Change, Partner
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


def test_api_writes_fundings_applications_partners_and_the_award_in_one_step(
    db_url: str,
) -> None:
    prepare_db(db_url)
    http, headers = _client(db_url, "editor")
    land, bmbf = _funder_id(db_url, "Land NRW"), _funder_id(db_url, "BMBF")
    made = http.post("/api/programmes", headers=headers, json={"name": "Kofinanziert"})
    key = made.json()["key"]
    share = http.post(
        f"/api/programmes/{key}/fundings",
        headers=headers,
        json={"funder_id": land, "share": "60 %", "amount": "1.234,56"},
    )
    assert share.status_code == 201, share.text
    assert share.json()["values"]["amount"] == "1234.56"
    too_much = http.post(
        f"/api/programmes/{key}/fundings",
        headers=headers,
        json={"funder_id": bmbf, "share": "50 %"},
    )
    assert too_much.status_code == 422 and "110 %" in too_much.json()["errors"]["share"]
    changed = http.put(
        f"/api/fundings/{share.json()['id']}",
        headers=headers,
        json={"funder_id": land, "share": "40 %"},
    )
    assert changed.status_code == 200, changed.text
    assert (
        http.post(
            f"/api/programmes/{key}/fundings",
            headers=headers,
            json={"funder_id": bmbf, "share": "50 %"},
        ).status_code
        == 201
    )
    # The pipeline: an idea with a call deadline that becomes an open deadline.
    idea = {"status": "idea", "funder_id": bmbf, "reference": "Aufruf 2018",
            "deadline": "30.6.17", "requested": "250 TEUR"}  # fmt: skip
    application = http.post(
        f"/api/programmes/{key}/applications", headers=headers, json=idea
    )
    assert application.status_code == 201, application.text
    app_id = application.json()["id"]
    detail = http.get(f"/api/programmes/{key}", headers=headers).json()
    call = [o for o in detail["obligations"] if o["kind"] == "application"]
    assert [(o["due"], o["status"]) for o in call] == [("2017-06-30", "open")]
    refused = http.put(
        f"/api/applications/{app_id}",
        headers=headers,
        json={**idea, "status": "approved"},
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"submitted_on", "decided_on"}
    approved = http.put(
        f"/api/applications/{app_id}",
        headers=headers,
        json={**idea, "status": "approved", "submitted_on": "29.6.17",
              "decided_on": "1.9.17"},
    )  # fmt: skip
    assert approved.status_code == 200, approved.text
    award = http.post(f"/api/applications/{app_id}/award", headers=headers)
    assert award.status_code == 201, award.text
    assert award.json()["values"]["amount"] == "250000.00"
    linked = _scalars(
        db_url, sa.select(Award.application_id).where(Award.id == award.json()["id"])
    )
    assert linked == [app_id]  # the award keeps its application
    again = http.post(f"/api/applications/{app_id}/award", headers=headers)
    assert again.status_code == 409 and "schon eine Bewilligung" in again.text
    # A partner of the new programme, then gone and back by the change log.
    partner = http.post(
        "/api/partners", headers=headers, json={"name": "Stadt Marl", "kind": "Stadt"}
    )
    assert partner.status_code == 201, partner.text
    gone = http.delete(f"/api/partners/{partner.json()['id']}", headers=headers)
    assert gone.status_code == 200 and gone.json()["change_id"]
    back = http.post(f"/api/changes/{gone.json()['change_id']}/undo", headers=headers)
    assert back.status_code == 200 and "wiederhergestellt" in back.json()["message"]
    names = _scalars(db_url, sa.select(Partner.name))
    assert "Stadt Marl" in names
    # Every write is on the change log, in the same words the page shows.
    log = http.get("/api/changes", headers=headers, params={"limit": 50}).json()
    text = str(log)
    assert "Finanzierung" in text and "Antrag „Aufruf 2018“" in text
    schema = http.get("/openapi.json", headers=headers).json()
    assert set(schema["paths"]) >= {
        "/api/programmes/{key}/fundings",
        "/api/fundings/{item_id}",
        "/api/programmes/{key}/applications",
        "/api/applications/{item_id}",
        "/api/applications/{item_id}/award",
        "/api/programmes/{key}/phases",
        "/api/phases/{item_id}",
        "/api/partners",
        "/api/partners/{item_id}",
        "/api/funders/{item_id}",
        "/api/contacts/{item_id}",
    }
    viewer, refused_headers = _client(db_url, "viewer")
    for method, path in (
        ("post", f"/api/programmes/{key}/fundings"),
        ("put", f"/api/applications/{app_id}"),
        ("delete", f"/api/partners/{partner.json()['id']}"),
        ("post", f"/api/applications/{app_id}/award"),
    ):
        answer = viewer.request(method.upper(), path, headers=refused_headers, json={})
        assert answer.status_code == 403, (method, path, answer.text)


def _scalars(db_url: str, query: Any) -> list[Any]:
    engine = open_database(db_url)
    with engine.connect() as connection:
        found = list(connection.execute(query).scalars())
    engine.dispose()
    return found
