"""The demo's reports carry its office: name and address stored with the demo.

`portfolio demo` stores the Regionales Bildungsbüro Kreis Recklinghausen (address from
the seed: Kreis Recklinghausen, Fachdienst Bildung, Kurt-Schumacher-Allee 1, 45657
Recklinghausen) as the database's defaults for ``office.name`` and ``office.address``;
a funder report and a Nachweis written afterwards show them (PDF text, Word text),
the settings file or environment still wins, and export/restore carry them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from portfolio.config import Settings, load_settings
from portfolio.services.export_json import export_json
from portfolio.services.restore_json import restore
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

NAME = "Regionales Bildungsbüro Kreis Recklinghausen"
ADDRESS = [
    "Kreis Recklinghausen, Fachdienst Bildung",
    "Kurt-Schumacher-Allee 1",
    "45657 Recklinghausen",
]


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) fehlt")
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def demo(tmp_path: Path, cli) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli("demo", db=url).exit_code == 0
    return url


def test_demo_funder_report_pdf_and_docx_carry_name_and_address(
    demo: str, cli, tmp_path: Path
) -> None:
    pdf = tmp_path / "bmbf.pdf"
    args = ["report", "funder", "BMBF", "--year", "2016"]
    result = cli(*args, "-o", str(pdf), db=demo)
    assert result.exit_code == 0, result.output
    text = _pdf_text(pdf)
    assert NAME in text
    for line in ADDRESS:
        assert line in text
    word = tmp_path / "bmbf.docx"
    assert cli(*args, "--format", "docx", "-o", str(word), db=demo).exit_code == 0
    document = docx.Document(str(word))
    first = document.paragraphs[0].text
    assert first.startswith(NAME)
    assert all(line in first for line in ADDRESS)
    assert NAME in document.sections[0].header.paragraphs[0].text


def test_demo_nachweis_has_the_address_as_sender(
    demo: str, cli, tmp_path: Path
) -> None:
    pdf = tmp_path / "zn.pdf"
    award = ["--award", "DEMO-KOKO-2016", "--year", "2016"]
    result = cli(
        "report", "nachweis", "kommunale-koordinierung", *award, "-o", str(pdf), db=demo
    )
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in _pdf_text(pdf).splitlines()]
    start = lines.index(ADDRESS[0])
    assert lines[start : start + 3] == ADDRESS
    assert NAME in lines[:start]


def test_the_settings_still_win_over_the_demo(
    demo: str, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "anders.toml"
    config.write_text(
        '[office]\nname = "Bildungsbüro Musterstadt"\n'
        'address = "Rathausplatz 1\\n12345 Musterstadt"\n',
        encoding="utf-8",
    )
    html = tmp_path / "b.html"
    result = cli("--config", str(config), "report", "funder", "BMBF", "--year",
                 "2016", "--format", "html", "-o", str(html), db=demo)  # fmt: skip
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert "Bildungsbüro Musterstadt" in text and "Rathausplatz 1" in text
    assert "Kreis Recklinghausen" not in text.split("<h1>")[0]
    # Only the name set: the address still comes from the demo.
    monkeypatch.setenv("PORTFOLIO_OFFICE_NAME", "Bildungsbüro Musterstadt")
    result = cli("report", "funder", "BMBF", "--year", "2016", "--format", "html",
                 "-o", str(html), db=demo)  # fmt: skip
    head = html.read_text(encoding="utf-8").split("<h1>")[0]
    assert "Bildungsbüro Musterstadt" in head and NAME not in head
    assert "Kurt-Schumacher-Allee 1" in head


def test_export_and_restore_carry_the_office(demo: str, db_url: str) -> None:
    engine = open_database(demo)
    with session_scope(engine, read_only=True) as session:
        exported = export_json(session)
    engine.dispose()
    office = json.loads(exported)["office"]
    assert office == {"name": NAME, "address": "\n".join(ADDRESS)}
    other = open_database(db_url)
    with session_scope(other) as session:
        restore(session, exported)
    with session_scope(other, read_only=True) as session:
        again = export_json(session)
    other.dispose()
    assert again == exported


def test_database_defaults_fill_only_what_nobody_set(tmp_path: Path) -> None:
    defaults = {"office.name": NAME, "office.address": "\n".join(ADDRESS)}
    plain = load_settings(environ={}).with_database_defaults(defaults)
    assert plain.get("office.name") == NAME
    assert plain.office_address_lines == ADDRESS
    named = load_settings(environ={"PORTFOLIO_OFFICE_NAME": "Bildungsbüro X"})
    merged = named.with_database_defaults(defaults)
    assert merged.get("office.name") == "Bildungsbüro X"
    assert merged.office_address_lines == ADDRESS
    given = Settings({"office.address": "Markt 2"}).with_database_defaults(defaults)
    assert given.office_address_lines == ["Markt 2"]
    assert given.get("office.name") == NAME


def test_the_web_reports_and_pages_carry_the_demo_office(tmp_path: Path) -> None:
    from web_support import logged_in, prepare_db

    url = f"sqlite:///{tmp_path / 'web.db'}"
    prepare_db(url)
    http, _ = logged_in(url, "viewer")
    page = http.get("/")
    assert NAME in page.text
    answer = http.get(
        "/berichte/bericht",
        params={"art": "funder", "subjekt": "BMBF", "jahr": 2016, "format": "html"},
    )
    assert answer.status_code == 200
    head = answer.text.split("<h1>")[0]
    assert NAME in head
    assert " · ".join(ADDRESS) in head
