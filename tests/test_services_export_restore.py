"""Export → restore → export gives the same bytes, on SQLite and PostgreSQL.

The property test builds random portfolios (umlauts, open periods, month precision,
several funders per programme) and checks the round trip for each.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.demo import demo_path
from portfolio.domain.enums import ApplicationStatus
from portfolio.domain.errors import Conflict, InputError
from portfolio.domain.models import Application, Award, Funder, Programme
from portfolio.services import edit_awards
from portfolio.services.export_json import export_json
from portfolio.services.restore_json import restore
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def _round_trip(url_a: str, url_b: str, text: str) -> tuple[str, str]:
    first = open_database(url_a)
    with session_scope(first) as session:
        restore(session, text)
    with session_scope(first, read_only=True) as session:
        exported = export_json(session)
    first.dispose()
    second = open_database(url_b)
    with session_scope(second) as session:
        restore(session, exported)
    with session_scope(second, read_only=True) as session:
        again = export_json(session)
    second.dispose()
    return exported, again


def test_demo_round_trip_is_byte_identical(db_url: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'second.db'}"
    exported, again = _round_trip(db_url, other, demo_path().read_text("utf-8"))
    assert exported == again
    document = json.loads(exported)
    zukunft = next(p for p in document["programmes"] if p["key"] == "zukunftsstadt")
    assert {"start": "2016-11-01", "end": "2018-04-30"}.items() <= next(
        ph for ph in zukunft["phases"] if ph["start"] == "2016-11-01"
    ).items()
    kinds = {f["short_name"]: f["kind"] for f in document["funders"]}
    assert any(kinds[f["funder"]] == "bund" for f in zukunft["fundings"])


def test_every_override_form_round_trips_byte_identical(
    db_url: str, tmp_path: Path
) -> None:
    document = json.loads(demo_path().read_text("utf-8"))
    award = document["programmes"][4]["awards"][0]  # KoKo, bund-anbest-gk
    award["overrides"] = {
        "BUND_ANBESTGK_ZN": "31.03.",
        "BUND_ANBESTGK_ZN:2017": {"date": "30.06.2018", "fest": True},
        "BUND_ANBESTGK_VN": "31.12.2019",
        "BUND_VERLAENGERUNG": "on",
    }
    other = f"sqlite:///{tmp_path / 'second.db'}"
    exported, again = _round_trip(db_url, other, json.dumps(document))
    assert exported == again
    stored = json.loads(exported)["programmes"][4]["awards"][0]["overrides"]
    assert stored == {  # German input is stored ISO
        "BUND_ANBESTGK_VN": "2019-12-31",
        "BUND_ANBESTGK_ZN": "31.03.",
        "BUND_ANBESTGK_ZN:2017": {"date": "2018-06-30", "fest": True},
        "BUND_VERLAENGERUNG": "on",
    }


def test_restore_refuses_a_non_empty_database(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    text = demo_path().read_text("utf-8")
    with session_scope(engine) as session:
        restore(session, text)
    with pytest.raises(Conflict, match="nicht leer"), session_scope(engine) as session:
        restore(session, text)
    engine.dispose()


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(format="other/2"), "format"),
        (
            lambda d: d["programmes"][3]["phases"][0].update(end="2001-01-01"),
            "$.programmes[3].phases[0].end",
        ),
        (
            lambda d: d["programmes"][0].update(status="verloren"),
            "$.programmes[0].status",
        ),
        (
            lambda d: d["programmes"][0]["fundings"][0].update(funder="NOPE"),
            "$.programmes[0].fundings[0].funder",
        ),
        (
            lambda d: d["programmes"][5]["awards"][0].update(amount="-5.00"),
            "$.programmes[5].awards[0].amount",
        ),
        (lambda d: d["funders"].append(dict(d["funders"][0])), "kommt doppelt vor"),
        (
            lambda d: d["programmes"][5]["awards"][0].update(
                overrides={"NRW_ANBESTG_ZN": "2017-04-30"}
            ),
            "$.programmes[5].awards[0].overrides: Abweichung 'NRW_ANBESTG_ZN'",
        ),
        (
            lambda d: d["programmes"][5]["awards"][0].update(
                overrides={"NRW_ANBESTG_VN_": "off"}
            ),
            "vorhanden sind: NRW_ANBESTG_ZN (je Haushaltsjahr), NRW_ANBESTG_VN",
        ),
    ],
)
def test_bad_documents_name_the_path_and_write_nothing(
    sqlite_url: str, mutate, path: str
) -> None:
    document = json.loads(demo_path().read_text("utf-8"))
    mutate(document)
    engine = open_database(sqlite_url)
    with pytest.raises(InputError) as info, session_scope(engine) as session:
        restore(session, json.dumps(document))
    assert path in info.value.message
    with session_scope(engine, read_only=True) as session:
        assert json.loads(export_json(session))["programmes"] == []
    engine.dispose()


# --- property test -------------------------------------------------------------

TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
KEY = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
MONEY = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2).map(str)
SIGNED = st.decimals(
    min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2
).map(str)
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def phase(draw: st.DrawFn) -> dict[str, object]:
    precision = draw(st.sampled_from(["day", "month", "year"]))
    start = draw(DAY)
    end = draw(
        st.one_of(
            st.none(), st.integers(0, 2000).map(lambda n: start + timedelta(days=n))
        )
    )
    if precision == "month":
        start = start.replace(day=1)
    return {
        "name": draw(TEXT),
        "start": start.isoformat(),
        "end": end.isoformat() if end else None,
        "precision": precision,
    }


@st.composite
def portfolio_document(draw: st.DrawFn) -> dict[str, object]:
    funders = draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))
    kinds = ["eu", "bund", "land", "kommune", "stiftung", "other"]
    emails = draw(
        st.lists(KEY.map(lambda k: f"{k}@example.org"), max_size=3, unique=True)
    )
    programmes = []
    for key in draw(st.lists(KEY, min_size=1, max_size=4, unique=True)):
        chosen = draw(
            st.lists(st.sampled_from(funders), min_size=1, max_size=3, unique=True)
        )
        obligations = [
            {
                "kind": "report",
                "title": draw(TEXT),
                "due": draw(DAY).isoformat(),
                "status": draw(st.sampled_from(["open", "done"])),
                "origin": "manual",
                "responsible": draw(st.one_of(st.none(), st.sampled_from(emails)))
                if emails
                else None,
            }
            for _ in range(draw(st.integers(0, 3)))
        ]
        programmes.append(
            {
                "key": key,
                "name": draw(TEXT),
                "short_name": draw(st.one_of(st.none(), TEXT)),
                "status": draw(
                    st.sampled_from(["idea", "applying", "running", "ended"])
                ),
                "tags": draw(st.lists(TEXT, max_size=2, unique=True)),
                "phases": draw(
                    st.lists(
                        phase(), max_size=3, unique_by=lambda p: (p["start"], p["name"])
                    )
                ),
                "fundings": [
                    {
                        "funder": f,
                        "amount": draw(st.one_of(st.none(), MONEY)),
                        "share": None,
                    }
                    for f in chosen
                ],
                "awards": [
                    {
                        "funder": f,
                        "reference": draw(TEXT),
                        "amount": draw(MONEY),
                        "financing_type": draw(
                            st.sampled_from(
                                [None, "anteil", "fehlbedarf", "voll", "festbetrag"]
                            )
                        ),
                        "accounting_codes": draw(
                            st.lists(KEY, max_size=2, unique=True)
                        ),
                        "account_categories": draw(
                            st.dictionaries(
                                st.from_regex(r"5[0-9]{2,5}", fullmatch=True),
                                TEXT,
                                max_size=2,
                            )
                        ),
                        "budget_lines": [
                            {
                                "category": "Personal",
                                "year": 2017,
                                "planned": draw(MONEY),
                            }
                        ],
                        "income": [
                            {"kind": k, "year": 2017, "planned": draw(MONEY)}
                            for k in draw(
                                st.lists(
                                    st.sampled_from(
                                        ["zuwendung", "eigenanteil", "dritte"]
                                    ),
                                    unique=True,
                                )
                            )
                        ],
                        "expenses": [
                            {
                                "category": "Personal",
                                "year": 2017,
                                "spent_on": draw(DAY).isoformat(),
                                "amount": draw(SIGNED),
                                "reference": draw(st.one_of(st.none(), KEY)),
                                "text": draw(st.one_of(st.none(), TEXT)),
                                "account": "501100",
                                "code": draw(st.one_of(st.none(), KEY)),
                                "occurrence": draw(st.integers(1, 3)),
                            }
                            for _ in range(draw(st.integers(0, 4)))
                        ],
                        "disbursements": [
                            {
                                "requested_on": "2017-03-01",
                                "amount": draw(MONEY),
                                "received_on": draw(
                                    st.sampled_from([None, "2017-03-10"])
                                ),
                                "kind": draw(
                                    st.sampled_from(["abruf", "rueckzahlung"])
                                ),
                            }
                            for _ in range(draw(st.integers(0, 3)))
                        ],
                    }
                    for f in chosen[:1]
                ],
                "obligations": obligations,
            }
        )
    return {
        "format": "portfolio/1",
        "stichtag": draw(st.one_of(st.none(), DAY.map(date.isoformat))),
        "funders": [
            {"short_name": f, "name": f"{f} ä", "kind": draw(st.sampled_from(kinds))}
            for f in funders
        ],
        "contacts": [{"email": e, "name": "Büro Ölmühle"} for e in emails],
        "partners": [],
        "programmes": programmes,
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=portfolio_document())
def test_random_portfolios_round_trip(tmp_path_factory, document) -> None:
    folder = tmp_path_factory.mktemp("rt")
    exported, again = _round_trip(
        f"sqlite:///{folder / 'a.db'}",
        f"sqlite:///{folder / 'b.db'}",
        json.dumps(document),
    )
    assert exported == again
    assert len(json.loads(exported)["programmes"]) == len(document["programmes"])


def test_award_keeps_its_application_through_export_and_restore(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_database(db_url)
    with session_scope(engine) as session:
        restore(session, demo_path().read_text("utf-8"))
    with session_scope(engine) as session:
        programme = session.scalars(
            sa.select(Programme).where(Programme.key == "zukunftsstadt")
        ).one()
        bmbf = session.scalars(sa.select(Funder).where(Funder.short_name == "BMBF"))
        application = Application(
            programme=programme,
            funder=bmbf.one(),
            reference="DEMO-ANTRAG-2018",
            deadline=date(2018, 1, 31),
            requested=Decimal("250000"),
            status=ApplicationStatus.APPROVED,
            decided_on=date(2018, 4, 1),
        )
        session.add(application)
        session.flush()
        edit_awards.from_application(session, application.id)
    with session_scope(engine, read_only=True) as session:
        exported = export_json(session)
    engine.dispose()
    zukunft = next(
        p for p in json.loads(exported)["programmes"] if p["key"] == "zukunftsstadt"
    )
    linked = [a for a in zukunft["awards"] if a["application"]]
    assert [a["application"] for a in linked] == [
        {"funder": "BMBF", "reference": "DEMO-ANTRAG-2018", "deadline": "2018-01-31"}
    ]
    # Restored elsewhere, the award points at the same application again.
    other = f"sqlite:///{tmp_path / 'second.db'}"
    second = open_database(other)
    with session_scope(second) as session:
        restore(session, exported)
    with session_scope(second, read_only=True) as session:
        again = export_json(session)
        reference = session.scalar(
            sa.select(Application.reference)
            .join(Award, Award.application_id == Application.id)
            .join(Programme, Award.programme_id == Programme.id)
            .where(Programme.key == "zukunftsstadt")
        )
    second.dispose()
    assert reference == "DEMO-ANTRAG-2018"
    assert again == exported
    # A link to an application the document does not have is named, not dropped.
    document = json.loads(exported)
    award = next(
        a
        for p in document["programmes"]
        if p["key"] == "zukunftsstadt"
        for a in p["awards"]
        if a["application"]
    )
    award["application"]["reference"] = "GIBT-ES-NICHT"
    third = open_database(f"sqlite:///{tmp_path / 'third.db'}")
    with pytest.raises(InputError) as info, session_scope(third) as session:
        restore(session, json.dumps(document))
    third.dispose()
    assert ".application" in info.value.message
    assert "GIBT-ES-NICHT" in info.value.message
