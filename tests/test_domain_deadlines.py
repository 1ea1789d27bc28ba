"""Deadline formulas and the working-day shift, with domain.md examples."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio.domain.deadlines import (
    Anchors,
    WorkingDays,
    end_of_nth_month_after,
    months_after,
    parse_formula,
)
from portfolio.domain.errors import InvalidValue

NRW = WorkingDays("NW")


def test_holidays_know_reformation_day_2017_in_nrw_only_that_year():
    assert NRW.holiday_name(date(2017, 10, 31)) is not None
    assert NRW.is_working_day(date(2018, 10, 31))
    assert not NRW.is_working_day(date(2017, 10, 31))


def test_zwischennachweis_2016_moves_from_sunday_over_may_day_to_tuesday():
    due = months_after(date(2016, 12, 31), 4)
    assert due == date(2017, 4, 30)  # a Sunday
    assert NRW.shift(due) == date(2017, 5, 2)  # 1 May is a holiday


def test_zwischennachweis_2017_is_not_shifted():
    assert NRW.shift(months_after(date(2017, 12, 31), 4)) == date(2018, 4, 30)


def test_zukunftsstadt_vn_six_months_and_one_year():
    end = date(2018, 4, 30)
    assert end_of_nth_month_after(end, 6) == date(2018, 10, 31)
    assert NRW.shift(date(2018, 10, 31)) == date(2018, 10, 31)
    assert months_after(end, 12) == date(2019, 4, 30)


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (date(2014, 8, 31), 6, date(2015, 2, 28)),
        (date(2015, 8, 31), 6, date(2016, 2, 29)),  # leap year
        (date(2016, 1, 31), 1, date(2016, 2, 29)),
        (date(2016, 3, 31), 1, date(2016, 4, 30)),
        (date(2014, 8, 31), 12, date(2015, 8, 31)),
    ],
)
def test_month_end_clamping_188_3_bgb(anchor, months, expected):
    assert months_after(anchor, months) == expected


def test_lernen_vor_ort_phase_two_end_on_saturday_shifts_to_monday():
    assert NRW.shift(date(2015, 2, 28)) == date(2015, 3, 2)


def test_yearly_gives_zn_for_2016_and_2017_but_not_2018():
    formula = parse_formula("yearly(haushaltsjahr_end, 4)")
    occ = formula.occurrences(Anchors(date(2016, 8, 1), date(2018, 7, 31)))
    assert [(o.year, o.due) for o in occ] == [
        (2016, date(2017, 4, 30)),
        (2017, date(2018, 4, 30)),
    ]


def test_yearly_stops_when_the_purpose_is_fulfilled_early():
    formula = parse_formula("yearly(haushaltsjahr_end, 4)")
    anchors = Anchors(
        date(2016, 8, 1), date(2018, 7, 31), zweck_erfuellt=date(2017, 6, 30)
    )
    assert [o.year for o in formula.occurrences(anchors)] == [2016]


def test_min_formula_takes_earlier_zweckerfuellung():
    formula = parse_formula(
        "min(months_after(zweck_erfuellt, 6), "
        "end_of_nth_month_after(bewilligung_end, 6))"
    )
    anchors = Anchors(
        date(2016, 11, 1), date(2018, 4, 30), zweck_erfuellt=date(2018, 1, 15)
    )
    assert [o.due for o in formula.occurrences(anchors)] == [date(2018, 7, 15)]


def test_missing_anchor_yields_nothing():
    formula = parse_formula("months_after(bewilligung_end, 12)")
    assert formula.occurrences(Anchors(date(2016, 1, 1), None)) == []


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "months_after(foo, 3)",
        "months_after(bewilligung_end, 'x')",
        "1 +",
    ],
)
def test_bad_formulas_are_refused_in_german(text):
    with pytest.raises(InvalidValue) as err:
        parse_formula(text)
    assert "Fristformel" in str(err.value) or "Anker" in str(err.value)


def test_unknown_state_is_a_german_error():
    with pytest.raises(InvalidValue, match="Bundesland"):
        WorkingDays("XX").shift(date(2017, 1, 1))
