"""Invariants of the shipped demo portfolio that a user of `portfolio demo` notices.

The demo file is read as plain JSON here, independent of the restore code: it must be a
well-formed ``portfolio/1`` document (DESIGN §7) with sorted lists and resolvable
references, describe the Kreis Recklinghausen portfolio of the seed, carry only amounts
that a source gives, and name no real person (role mailboxes at example.org only).
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from portfolio.demo import demo_path
from portfolio.domain.enums import (
    ApplicationStatus,
    AwardKind,
    FunderKind,
    ObligationKind,
    ObligationStatus,
    Precision,
    ProgrammeStatus,
)

Doc = dict[str, Any]

STICHTAG = date(2017, 3, 15)
CITIES = {
    "Castrop-Rauxel",
    "Datteln",
    "Dorsten",
    "Gladbeck",
    "Haltern am See",
    "Herten",
    "Marl",
    "Oer-Erkenschwick",
    "Recklinghausen",
    "Waltrop",
}
REGIMES = {
    "bund-anbest-p",
    "bund-anbest-gk",
    "nrw-anbest-g",
    "nrw-anbest-p",
    "nrw-einfacher-vn",
    "stiftung-mercator",
    "stiftung-generic",
    "kooperationsvertrag",
}
# Every figure the demo may contain, with the source that gives it.
SOURCED_AMOUNTS = {
    "398856.00": "Kommunale Koordinierung Neuzugewanderte "
    "(recklinghausen-stadt.de/node/2315, 21.12.2016)",
    "200000.00": "Zukunftsstadt Phase II, Höchstbetrag je Kommune "
    "(presse-service.de 28.07.2016)",
}
MONEY_FIELDS = {"amount", "planned", "requested", "own_contribution"}
MONEY = re.compile(r"^\d+\.\d{2}$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@pytest.fixture(scope="module")
def doc() -> Doc:
    """The demo portfolio as parsed JSON."""
    data: Doc = json.loads(demo_path().read_text(encoding="utf-8"))
    return data


def _programme(doc: Doc, key: str) -> Doc:
    matches: list[Doc] = [p for p in doc["programmes"] if p["key"] == key]
    assert len(matches) == 1, f"programme {key!r} missing or duplicated"
    return matches[0]


def _walk(node: object, path: str = "$") -> Iterator[tuple[str, str, object]]:
    """Yield (path, field name, value) for every field in the document."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield path, name, value
            yield from _walk(value, f"{path}.{name}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{path}[{index}]")


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _is_sorted(items: list[Doc], key: Any) -> bool:
    keys = [key(item) for item in items]
    return keys == sorted(keys) and len(set(keys)) == len(keys)


def test_demo_file_ships_inside_the_package() -> None:
    assert demo_path().is_file()
    assert demo_path().parent.name == "demo"


def test_document_header(doc: Doc) -> None:
    assert list(doc) == [
        "format",
        "stichtag",
        "office",
        "funders",
        "contacts",
        "partners",
        "programmes",
    ]
    assert doc["format"] == "portfolio/1"
    assert _day(doc["stichtag"]) == STICHTAG


def test_every_list_is_sorted_by_its_natural_key(doc: Doc) -> None:
    assert _is_sorted(doc["funders"], lambda f: f["short_name"])
    assert _is_sorted(doc["contacts"], lambda c: c["email"])
    assert _is_sorted(doc["partners"], lambda p: p["name"])
    assert _is_sorted(doc["programmes"], lambda p: p["key"])
    for p in doc["programmes"]:
        where = p["key"]
        assert _is_sorted(p["phases"], lambda x: (x["start"], x["name"])), where
        assert _is_sorted(p["fundings"], lambda x: x["funder"]), where
        assert _is_sorted(p["partners"], lambda x: x["partner"]), where
        assert _is_sorted(p["awards"], lambda x: (x["funder"], x["reference"])), where
        assert _is_sorted(
            p["obligations"], lambda x: (x["due"], x["kind"], x["title"])
        ), where
        assert p["tags"] == sorted(set(p["tags"])), where


def test_references_resolve(doc: Doc) -> None:
    funders = {f["short_name"] for f in doc["funders"]}
    contacts = {c["email"] for c in doc["contacts"]}
    partners = {p["name"] for p in doc["partners"]}
    keys = {p["key"] for p in doc["programmes"]}
    for f in doc["funders"]:
        assert f["parent"] in funders | {None}, f["short_name"]
    for p in doc["programmes"]:
        where = p["key"]
        assert p["lead"] in contacts, where
        assert p["parent"] in keys | {None}, where
        assert p["parent"] != p["key"], where
        phases = {ph["name"] for ph in p["phases"]}
        references = {a["reference"] for a in p["awards"]}
        assert {x["partner"] for x in p["partners"]} <= partners, where
        for item in p["fundings"] + p["applications"] + p["awards"]:
            assert item["funder"] in funders, where
        for item in p["applications"] + p["awards"]:
            assert item["phase"] in phases | {None}, where
        for o in p["obligations"]:
            assert o["responsible"] in contacts | {None}, (where, o["title"])
            assert o["award"] in references | {None}, (where, o["title"])


