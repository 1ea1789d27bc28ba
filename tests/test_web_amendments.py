"""Änderungsbescheide through the API and in the browser, on SQLite and PostgreSQL.

Zukunftsstadt II's Erstbescheid plans 500 € Sachausgaben for 2017; 1.200,01 € are
booked. The Änderungsbescheid of 15.02.2018 raises the position to 1.000 € and
extends the term. The check uses the Bescheid in force on its day, the
Zwischennachweis 2017 the plan in force at the end of 2017 (the Erstbescheid), the
Verwendungsnachweis the latest; the change log names it in German; a Bescheid
deleted comes back from the change log.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from money_support import zukunftsstadt_small_money
from web_support import logged_in, make_settings, prepare_db, signed_in_page

from portfolio.domain.enums import ObligationKind
from portfolio.domain.models import Award, AwardVersion, Expense, Obligation
from portfolio.services import clock, edit_plan, edit_versions
from portfolio.services.export_json import export_json
from portfolio.services.restore_json import restore
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

CHROMIUM = Path("/usr/bin/chromium")
KEY, REF = "zukunftsstadt", "DEMO-ZUKUNFTSSTADT-II"


def _scenario(db_url: str) -> int:
    """Plan Honorare 10.000 € and Sachausgaben 500 € (2017); 1.200,01 € booked."""
    prepare_db(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award = zukunftsstadt_small_money(session)
        edit_plan.save(session, award.id, _plan("500"))
        session.add(
            Expense(award_id=award.id, category="Sachausgaben", year=2017,
                    spent_on=date(2017, 1, 25), amount=Decimal("1200.01"))
        )  # fmt: skip
        clock.set_stichtag(session, date(2018, 3, 1))
        award_id = award.id
    engine.dispose()
    return award_id


def _plan(sach: str) -> edit_plan.PlanIn:
    return edit_plan.PlanIn.parse(
        {
            "financing_type": "voll",
            "budget_lines": [
                {"category": "Honorare", "year": 2017, "planned": "10000"},
                {"category": "Sachausgaben", "year": 2017, "planned": sach},
            ],
        }
    )


def _key(db_url: str, username: str) -> tuple[Any, dict[str, str]]:
    http, csrf = logged_in(db_url, username)
    shown = http.post("/konto/api-schluessel", data={"csrf_token": csrf})
    token = shown.text.split('id="api-token">')[1].split("<")[0]
    return http, {"Authorization": f"Bearer {token}"}


def _overrun(cli: Callable[..., Any], db_url: str, day: str) -> str:
    result = cli("check", "--now", day, "--format", "json", db=db_url)
    found = [
        w["message"]
        for w in json.loads(result.output)["warnings"]
        if w["rule"] == "UEBERSCHREITUNG" and "Sachausgaben" in w["message"]
    ]
    assert len(found) == 1, result.output
    return str(found[0])


def _sach_planned(cli: Callable[..., Any], db_url: str, *which: str) -> str:
    """The planned Sachausgaben of the Nachweis as its HTML shows them."""
    result = cli(
        "report", "nachweis", KEY, "--award", REF, *which, "--format", "html",
        "-o", "-", db=db_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = re.search(r"Sachausgaben</t[dh]>\s*<td[^>]*>([^<]*)<", result.output)
    assert row, result.output
    return row[1].replace("\xa0", " ")


def _verwendungsnachweis_due(db_url: str, award_id: int) -> set[date]:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        due = set(
            session.scalars(
                sa.select(Obligation.due_on).where(
                    Obligation.award_id == award_id,
                    Obligation.kind == ObligationKind.VERWENDUNGSNACHWEIS,
                )
            )
        )
    engine.dispose()
    return due


def _assert_versions_used(cli: Callable[..., Any], db_url: str) -> None:
    # The check: the Erstbescheid until the day before, the new one from its day.
    assert "1.200,01 € statt 500,00 € geplant" in _overrun(cli, db_url, "14.02.2018")
    assert "1.200,01 € statt 1.000,00 € geplant" in _overrun(cli, db_url, "15.02.2018")
    # The Zwischennachweis 2017: the plan in force at the end of 2017.
    assert _sach_planned(cli, db_url, "--year", "2017") == "500,00 €"
    # The Verwendungsnachweis: the latest Bescheid.
    assert _sach_planned(cli, db_url, "--final") == "1.000,00 €"


def test_api_records_an_amendment_used_by_check_and_reports(
    db_url: str, cli: Callable[..., Any]
) -> None:
    award_id = _scenario(db_url)
    before = _verwendungsnachweis_due(db_url, award_id)
    http, headers = _key(db_url, "editor")
    form = http.get(f"/bewilligungen/{award_id}/bearbeiten").text
    assert f'href="/bewilligungen/{award_id}/bescheide/neu">Änderungsbescheid' in form
    wrong = http.post(
        f"/api/awards/{award_id}/bescheide",
        headers=headers,
        json={"issued_on": "31.2.2018", "end": "vorgestern", "amount": "viel"},
    )
    assert wrong.status_code == 422
    errors = wrong.json()["errors"]
    assert errors["issued_on"] == "Den Tag „31.2.2018“ gibt es nicht."
    assert "kein Datum" in errors["end"] and "kein Betrag" in errors["amount"]
    too_early = http.post(
        f"/api/awards/{award_id}/bescheide",
        headers=headers,
        json={"issued_on": "1.1.2010", "reference": "Ä1"},
    )
    assert too_early.status_code == 422  # the demo award has no Bescheid date
    assert "bisherigen Bescheids" in too_early.json()["errors"]["previous_on"]
    too_early = http.post(
        f"/api/awards/{award_id}/bescheide",
        headers=headers,
        json={"issued_on": "1.1.2010", "reference": "Ä1", "previous_on": "20.10.16"},
    )
    assert (
        "vor dem bisherigen Bescheid vom 20.10.2016"
        in (too_early.json()["errors"]["issued_on"])
    )
    made = http.post(
        f"/api/awards/{award_id}/bescheide",
        headers=headers,
        json={
            "issued_on": "15.2.18",
            "reference": "ZS-2018/0042",
            "amount": "250 TEUR",
            "start": "01.11.2016",
            "end": "31.07.2018",
            "previous_on": "20.10.2016",
        },
    )
    assert made.status_code == 201, made.text
    listed = made.json()
    assert [b["title"] for b in listed] == ["Erstbescheid", "1. Änderungsbescheid"]
    assert listed[1] == {
        **listed[1],
        "issued_on": "2018-02-15",
        "reference": "ZS-2018/0042",
        "amount": "250000.00",
        "end": "2018-07-31",
        "in_force": True,
    }
    assert http.get(f"/api/awards/{award_id}/bescheide", headers=headers).json() == (
        listed
    )
    # The plan of the new Bescheid is then edited like any plan.
    plan = http.put(
        f"/api/awards/{award_id}/plan",
        headers=headers,
        json=_plan("1000").model_dump(mode="json"),
    )
    assert plan.status_code == 200, plan.text
    money = http.get(f"/api/awards/{award_id}/money", headers=headers).json()
    assert money["amount"] == "250000.00"
    # The longer term moved the Verwendungsnachweis, as the award form does.
    after = _verwendungsnachweis_due(db_url, award_id)
    assert after != before and max(after) > max(before)
    _assert_versions_used(cli, db_url)
    # A second Änderungsbescheid keeps the first as it stands now (plan 1.000 €).
    second = http.post(
        f"/api/awards/{award_id}/bescheide",
        headers=headers,
        json={"issued_on": "01.03.2018", "reference": "ZS-2018/0077"},
    )
    assert second.status_code == 201, second.text
    listed = second.json()
    assert [b["title"] for b in listed][-1] == "2. Änderungsbescheid"
    # Amount and term left out stay as they are.
    assert listed[-1]["amount"] == "250000.00" and listed[-1]["end"] == "2018-07-31"
    _assert_versions_used(cli, db_url)
    log = http.get("/api/changes?size=50", headers=headers).json()["items"]
    texts = [item["text"] for item in log if item["entity"] == "award_versions"]
    assert "Bescheid „ZS-2018/0042“ angelegt" in texts
    assert (
        "Bescheid „ZS-2018/0042“: Finanzierungsplan Honorare 2017: 10.000,00 €, "
        "Sachausgaben 2017: 500,00 € → Honorare 2017: 10.000,00 €, "
        "Sachausgaben 2017: 1.000,00 €"
    ) in texts, texts
    # Deleting a Bescheid, and the undo from the change log.
    first = listed[0]["id"]
    gone = http.delete(f"/api/bescheide/{first}", headers=headers)
    assert gone.status_code == 200, gone.text
    assert [b["id"] for b in http.get(
        f"/api/awards/{award_id}/bescheide", headers=headers
    ).json()] == [listed[1]["id"], listed[2]["id"]]  # fmt: skip
    back = http.post(f"/api/changes/{gone.json()['change_id']}/undo", headers=headers)
    assert back.status_code == 200, back.text
    again = http.get(f"/api/awards/{award_id}/bescheide", headers=headers).json()
    assert again == listed
    viewer, viewer_headers = _key(db_url, "viewer")
    refused = viewer.post(
        f"/api/awards/{award_id}/bescheide",
        headers=viewer_headers,
        json={"issued_on": "01.03.2018"},
    )
    assert refused.status_code == 403
    http.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def web(db_url: str) -> Iterator[tuple[str, int]]:
    """A running web server on the scenario's database."""
    import uvicorn

    from portfolio.web import create_app

    award_id = _scenario(db_url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    app = create_app(make_settings(db_url, **{"web.base_url": base}))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield base, award_id
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()


def _text(locator: Any) -> str:
    return str(locator.inner_text()).replace("\xa0", " ")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt")
def test_browser_records_edits_lists_and_deletes_an_amendment(
    web: tuple[str, int], db_url: str, cli: Callable[..., Any]
) -> None:
    from playwright.sync_api import sync_playwright

    base, award_id = web
    with sync_playwright() as playwright:
        page = signed_in_page(playwright, base)
        browser = page.context.browser
        page.goto(f"/programme/{KEY}")
        page.get_by_role("link", name="Änderungsbescheid erfassen").first.click()
        # The current amount and term are filled in; a wrong date stays as typed.
        assert page.get_by_label("Bewilligungszeitraum von").input_value() == (
            "01.11.2016"
        )
        page.get_by_label("Datum des bisherigen Bescheids").fill("20.10.2016")
        page.get_by_label("Datum des Änderungsbescheids").fill("30.02.2018")
        page.get_by_label("Aktenzeichen").fill("ZS-2018/0042")
        page.get_by_label("Bewilligter Betrag (neu)").fill("250.000,00")
        page.get_by_label("Bewilligungszeitraum bis").fill("31.07.2018")
        page.get_by_role("button", name="Änderungsbescheid speichern").click()
        assert "gibt es nicht" in page.locator("#err-issued_on").inner_text()
        assert page.get_by_label("Aktenzeichen").input_value() == "ZS-2018/0042"
        assert page.get_by_label("Datum des Änderungsbescheids").input_value() == (
            "30.02.2018"
        )
        page.get_by_label("Datum des Änderungsbescheids").fill("15.02.2018")
        page.get_by_role("button", name="Änderungsbescheid speichern").click()
        # Then the plan of the new Bescheid in the plan form.
        page.wait_for_url("**/plan")
        assert "Änderungsbescheid erfasst" in page.locator(".flash").inner_text()
        row = page.get_by_label("Position 2", exact=True)
        assert row.input_value() == "Sachausgaben"
        page.locator("input[name=plan-1-2017]").fill("1.000")
        page.get_by_role("button", name="Speichern").click()
        page.wait_for_url("**/geld")
        table = page.locator("#bescheide")
        rows = table.locator("tbody tr")
        assert rows.count() == 2
        first, second = _text(rows.nth(0)), _text(rows.nth(1))
        assert "Erstbescheid" in first and "(gilt)" not in first
        assert "1. Änderungsbescheid" in second and "(gilt)" in second
        assert "15.02.2018" in second and "ZS-2018/0042" in second
        assert "250.000,00 €" in second and "01.11.2016 – 31.07.2018" in second
        _assert_versions_used(cli, db_url)
        # Delete the Erstbescheid, with confirmation, and undo it.
        table.get_by_role(
            "link", name=re.compile("Erstbescheid vom .* löschen")
        ).click()
        assert "Wirklich löschen" in page.locator("main").inner_text()
        page.get_by_role("button", name="Ja, löschen").click()
        assert "gelöscht" in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Rückgängig machen").is_visible()
        page.goto(f"/bewilligungen/{award_id}/geld")
        assert page.locator("#bescheide tbody tr").count() == 1
        # Undone from the change log, like any other delete.
        page.goto("/aenderungen")
        log = page.locator("main")
        assert "Bescheid „ZS-2018/0042“" in log.inner_text()
        gone = log.locator("tr", has_text="gelöscht").filter(has_text="Bescheid „")
        page.once("dialog", lambda dialog: dialog.accept())
        gone.first.get_by_role("button", name="wiederherstellen").click()
        page.wait_for_url(f"**/bewilligungen/{award_id}/geld")
        assert page.locator("#bescheide tbody tr").count() == 2
        assert "Erstbescheid" in _text(page.locator("#bescheide"))
        browser.close()
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        award = session.get(Award, award_id)
        assert award is not None and award.amount == Decimal("250000.00")
        assert session.scalar(sa.select(sa.func.count()).select_from(AwardVersion)) == 2
    engine.dispose()


def test_recorded_bescheide_survive_export_and_restore(
    db_url: str, tmp_path: Path
) -> None:
    award_id = _scenario(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        edit_versions.record(
            session,
            award_id,
            edit_versions.AmendmentIn.parse(
                {"previous_on": "20.10.2016", "issued_on": "15.02.2018",
                 "reference": "ZS-2018/0042", "amount": "250.000,00"}
            ),
        )  # fmt: skip
        edit_plan.save(session, award_id, _plan("1000"))
    with session_scope(engine, read_only=True) as session:
        exported = export_json(session)
    engine.dispose()
    award = next(
        a
        for p in json.loads(exported)["programmes"]
        for a in p["awards"]
        if a["reference"] == REF
    )
    assert [
        (v["issued_on"], v["reference"], v["amount"]) for v in award["versions"]
    ] == [
        ("2016-10-20", REF, None),  # the demo award names no amount
        ("2018-02-15", "ZS-2018/0042", "250000.00"),
    ]
    assert {"category": "Sachausgaben", "year": 2017, "planned": "500.00"} in (
        award["versions"][0]["budget_lines"]
    )
    other = open_database(f"sqlite:///{tmp_path / 'copy.db'}")
    with session_scope(other) as session:
        restore(session, exported)
    with session_scope(other, read_only=True) as session:
        again = export_json(session)
    other.dispose()
    assert again == exported


def test_a_refusal_of_the_award_form_writes_nothing(db_url: str) -> None:
    award_id = _scenario(db_url)
    engine = open_database(db_url)
    with session_scope(engine, "test") as session:
        award = session.get(Award, award_id)
        assert award is not None
        award.regime = "gibt-es-nicht"  # e.g. a regime file removed since
    engine.dispose()
    http, csrf = logged_in(db_url, "editor")
    answer = http.post(
        f"/bewilligungen/{award_id}/bescheide/neu",
        data={"csrf_token": csrf, "previous_on": "20.10.2016",
              "issued_on": "15.02.2018", "reference": "ZS-2018/0042"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert "Das Regelwerk „gibt-es-nicht“ gibt es nicht" in answer.text
    assert 'value="ZS-2018/0042"' in answer.text  # typed values kept
    http.app.state.engine.dispose()  # type: ignore[attr-defined]
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(AwardVersion))
    engine.dispose()
    assert count == 0
