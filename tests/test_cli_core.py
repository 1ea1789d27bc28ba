"""The core commands as a user runs them: demo, programmes, show, export, restore.

Every bad input ends with one German line and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_demo_prints_overview_with_stichtag(cli, db_url: str) -> None:
    result = cli("demo", db=db_url)
    assert result.exit_code == 0, result.output
    assert "Stichtag 15.03.2017" in result.output
    assert "Zukunftsstadt" in result.output
    assert "KoKo" in result.output or "Kommunale Koordinierung" in result.output
    assert "398.856,00 €" in result.output


def test_demo_refuses_non_empty_database_unless_reset(cli, sqlite_url: str) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    again = cli("demo", db=sqlite_url)
    assert again.exit_code == 2
    assert "--reset" in again.output
    reset = cli("demo", "--reset", "--today", "01.06.2017", db=sqlite_url)
    assert reset.exit_code == 0, reset.output
    assert "Stichtag 01.06.2017" in reset.output


def test_export_restore_export_is_byte_identical(
    cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    first = tmp_path / "first.json"
    assert cli("export", "json", "-o", str(first), db=db_url).exit_code == 0
    other = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = cli("restore", str(first), db=other)
    assert restored.exit_code == 0, restored.output
    second = cli("export", "json", db=other)
    assert second.exit_code == 0
    assert second.stdout_bytes == first.read_bytes()
    document = json.loads(first.read_text("utf-8"))
    assert document["format"] == "portfolio/1"
    assert document["stichtag"] == "2017-03-15"
    zukunft = next(p for p in document["programmes"] if p["key"] == "zukunftsstadt")
    assert any(
        p["start"] == "2016-11-01" and p["end"] == "2018-04-30"
        for p in zukunft["phases"]
    )


def test_two_exports_are_identical(cli, sqlite_url: str) -> None:
    cli("demo", db=sqlite_url)
    assert (
        cli("export", "json", db=sqlite_url).stdout_bytes
        == cli("export", "json", db=sqlite_url).stdout_bytes
    )


def test_programmes_and_show(cli, sqlite_url: str) -> None:
    cli("demo", db=sqlite_url)
    listing = cli("programmes", db=sqlite_url)
    assert listing.exit_code == 0
    assert "Nächste Frist" in listing.output
    assert "seit 11/2009" in listing.output  # Regionales Bildungsnetzwerk, open-ended
    shown = cli("show", "zukunftsstadt", db=sqlite_url)
    assert shown.exit_code == 0, shown.output
    assert "01.11.2016 – 30.04.2018" in shown.output
    # Phase I is known to the month, Phase II to the day: written as the office does;
    # Phase I ends (10/2016) before Phase II begins (01.11.2016).
    assert "Laufzeit: 01/2015 – 30.04.2018" in shown.output
    assert "01/2015 – 10/2016" in shown.output
    assert "BMBF" in shown.output
    missing = cli("show", "zukunftstadt", db=sqlite_url)
    assert missing.exit_code == 2
    assert "Meinten Sie zukunftsstadt?" in missing.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "kein-url", "programmes"], "keine Datenbank-URL"),
        (["--db", "mysql://x@y/z", "programmes"], "nicht unterstützt"),
        (["--db", "sqlite:////no/such/folder/x.db", "programmes"], "existiert nicht"),
        (["restore", "missing.json"], "gibt es nicht"),
        (["show"], "Es fehlt"),
        (["--frobnicate"], "Unbekannte Option"),
        (["demo", "--today", "32.13.2017"], "kein Datum"),
    ],
)
def test_bad_input_is_one_german_line_exit_2(
    cli, args: list[str], message: str, tmp_path: Path
) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_file_that_is_not_sqlite(cli, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("Dies ist keine Datenbank, nur eine Notiz.\n" * 50)
    result = cli("programmes", db=f"sqlite:///{bogus}")
    assert result.exit_code == 2
    assert "keine SQLite-Datenbank" in result.output
    assert bogus.read_text().startswith("Dies ist keine Datenbank")


def test_restore_of_a_broken_document_names_the_path(cli, tmp_path: Path) -> None:
    from portfolio.demo import demo_path

    document = json.loads(demo_path().read_text("utf-8"))
    document["programmes"][3]["phases"][0]["end"] = "1999-01-01"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = cli("restore", str(broken), db=db)
    assert result.exit_code == 2
    assert "programmes[3].phases[0].end" in result.output
    assert json.loads(cli("export", "json", db=db).output)["programmes"] == []
    not_json = tmp_path / "x.json"
    not_json.write_text("{ nope", encoding="utf-8")
    assert "kein gültiges JSON" in cli("restore", str(not_json), db=db).output


def test_restore_refuses_a_misspelt_override_naming_the_rules(
    cli, tmp_path: Path
) -> None:
    from portfolio.demo import demo_path

    document = json.loads(demo_path().read_text("utf-8"))
    award = document["programmes"][4]["awards"][0]  # KoKo, bund-anbest-gk
    award["overrides"] = {"BUND_ANBESTGK_VNN": "31.03.2019"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = cli("restore", str(broken), db=db)
    assert result.exit_code == 2
    assert "programmes[4].awards[0].overrides" in result.output
    assert "BUND_ANBESTGK_VNN" in result.output
    assert "BUND_ANBESTGK_VN, BUND_VERLAENGERUNG" in result.output
    assert "Traceback" not in result.output


def test_show_explains_missing_and_assumed_deadlines(cli, sqlite_url: str) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    kaoa = cli("show", "kaoa", db=sqlite_url).output
    assert "Bewilligung DEMO-KAOA: Keine Fristen: Bewilligungszeitraum fehlt" in kaoa
    zukunft = cli("show", "zukunftsstadt", db=sqlite_url).output
    # ANBest-Gk: twelve months after 30.04.2018 either way: 30.04.2019.
    assert (
        "Verwendungsnachweis: Zweckerfüllung nicht eingetragen: angenommen am "
        "letzten Tag des Bewilligungszeitraums (30.04.2018), das ergibt die frühere "
        "Frist 30.04.2019 (zugleich die äußerste Grenze)"
    ) in zukunft
    assert (
        "Fristende 30.04.2017 (Sonntag), 01.05.2017 (Feiertag: Erster Mai)" in zukunft
    )


def test_help_is_german(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "Aufruf:" in result.output
    assert "Befehle" in result.output
    assert "Diese Hilfe zeigen und beenden." in result.output


@pytest.mark.parametrize(
    ("args", "german"),
    [
        (["deadlines", "--days", "abc"], "'abc' ist keine Zahl."),
        (["done", "9", "--status", "bogus"], "'bogus' ist keiner der Werte"),
        (["export", "json", "-o", "."], "ist ein Ordner, keine Datei."),
        (["show", "a", "b"], "Überzählige Angabe: b."),
        (["deadlines", "--days"], "Zur Option '--days' fehlt der Wert."),
    ],
)
def test_click_errors_are_german(cli, args: list[str], german: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert german in result.output
    for english in ("is not", "Got unexpected", "requires an argument", "is a dir"):
        assert english not in result.output


def test_group_without_command_shows_german_help(cli) -> None:
    result = cli("db")
    assert result.exit_code == 2
    assert "Fehler" not in result.output
    assert " db [OPTIONEN] BEFEHL [ARGUMENTE]..." in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["deadlines"],
        ["narrative"],
        ["show"],
        ["restore"],
        ["imports", "undo"],
        ["report", "programme"],
        ["serve"],
        ["reminders"],
        ["import"],
        ["export", "json"],
        ["export", "ics"],
        ["report"],
    ],
)
def test_every_help_is_german(cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    for english in (
        "OPTIONS",
        "COMMAND",
        "[default",
        "required]",
        "INTEGER",
        " KEY",
        " FILE",
        "KEY",
        "BATCH",
    ):
        assert english not in result.output, (command, english)


@pytest.mark.parametrize(
    "command",
    [
        ["export", "json"],
        ["export", "ics"],
        ["export", "xlsx"],
        ["report", "funder", "BMBF", "--year", "2017", "--format", "html"],
    ],
)
def test_unwritable_output_is_a_german_line_and_leaves_nothing(
    cli, sqlite_url: str, tmp_path: Path, command: list[str]
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    blocker = tmp_path / "kein-ordner.txt"
    blocker.write_text("eine Datei, wo ein Ordner sein müsste\n", encoding="utf-8")
    missing = cli(*command, "-o", str(tmp_path / "fehlt" / "x"), db=sqlite_url)
    assert missing.exit_code == 2, missing.output
    assert "existiert nicht" in missing.output
    result = cli(*command, "-o", str(blocker / "x"), db=sqlite_url)
    assert result.exit_code == 2, result.output
    assert "lässt sich nicht schreiben: ein Teil des Pfads ist kein Ordner." in (
        result.output
    )
    assert "Errno" not in result.output
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_narrative_from_a_folder_is_a_german_line(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    args = ["narrative", "zukunftsstadt", "--year", "2017", "--section", "ziele"]
    result = cli(*args, "--from", str(tmp_path), db=sqlite_url)
    assert result.exit_code == 2, result.output
    assert "das ist ein Ordner, keine Datei." in result.output


def test_database_url_naming_a_folder_is_a_german_line(cli, tmp_path: Path) -> None:
    result = cli("programmes", db=f"sqlite:///{tmp_path}")
    assert result.exit_code == 2, result.output
    assert "ist ein Ordner, keine Datenbankdatei" in result.output


def test_postgres_database_that_does_not_exist_is_explained(cli) -> None:
    import os

    from sqlalchemy.engine import make_url

    base = os.environ.get("PORTFOLIO_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL-Tests übersprungen: PORTFOLIO_TEST_POSTGRES_URL fehlt")
    url = make_url(base).set(database="gibt_es_nicht_qa")
    result = cli("programmes", db=url.render_as_string(hide_password=False))
    assert result.exit_code == 2, result.output
    assert "Die Datenbank 'gibt_es_nicht_qa' gibt es auf dem Server nicht" in (
        result.output
    )
    assert "does not exist" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "ist ein Ordner, keine Datei."),
        (b"", "die Datei ist leer."),
        (b"PK\x03\x04\xff\xfe\x00", "ist keine Textdatei (UTF-8)"),
        (b"{ nope", "kein gültiges JSON (Zeile 1, Spalte 3)."),
        (b"{}", "ohne Angabe format"),
    ],
)
def test_unusable_backup_is_german_and_creates_no_database(
    cli, tmp_path: Path, content: bytes | None, message: str
) -> None:
    backup = tmp_path / "sicherung.json"
    if content is None:
        backup.mkdir()
    else:
        backup.write_bytes(content)
    target = tmp_path / "neu.db"
    result = cli("restore", str(backup), db=f"sqlite:///{target}")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Expecting" not in result.output and "Errno" not in result.output
    if content is None or content.startswith(b"PK"):
        assert not target.exists()  # refused before the database was opened


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "ist ein Ordner; --config erwartet eine TOML-Datei."),
        ("[database\nurl =", "ist kein gültiges TOML (Zeile 1, Spalte 10)."),
        (
            '[office]\nnmae = "X"\n',
            "'office.nmae' gibt es nicht – meinten Sie office.name?",
        ),
        ('[mail]\nsmtp_port = "abc"\n', "mail.smtp_port muss eine ganze Zahl sein"),
        ('[office]\ntimezone = "Mars/Phobos"\n', "keine bekannte Zeitzone"),
    ],
)
def test_bad_config_file_is_one_german_line(
    cli, tmp_path: Path, content: str | None, message: str
) -> None:
    config = tmp_path / "portfolio-qa.toml"
    if content is None:
        config.mkdir()
    else:
        config.write_text(content, encoding="utf-8")
    result = cli("--config", str(config), "programmes")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Expected" not in result.output and "Errno" not in result.output


@pytest.mark.parametrize(("search", "found"), [("%", 0), ("_", 0), ("MINI.MINT", 1)])
def test_programme_search_takes_wildcards_literally(
    cli, db_url: str, search: str, found: int
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    result = cli("programmes", "--search", search, db=db_url)
    assert result.exit_code == 0, result.output
    if found:
        assert f"Programme ({found})" in result.output
    else:
        assert "Keine Programme gefunden." in result.output


def test_workbook_year_out_of_range_is_refused(cli, sqlite_url: str) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    result = cli("export", "xlsx", "--year", "1800", "-o", "x.xlsx", db=sqlite_url)
    assert result.exit_code == 2, result.output
    assert "1990 bis 2100" in result.output
    assert not Path("x.xlsx").exists()


def test_deadlines_kind_aufbewahrung_lists_every_retention_date(
    cli, sqlite_url: str
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    result = cli("deadlines", "--kind", "aufbewahrung", "--days", "0", db=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "Aufbewahrungsfristen (4)" in result.output
    # Zukunftsstadt II: VN due 30.04.2019 (ANBest-Gk), kept 5 years: 30.04.2024,
    # far beyond --days 0, and provisional until the VN is marked submitted.
    assert "30.04.2024" in result.output and "vorläufig" in result.output
    plain = cli("deadlines", "--days", "3650", db=sqlite_url).output
    assert "Aufbewahrungsfrist" not in plain