def test_enums_and_regimes_are_known(doc: Doc) -> None:
    for f in doc["funders"]:
        FunderKind(f["kind"])
    for p in doc["programmes"]:
        ProgrammeStatus(p["status"])
        for ph in p["phases"]:
            Precision(ph["precision"])
        for app in p["applications"]:
            ApplicationStatus(app["status"])
        for a in p["awards"]:
            AwardKind(a["kind"])
            assert a["regime"] in REGIMES, (p["key"], a["reference"])
        for o in p["obligations"]:
            ObligationKind(o["kind"])
            ObligationStatus(o["status"])


def test_periods_are_consistent_with_their_precision(doc: Doc) -> None:
    for p in doc["programmes"]:
        for ph in p["phases"]:
            start = _day(ph["start"])
            end = _day(ph["end"]) if ph["end"] else None
            where = (p["key"], ph["name"])
            assert end is None or start <= end, where
            if ph["precision"] in (Precision.MONTH, Precision.YEAR):
                assert start.day == 1, where
                assert (
                    end is None
                    or end.day == calendar.monthrange(end.year, end.month)[1]
                )
            if ph["precision"] == Precision.YEAR:
                assert start.month == 1, where
                assert end is None or end.month == 12, where
        for a in p["awards"]:
            if a["start"] and a["end"]:
                assert _day(a["start"]) <= _day(a["end"]), (p["key"], a["reference"])


def test_status_matches_the_stichtag(doc: Doc) -> None:
    for p in doc["programmes"]:
        ends = [ph["end"] for ph in p["phases"]]
        finished = bool(ends) and None not in ends and max(map(_day, ends)) < STICHTAG
        expected = ProgrammeStatus.ENDED if finished else ProgrammeStatus.RUNNING
        assert p["status"] == expected, p["key"]
    assert _programme(doc, "lernen-vor-ort")["status"] == "ended"


def test_only_manual_obligations_are_stored(doc: Doc) -> None:
    # Rule-generated deadlines come from the regime engine when the file is loaded.
    for p in doc["programmes"]:
        for o in p["obligations"]:
            assert o["origin"] == "manual", (p["key"], o["title"])
            assert o["source"], (p["key"], o["title"])
            assert _day(o["due"]) <= _day(o["due_effective"])


def test_the_ten_cities_are_partners(doc: Doc) -> None:
    kinds = {p["name"]: p["kind"] for p in doc["partners"]}
    assert set(kinds) >= CITIES
    assert {kinds[c] for c in CITIES} == {"kommune"}
    linked = {x["partner"] for p in doc["programmes"] for x in p["partners"]}
    assert linked >= CITIES
    lvo = {x["partner"] for x in _programme(doc, "lernen-vor-ort")["partners"]}
    assert {"Herten", "Recklinghausen", "Gladbeck", "Castrop-Rauxel"} <= lvo


def test_funders_are_typed(doc: Doc) -> None:
    kinds = {f["short_name"]: f["kind"] for f in doc["funders"]}
    assert kinds["BMBF"] == "bund"
    assert kinds["ESF"] == "eu"
    assert kinds["Land NRW"] == "land"
    assert kinds["Kreis RE"] == "kommune"
    parents = {f["short_name"]: f["parent"] for f in doc["funders"]}
    assert parents["MAIS NRW"] == parents["MSW NRW"] == "Land NRW"
    for name in ("RAG-Stiftung", "Walter Blüchert Stiftung", "Stiftung Mercator"):
        assert kinds[name] == "stiftung"


def test_zukunftsstadt_phase_two_is_a_bund_award(doc: Doc) -> None:
    zs = _programme(doc, "zukunftsstadt")
    phase_two = [ph for ph in zs["phases"] if ph["name"] == "Phase II"]
    assert phase_two == [
        {
            "name": "Phase II",
            "start": "2016-11-01",
            "end": "2018-04-30",
            "precision": "day",
        }
    ]
    kinds = {f["short_name"]: f["kind"] for f in doc["funders"]}
    assert "bund" in {kinds[f["funder"]] for f in zs["fundings"]}
    (award,) = [a for a in zs["awards"] if a["phase"] == "Phase II"]
    assert kinds[award["funder"]] == "bund"
    assert award["regime"] == "bund-anbest-gk"
    assert (award["start"], award["end"]) == ("2016-11-01", "2018-04-30")


def test_kommunale_koordinierung_uses_the_sourced_amount(doc: Doc) -> None:
    koko = _programme(doc, "kommunale-koordinierung")
    (award,) = koko["awards"]
    assert award["amount"] == "398856.00"
    assert (award["start"], award["end"]) == ("2016-08-01", "2018-06-30")
    kinds = {o["kind"] for o in koko["obligations"]}
    assert "application" in kinds


