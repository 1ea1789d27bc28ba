"""The data model refuses bad data with a clear German message, on both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portfolio.domain.enums import FunderKind, Precision, ProgrammeStatus
from portfolio.domain.errors import Conflict, InputError, InvalidValue
from portfolio.domain.models import (
    Application,
    Award,
    Change,
    Funder,
    Funding,
    Obligation,
    Phase,
    Programme,
    surely,
)
from portfolio.domain.periods import Period
from portfolio.storage.db import session_scope


def _programme(key: str = "zukunftsstadt") -> Programme:
    return Programme(key=key, name="Zukunftsstadt", status=ProgrammeStatus.RUNNING)


def test_negative_amount_is_refused(engine: Engine) -> None:
    with (
        pytest.raises(InvalidValue, match="darf nicht negativ sein"),
        session_scope(engine) as session,
    ):
        funder = Funder(short_name="BMBF", name="BMBF", kind=FunderKind.BUND)
        programme = _programme()
        programme.awards.append(Award(funder=funder, amount=Decimal("-1.00")))
        session.add(programme)


def test_end_before_start_is_refused(engine: Engine) -> None:
    with (
        pytest.raises(InvalidValue, match="liegt vor dem Beginn"),
        session_scope(engine) as session,
    ):
        programme = _programme()
        programme.phases.append(
            Phase(name="II", start=date(2018, 4, 30), end=date(2016, 11, 1))
        )
        session.add(programme)


def test_database_check_constraint_backs_up_the_validation(engine: Engine) -> None:
    # Bypass the ORM validation: the CHECK constraint itself must refuse.
    with session_scope(engine) as session:
        session.add(_programme())
    with (
        pytest.raises(InvalidValue, match="verletzt eine Regel"),
        session_scope(engine) as session,
    ):
        pid = session.scalar(sa.select(Programme.id))
        session.execute(
            sa.insert(Phase).values(
                programme_id=pid, name="x", start=date(2018, 1, 1),
                end=date(2017, 1, 1), precision="day",
            )
        )  # fmt: skip


def test_duplicate_key_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(_programme())
    with (
        pytest.raises(Conflict, match="Schlüssel gibt es schon"),
        session_scope(engine) as session,
    ):
        session.add(_programme())


def test_unknown_enum_value_is_refused(engine: Engine) -> None:
    with (
        pytest.raises((InputError, LookupError, sa.exc.StatementError)),
        session_scope(engine) as session,
    ):
        session.add(Funder(short_name="X", name="X", kind="planet"))  # type: ignore[arg-type]
    # and at the database level
    with pytest.raises(InvalidValue), session_scope(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO funders (short_name, name, kind) "
                "VALUES ('Y', 'Y', 'planet')"
            )
        )


def test_every_write_is_logged_with_who_and_before_after(engine: Engine) -> None:
    with session_scope(engine, who="anna") as session:
        session.add(_programme())
    with session_scope(engine, who="bert") as session:
        programme = session.scalars(sa.select(Programme)).one()
        programme.name = "Zukunftsstadt 2030"
    with session_scope(engine, read_only=True) as session:
        changes = list(session.scalars(sa.select(Change).order_by(Change.id)))
    assert [(c.action.value, c.who) for c in changes] == [
        ("create", "anna"),
        ("update", "bert"),
    ]
    assert changes[1].before is not None and changes[1].after is not None
    assert changes[1].before["name"] == "Zukunftsstadt"
    programme_id = str(changes[1].after["id"])
    assert [c.entity_id for c in changes] == [programme_id, programme_id]
    assert {c.entity for c in changes} == {"programmes"}
    assert changes[1].after["name"] == "Zukunftsstadt 2030"


def test_deleting_a_funder_in_use_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        funder = Funder(short_name="BMBF", name="BMBF", kind=FunderKind.BUND)
        programme = _programme()
        programme.awards.append(Award(funder=funder))
        session.add(programme)
    with pytest.raises(Conflict, match="verwendet"), session_scope(engine) as session:
        session.execute(sa.delete(Funder))


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period.of_months((2016, 11), (2018, 4)), "11/2016 – 04/2018"),
        (Period.of_months((2010, 2)), "seit 02/2010"),
        (Period(date(2016, 8, 1), date(2018, 7, 31)), "01.08.2016 – 31.07.2018"),
        (Period.of_years(2013), "seit 2013"),
        (Period(date(2015, 1, 1), date(2018, 4, 30), Precision.YEAR, Precision.DAY),
         "2015 – 30.04.2018"),
    ],
)  # fmt: skip
def test_periods_are_written_the_way_an_office_writes_them(
    period: Period, text: str
) -> None:
    assert str(period) == text


def test_month_period_stores_first_and_last_day() -> None:
    period = Period.of_months((2016, 11), (2018, 2))
    assert period.start == date(2016, 11, 1)
    assert period.end == date(2018, 2, 28)
    assert period.is_open is False
    assert Period.of_months((2010, 2)).is_open


def test_session_fixture_is_usable(session: Session) -> None:
    session.add(_programme("x"))
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 1


# --- the column-wise checks of bulk inserts ------------------------------------

_MONEY = st.none() | st.decimals(min_value=-5, max_value=5, places=2, allow_nan=False)
_RATE = st.none() | st.decimals(min_value=-1, max_value=2, places=2, allow_nan=False)
_DAY = st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 1, 9))
_FIELDS: dict[type[Any], dict[str, st.SearchStrategy[Any]]] = {
    Programme: {"key": st.text(alphabet="aZ9-_ ä.", max_size=4)},
    Phase: {"name": st.just("I"), "start": _DAY, "end": _DAY},
    Funding: {"amount": _MONEY, "share": _RATE},
    Application: {"requested": _MONEY, "own_contribution": _MONEY},
    Award: {
        "reference": st.none() | st.just("A-1"),
        "amount": _MONEY,
        "own_contribution": _MONEY,
        "staff_posts": _MONEY,
        "start": _DAY,
        "end": _DAY,
        "funding_rate": _RATE,
        "accounting_codes": st.none() | st.lists(st.sampled_from(["", " ", "K1"])),
        "account_categories": st.none()
        | st.dictionaries(st.sampled_from(["", "4711"]), st.sampled_from(["", "P"])),
    },
    Obligation: {
        "title": st.just("Bericht"),
        "origin": st.none() | st.sampled_from(["import", "manual", "rule:x", "x", ""]),
        "due_on": _DAY.filter(lambda day: day is not None),
        "due_effective": _DAY,
    },
}


@st.composite
def _rows(draw: st.DrawFn) -> tuple[type[Any], list[SimpleNamespace]]:
    model = draw(st.sampled_from(list(_FIELDS)))
    fields = _FIELDS[model]
    rows = draw(
        st.lists(st.fixed_dictionaries(fields).map(_row), min_size=1, max_size=6)
    )
    return model, rows


def _row(values: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(**values)


def _message(model: type[Any], rows: list[SimpleNamespace]) -> str | None:
    try:
        for row in rows:
            model.validate(row)
    except InvalidValue as exc:
        return str(exc)
    return None


@given(_rows())
@settings(max_examples=400, deadline=None)
def test_a_column_check_passes_only_rows_that_validate(
    drawn: tuple[type[Any], list[SimpleNamespace]],
) -> None:
    model, rows = drawn
    columns = {name: [getattr(row, name) for row in rows] for name in _FIELDS[model]}
    if surely(model.surely_valid, columns):
        assert _message(model, rows) is None
    else:  # a doubt costs only time, and only where the check leaves it open
        assert _message(model, rows) is not None or _doubtful(model, columns)


def _doubtful(model: type[Any], columns: dict[str, list[Any]]) -> bool:
    """Columns the check leaves to ``validate`` though every row passes."""
    return model is Award and (
        any(columns["accounting_codes"]) or any(columns["account_categories"])
    )


def test_column_checks_leave_odd_values_to_validate() -> None:
    amounts: dict[str, list[Any]] = {"amount": [Decimal(1), "x"], "share": [None]}
    assert not surely(Funding.surely_valid, amounts)  # 'x' < 0: row by row
    assert not surely(Funding.surely_valid, {"amount": [Decimal(1)]})  # no share
    assert not surely(Programme.surely_valid, {"key": ["ok", None]})
    assert not surely(Programme.surely_valid, {"key": ["a b"]})
    assert surely(Programme.surely_valid, {"key": ["a-b_3", "-", "Ä9"]})
    assert surely(Phase.surely_valid, {"start": [None], "end": [None]})
    with pytest.raises(InvalidValue, match="Phase 'I': Das Ende"):
        for row in [
            _row({"name": "I", "start": date(2020, 1, 2), "end": date(2020, 1, 1)})
        ]:
            Phase.validate(row)  # type: ignore[arg-type]
