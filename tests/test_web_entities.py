"""Entity forms over HTTP: create, edit, delete, German messages, typed values kept.

A real app on a SQLite file with the demo portfolio; each form is posted the way a
browser posts it (CSRF token, strings as typed).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web_support import logged_in, prepare_db, sqlite_file

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import (
    Funder,
    Obligation,
    Partner,
    Programme,
    ProgrammePartner,
    Reminder,
)
from portfolio.domain.reminders import Stages
from portfolio.services import reminders
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


@pytest.fixture
def editor(tmp_path: Path) -> tuple[Any, str, str]:
    url = sqlite_file(tmp_path)
    prepare_db(url)
    http, token = logged_in(url, "editor")
    return http, token, url


def _scalar(url: str, query: Any) -> Any:
    engine = open_database(url)
    with engine.connect() as connection:
        value = connection.execute(query).scalar()
    engine.dispose()
    return value


def test_programme_form_creates_and_keeps_typed_values_on_error(
    editor: tuple[Any, str, str],
) -> None:
    http, token, _url = editor
    page = http.get("/programme/neu")
    assert page.status_code == 200 and "Programm anlegen" in page.text
    bad = http.post(
        "/programme/neu",
        data={"csrf_token": token, "name": "", "field_of_action": "Übergang Schule"},
    )
    assert bad.status_code == 422
    assert "Bitte ausfüllen." in bad.text
    assert 'value="Übergang Schule"' in bad.text
    ok = http.post(
        "/programme/neu",
        data={
            "csrf_token": token,
            "name": "Übergänge gestalten",
            "tags": "a, b",
            "status": "idea",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    assert ok.headers["location"] == "/programme/uebergaenge-gestalten"
    assert "Übergänge gestalten" in http.get(ok.headers["location"]).text


def test_award_form_amounts_preview_and_save(editor: tuple[Any, str, str]) -> None:
    http, token, url = editor
    bmbf = _scalar(url, sa.select(Funder.id).where(Funder.short_name == "BMBF"))
    form = {
        "csrf_token": token,
        "funder_id": str(bmbf),
        "kind": "bescheid",
        "reference": "01JL1799",
        "start": "1.4.17",
        "end": "31.3.2019",
        "amount": "zwölf",
        "regime": "bund-anbest-gk",
    }
    bad = http.post("/programme/zukunftsstadt/bewilligungen/neu", data=form)
    assert bad.status_code == 422
    assert "ist kein Betrag" in bad.text and 'value="1.4.17"' in bad.text
    form["amount"] = "120 TEUR"
    preview = http.post("/programme/zukunftsstadt/bewilligungen/folgen", data=form)
    assert "Neu: " in preview.text
    saved = http.post(
        "/programme/zukunftsstadt/bewilligungen/neu", data=form, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    page = http.get("/programme/zukunftsstadt").text
    assert "120.000,00 €" in page


def test_period_change_shows_which_deadline_moves(editor: tuple[Any, str, str]) -> None:
    http, token, _url = editor
    page = http.get("/programme/kommunale-koordinierung").text
    award_id = re.search(r"/bewilligungen/(\d+)/bearbeiten", page)
    assert award_id
    edit = http.get(f"/bewilligungen/{award_id[1]}/bearbeiten")
    assert 'value="30.06.2018"' in edit.text
    form = dict(
        re.findall(r'<input id="f-\w+" name="(\w+)" value="([^"]*)"', edit.text)
    )
    form.update(csrf_token=token, funder_id=re.search(
        r'name="funder_id"[^>]*>.*?<option value="(\d+)" selected', edit.text, re.S
    )[1], kind="bescheid", regime="bund-anbest-gk", end="30.9.2018")  # fmt: skip
    shown = http.post(
        f"/bewilligungen/{award_id[1]}/bearbeiten", data={**form, "aktion": "vorschau"}
    )
    assert "verschiebt sich vom" in shown.text, shown.text
    saved = http.post(
        f"/bewilligungen/{award_id[1]}/bearbeiten", data=form, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "verschiebt sich vom" in http.get(saved.headers["location"]).text


def _pending(url: str, title: str) -> int:
    return int(
        _scalar(
            url,
            sa.select(sa.func.count())
            .select_from(Reminder)
            .join(Obligation, Obligation.id == Reminder.obligation_id)
            .join(Programme, Obligation.programme_id == Programme.id)
            .where(
                Programme.key == "kommunale-koordinierung",
                Obligation.title == title,
                Reminder.status == ReminderStatus.PENDING,
            ),
        )
    )


def test_period_change_names_the_reminders_it_cancels(
    editor: tuple[Any, str, str],
) -> None:
    http, token, url = editor
    # Reminders planned on 01.04.2017: the Zwischennachweis 2016 (due 02.05.2017)
    # has its reminders waiting.
    engine = open_database(url)
    with session_scope(engine) as session:
        reminders.plan(session, date(2017, 4, 1), Stages(), None)
    engine.dispose()
    title = "Zwischennachweis 2016"
    waiting = _pending(url, title)
    assert waiting > 0
    page = http.get("/programme/kommunale-koordinierung").text
    award_id = re.search(r"/bewilligungen/(\d+)/bearbeiten", page)
    assert award_id
    edit = http.get(f"/bewilligungen/{award_id[1]}/bearbeiten")
    form = dict(
        re.findall(r'<input id="f-\w+" name="(\w+)" value="([^"]*)"', edit.text)
    )
    form.update(csrf_token=token, funder_id=re.search(
        r'name="funder_id"[^>]*>.*?<option value="(\d+)" selected', edit.text, re.S
    )[1], kind="bescheid", regime="bund-anbest-gk")  # fmt: skip
    # The Bewilligungszeitraum now starts in 2017 and ends three months later.
    form.update(start="1.1.17", end="30.9.18")
    shown = http.post(f"/bewilligungen/{award_id[1]}/folgen", data=form)
    assert shown.status_code == 200, shown.text
    lines = re.findall(r"<li>([^<]*)</li>", shown.text.replace("&#34;", '"'))
    assert any("Verwendungsnachweis verschiebt sich vom" in line for line in lines)
    assert f"Entfällt: {title} (bisher 02.05.2017)." in lines
    # As saving does: the retention date follows the VN, the spending deadlines
    # of the payments are no rule deadlines of the Bescheid.
    retention = "„Aufbewahrungsfrist der Unterlagen endet“"
    assert f"{retention} verschiebt sich vom 30.06.2024 auf den 30.09.2024." in lines
    assert not [line for line in lines if "Mittel verwenden" in line], lines
    cancelled = (
        f"{waiting} geplante Erinnerungen zu „{title}“ werden storniert."
        if waiting > 1
        else f"1 geplante Erinnerung zu „{title}“ wird storniert."
    )
    assert cancelled in lines, lines
    assert _pending(url, title) == waiting  # a preview changes nothing
    saved = http.post(
        f"/bewilligungen/{award_id[1]}/bearbeiten", data=form, follow_redirects=False
    )
    assert saved.status_code == 303
    assert cancelled in http.get(saved.headers["location"]).text
    assert _pending(url, title) == 0
    kept = _scalar(
        url,
        sa.select(Obligation.due_on)
        .join(Programme, Obligation.programme_id == Programme.id)
        .where(
            Programme.key == "kommunale-koordinierung",
            Obligation.title == "Aufbewahrungsfrist der Unterlagen endet",
        ),
    )
    assert kept == date(2024, 9, 30)


def test_master_data_forms_and_delete_with_undo(editor: tuple[Any, str, str]) -> None:
    http, token, url = editor
    for path, data, error in (
        ("/kontakte/neu", {"name": "Frau Muster", "email": "muster@kreis-re.de"},
         {"name": "X", "email": "kein-at"}),
        ("/partner/neu", {"name": "Stadt Marl", "kind": "Stadt"}, {"name": ""}),
        ("/foerdergeber/neu", {"short_name": "MKFFI", "name": "Ministerium",
                               "kind": "land"}, {"short_name": "BMBF", "name": "x",
                                                 "kind": "land"}),
    ):  # fmt: skip
        bad = http.post(path, data={"csrf_token": token, **error})
        assert bad.status_code == 422, path
        assert 'class="error"' in bad.text
        ok = http.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert ok.status_code == 303, (path, ok.text)
    assert "Stadt Marl" in http.get("/stammdaten").text
    deadlines = _scalar(
        url,
        sa.select(sa.func.count()).select_from(Obligation)
        .join(Programme).where(Programme.key == "zukunftsstadt"),
    )  # fmt: skip
    ask = http.get("/programme/zukunftsstadt/loeschen")
    assert f"{deadlines} Fristen" in ask.text
    done = http.post("/programme/zukunftsstadt/loeschen", data={"csrf_token": token})
    assert "gelöscht" in done.text
    assert http.get("/programme/zukunftsstadt").status_code == 404
    change = re.search(r"/aenderungen/(\d+)/wiederherstellen", done.text)
    assert change
    http.post(change[0], data={"csrf_token": token})
    assert http.get("/programme/zukunftsstadt").status_code == 200


def test_viewer_cannot_open_forms(tmp_path: Path) -> None:
    url = sqlite_file(tmp_path)
    prepare_db(url)
    http, token = logged_in(url, "viewer")
    assert http.get("/programme/neu").status_code == 403
    assert http.post("/kontakte/neu", data={"csrf_token": token}).status_code == 403


def test_deleted_phase_is_restored_from_the_programme_history(
    editor: tuple[Any, str, str],
) -> None:
    http, token, _ = editor
    page = http.get("/programme/zukunftsstadt").text
    phase = re.search(r'/phasen/(\d+)/bearbeiten" aria-label="Phase Phase II', page)
    assert phase
    http.post(f"/phasen/{phase[1]}/loeschen", data={"csrf_token": token})
    page = http.get("/programme/zukunftsstadt").text
    assert 'aria-label="Phase Phase II bearbeiten"' not in page
    restore = re.search(r"/aenderungen/(\d+)/wiederherstellen", page)
    assert restore, "the history offers the undo of the deleted phase"
    back = http.post(restore[0], data={"csrf_token": token}, follow_redirects=False)
    assert back.headers["location"] == "/programme/zukunftsstadt"
    page = http.get("/programme/zukunftsstadt").text
    assert "Phase „Phase II“ wiederhergestellt." in page
    assert 'aria-label="Phase Phase II bearbeiten"' in page


def test_programme_archived_instead_of_deleted(editor: tuple[Any, str, str]) -> None:
    http, token, _ = editor
    ask = http.get("/programme/lernen-vor-ort/loeschen")
    assert "Stattdessen archivieren" in ask.text
    done = http.post(
        "/programme/lernen-vor-ort/archivieren",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/programme/lernen-vor-ort"
    page = http.get("/programme/lernen-vor-ort").text
    assert "archiviert" in page and "abgeschlossen" in page


def _role(url: str, partner: str, programme: str) -> Any:
    return _scalar(
        url,
        sa.select(ProgrammePartner.role)
        .join(Partner, ProgrammePartner.partner_id == Partner.id)
        .join(Programme, ProgrammePartner.programme_id == Programme.id)
        .where(Partner.name == partner, Programme.short_name == programme),
    )


def test_partner_form_edits_the_role_in_each_programme(
    editor: tuple[Any, str, str],
) -> None:
    http, token, url = editor
    ident = _scalar(url, sa.select(Partner.id).where(Partner.name == "Castrop-Rauxel"))
    form = http.get(f"/partner/{ident}/bearbeiten").text
    assert "Rolle je Programm" in form
    assert "RBN = Mitglied im Regionalen Lenkungskreis" in form
    typed = {
        "csrf_token": token,
        "name": "Castrop-Rauxel",
        "kind": "Stadt",
        "roles": "RBN = Sprecherstadt\nZukunftsstadt = Gast",
    }
    bad = http.post(f"/partner/{ident}/bearbeiten", data=typed)
    assert bad.status_code == 422
    assert "gehört nicht zum Programm „Zukunftsstadt“" in bad.text
    assert "RBN = Sprecherstadt" in bad.text  # what was typed stays
    assert _role(url, "Castrop-Rauxel", "RBN") == "Mitglied im Regionalen Lenkungskreis"
    typed["roles"] = "rbn = Sprecherstadt"  # key, short name or name
    ok = http.post(f"/partner/{ident}/bearbeiten", data=typed, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    assert _role(url, "Castrop-Rauxel", "RBN") == "Sprecherstadt"
    # A programme left out of the list loses its role, not its partner.
    assert _role(url, "Castrop-Rauxel", "Bildungsmonitoring") is None
    members = _scalar(
        url,
        sa.select(sa.func.count())
        .select_from(ProgrammePartner)
        .where(ProgrammePartner.partner_id == ident),
    )
    assert members >= 2
    changes = http.get("/aenderungen").text
    assert "Sprecherstadt" in changes


def test_partner_roles_are_shown_on_the_programme_page_and_in_stammdaten(
    editor: tuple[Any, str, str],
) -> None:
    http, token, url = editor
    ident = _scalar(url, sa.select(Partner.id).where(Partner.name == "Castrop-Rauxel"))
    programme = http.get("/programme/bildungsnetzwerk").text
    partners = programme.split('id="partner"', 1)[1].split("</section>", 1)[0]
    assert (
        "Castrop-Rauxel (Kommune) – Rolle: Mitglied im Regionalen Lenkungskreis"
        in partners
    )
    assert 'aria-label="Partner Castrop-Rauxel bearbeiten"' in partners
    http.post(
        f"/partner/{ident}/bearbeiten",
        data={
            "csrf_token": token,
            "name": "Castrop-Rauxel",
            "kind": "kommune",
            "roles": "RBN = Sprecherstadt",
        },
    )
    programme = http.get("/programme/bildungsnetzwerk").text
    assert "Castrop-Rauxel (Kommune) – Rolle: Sprecherstadt" in programme
    master = http.get("/stammdaten").text
    entry = master.split("Castrop-Rauxel (Kommune)", 1)[1].split("</ul>", 1)[0]
    assert '<a href="/programme/bildungsnetzwerk">RBN</a>: Sprecherstadt' in entry
    # The role cleared by the left-out line reads as such, not as a blank.
    assert "Bildungsmonitoring</a>: keine Rolle erfasst" in entry
    assert "(bildungstraeger)" not in master
    assert "Bildungszentrum des Handels e.V. (BZdH) (Bildungsträger)" in master
    # Viewers read the roles too, without the edit links.
    viewer, _ = logged_in(url, "viewer")
    seen = viewer.get("/programme/bildungsnetzwerk").text
    assert "Castrop-Rauxel (Kommune) – Rolle: Sprecherstadt" in seen
    assert "Partner Castrop-Rauxel bearbeiten" not in seen
    assert "RBN</a>: Sprecherstadt" in viewer.get("/stammdaten").text