def test_bildungsberichte_are_report_obligations(doc: Doc) -> None:
    reports = {
        o["title"]: o
        for p in doc["programmes"]
        for o in p["obligations"]
        if o["kind"] == "report" and "Bildungsbericht" in o["title"]
    }
    by_year = {
        year: [o for t, o in reports.items() if str(year) in t]
        for year in (2011, 2014, 2017)
    }
    assert [o["status"] for o in by_year[2011]] == ["done"]
    assert [o["status"] for o in by_year[2014]] == ["done"]
    assert [o["status"] for o in by_year[2017]] == ["open"]
    assert _day(by_year[2017][0]["due"]).year == 2017


def test_money_is_formatted_and_sourced(doc: Doc) -> None:
    # The money lines of an award are example figures (checked below); every other
    # amount needs a source.
    seen = []
    for path, name, value in _walk(_without_money_lines(doc)):
        if name in MONEY_FIELDS and value is not None:
            assert isinstance(value, str) and MONEY.match(value), (
                f"{path}.{name}={value!r}"
            )
            assert value in SOURCED_AMOUNTS, f"{path}.{name}={value} has no source"
            seen.append(value)
    assert "398856.00" in seen


def test_only_role_mailboxes_at_example_org(doc: Doc) -> None:
    for c in doc["contacts"]:
        assert c["email"].endswith("@example.org"), c["email"]
    for path, name, value in _walk(doc):
        if isinstance(value, str):
            for address in EMAIL.findall(value):
                assert address.endswith("@example.org"), f"{path}.{name}: {address}"
    leads = [c["email"] for c in doc["contacts"] if c["is_office_lead"]]
    assert leads == ["bildungsbuero@example.org"]


def test_demo_phases_do_not_overlap_and_posts_are_a_field() -> None:
    document = json.loads(demo_path().read_text("utf-8"))
    programmes = {p["key"]: p for p in document["programmes"]}
    phase_one, phase_two = programmes["zukunftsstadt"]["phases"]
    # Phase I (10/2016 at the latest) ends before Phase II begins on 01.11.2016.
    assert date.fromisoformat(phase_one["end"]) < date.fromisoformat(phase_two["start"])
    [koko] = programmes["kommunale-koordinierung"]["awards"]
    assert koko["staff_posts"] == "3.00"


def test_demo_cites_its_sources_in_plain_words() -> None:
    text = demo_path().read_text("utf-8")
    assert "Seed" not in text
    assert "Quelle: Vortrag des Regionalen Bildungsbüros Kreis Recklinghausen" in text


MONEY_LINES = ("income", "budget_lines", "expenses", "disbursements", "versions")
EXAMPLE_NOTE = "Beispielzahlen: die Beträge des Kreises sind nicht öffentlich"


def _without_money_lines(doc: Doc) -> Doc:
    copy: Doc = json.loads(json.dumps(doc))
    for p in copy["programmes"]:
        for a in p["awards"]:
            for name in MONEY_LINES:
                a.pop(name, None)
    return copy


def _award(doc: Doc, reference: str) -> Doc:
    (award,) = [a for p in doc["programmes"] for a in p["awards"]
                if a["reference"] == reference]  # fmt: skip
    return award


def _sum(lines: list[Doc], field: str = "planned") -> Decimal:
    return sum((Decimal(line[field]) for line in lines), Decimal(0))


def test_example_money_is_marked_and_adds_up(doc: Doc) -> None:
    with_money = {
        a["reference"]
        for p in doc["programmes"]
        for a in p["awards"]
        if any(a.get(name) for name in MONEY_LINES)
    }
    assert with_money == {"DEMO-KOKO-2016", "DEMO-ZUKUNFTSSTADT-II"}
    for reference in with_money:
        award = _award(doc, reference)
        assert EXAMPLE_NOTE in award["conditions"], reference
        for line in award["expenses"] + award["disbursements"]:
            assert "Beispiel" in line["note"], (reference, line)
        for line in award["expenses"]:
            assert line["code"] in award["accounting_codes"], (reference, line)
            assert award["account_categories"][line["account"]] == line["category"]
        for path, name, value in _walk(award):
            if name in MONEY_FIELDS and value is not None:
                # A Storno is a negative booking; it nets out.
                assert MONEY.match(value.removeprefix("-")), (
                    f"{reference}{path}={value}"
                )
    koko = _award(doc, "DEMO-KOKO-2016")
    # Vollfinanzierung of the sourced amount: plan and Zuwendung are the award.
    assert koko["financing_type"] == "voll"
    assert _sum(koko["budget_lines"]) == _sum(koko["income"]) == Decimal("398856.00")
    zukunft = _award(doc, "DEMO-ZUKUNFTSSTADT-II")
    # Anteilfinanzierung 90 %: the Zuwendung stays under the sourced Höchstbetrag.
    assert zukunft["financing_type"] == "anteil"
    grant = _sum([i for i in zukunft["income"] if i["kind"] == "zuwendung"])
    assert grant == _sum(zukunft["budget_lines"]) * Decimal("0.9")
    assert grant <= Decimal("200000.00")
    assert zukunft["amount"] is None  # the awarded amount itself is not public
