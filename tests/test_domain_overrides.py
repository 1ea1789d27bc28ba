"""The override validator (CONTRACTS §1): every wrong override is a German error.

Dates in the expectations are computed by hand in the comments, not by the engine.
"""

from __future__ import annotations

from datetime import date

import pytest

from portfolio.domain.deadlines import Anchors, WorkingDays
from portfolio.domain.errors import InvalidValue
from portfolio.domain.overrides import OverrideError, validate_overrides
from portfolio.domain.regimes import get_regime, plan, unplanned

NRW = WorkingDays("NW")
GK = get_regime("bund-anbest-gk")
KOOP = get_regime("kooperationsvertrag")
MERCATOR = get_regime("stiftung-mercator")
T, F = True, False  # fixed ("fest") or not


def test_normalised_forms():
    assert validate_overrides(
        GK,
        {
            "BUND_ANBESTGK_VN": "31.03.2019",
            "BUND_ANBESTGK_ZN": "31.3",
            "BUND_ANBESTGK_ZN:2017": "AUS",
            "BUND_VERLAENGERUNG": {"date": "2017-10-31", "fest": True},
        },
    ) == {
        "BUND_ANBESTGK_VN": "2019-03-31",
        "BUND_ANBESTGK_ZN": "31.03.",
        "BUND_ANBESTGK_ZN:2017": "off",
        "BUND_VERLAENGERUNG": {"date": "2017-10-31", "fest": True},
    }


def test_list_for_a_yearly_rule_is_sorted_iso_and_fest_suffix_is_read():
    assert validate_overrides(
        GK,
        {
            "BUND_ANBESTGK_ZN": ["31.03.2018", "2017-03-31"],
            "BUND_ANBESTGK_VN": "31.03.2019 fest",
            "BUND_VERLAENGERUNG": "",  # blank: no override
        },
    ) == {
        "BUND_ANBESTGK_VN": {"date": "2019-03-31", "fest": True},
        "BUND_ANBESTGK_ZN": ["2017-03-31", "2018-03-31"],
    }


def test_fest_false_is_a_plain_date_and_empty_input_is_empty():
    assert validate_overrides(GK, {"BUND_ANBESTGK_VN": {"date": "2019-03-31"}}) == {
        "BUND_ANBESTGK_VN": "2019-03-31"
    }
    assert validate_overrides(GK, None) == {}
    assert validate_overrides(None, {}) == {}


@pytest.mark.parametrize(
    ("regime", "overrides", "rule", "says"),
    [
        # a misspelt rule id names the rules that exist
        (GK, {"BUND_ANBESTGK_VNN": "2019-03-31"}, "BUND_ANBESTGK_VNN",
         "vorhanden sind: BUND_ANBESTGK_ZN (je Haushaltsjahr), BUND_ANBESTGK_VN, "
         "BUND_VERLAENGERUNG"),
        # a single date given to a yearly rule
        (GK, {"BUND_ANBESTGK_ZN": "2019-03-31"}, "BUND_ANBESTGK_ZN",
         "'BUND_ANBESTGK_ZN:2018' = '2019-03-31'"),
        # a day-month given to a single-date rule
        (GK, {"BUND_ANBESTGK_VN": "31.03."}, "BUND_ANBESTGK_VN",
         "erlaubt sind 'off', ein Datum"),
        # a list given to a single-date rule
        (GK, {"BUND_ANBESTGK_VN": ["2019-03-31"]}, "BUND_ANBESTGK_VN", "keine Liste"),
        # an impossible date and an impossible day-month
        (GK, {"BUND_ANBESTGK_VN": "31.02.2019"}, "BUND_ANBESTGK_VN", "passt nicht"),
        (GK, {"BUND_ANBESTGK_ZN": "31.04."}, "BUND_ANBESTGK_ZN", "kein Tag des Jahres"),
        # a number, a boolean, free text
        (GK, {"BUND_ANBESTGK_VN": 20190331}, "BUND_ANBESTGK_VN", "passt nicht"),
        (GK, {"BUND_ANBESTGK_VN": True}, "BUND_ANBESTGK_VN", "passt nicht"),
        (GK, {"BUND_ANBESTGK_VN": "Ende März"}, "BUND_ANBESTGK_VN", "passt nicht"),
        # an occurrence of a single-date rule, a bad year, an unknown template
        (GK, {"BUND_ANBESTGK_VN:2018": "off"}, "BUND_ANBESTGK_VN:2018",
         "nur einen Termin"),
        (GK, {"BUND_ANBESTGK_ZN:17": "off"}, "BUND_ANBESTGK_ZN:17", "Haushaltsjahr"),
        (GK, {"GIBTS_NICHT:2017": "off"}, "GIBTS_NICHT:2017", "gibt es im Regelwerk"),
        # "on" for one occurrence, a day-month for one occurrence
        (GK, {"BUND_ANBESTGK_ZN:2017": "on"}, "BUND_ANBESTGK_ZN:2017",
         "ganze Regel"),
        (GK, {"BUND_ANBESTGK_ZN:2017": "31.03."}, "BUND_ANBESTGK_ZN:2017",
         "passt nicht"),
        # lists: two dates in one year, an empty list, a non-date
        (GK, {"BUND_ANBESTGK_ZN": ["2017-03-31", "2017-04-30"]}, "BUND_ANBESTGK_ZN",
         "dasselbe Jahr"),
        (GK, {"BUND_ANBESTGK_ZN": []}, "BUND_ANBESTGK_ZN", "leer"),
        (GK, {"BUND_ANBESTGK_ZN": ["31.03."]}, "BUND_ANBESTGK_ZN", "kein Datum"),
        # fest: wrong keys, a non-boolean, on a switch
        (GK, {"BUND_ANBESTGK_VN": {"datum": "2019-03-31"}}, "BUND_ANBESTGK_VN",
         "fester Termin"),
        (GK, {"BUND_ANBESTGK_VN": {"date": "2019-03-31", "fest": "ja"}},
         "BUND_ANBESTGK_VN", "true oder false"),
        (GK, {"BUND_ANBESTGK_VN": {"date": "off", "fest": True}}, "BUND_ANBESTGK_VN",
         "gilt für ein Datum"),
        # every_months series: a day-month does not fit, the key is a number
        (MERCATOR, {"MERCATOR_INTERIM": "31.03."}, "MERCATOR_INTERIM",
         "Liste von Daten"),
        (MERCATOR, {"MERCATOR_INTERIM:x": "off"}, "MERCATOR_INTERIM:x",
         "laufende Nummer"),
        # overrides without a regime
        (None, {"BUND_ANBESTGK_VN": "off"}, "BUND_ANBESTGK_VN", "kein Regelwerk"),
    ],
)  # fmt: skip
def test_wrong_overrides_are_errors_naming_the_rule(regime, overrides, rule, says):
    with pytest.raises(OverrideError) as err:
        validate_overrides(regime, overrides)
    assert err.value.rule == rule
    assert says in err.value.message
    assert isinstance(err.value, InvalidValue)  # exit 2 / HTTP 422 in every door
    assert "\n" not in err.value.message


def test_overrides_that_are_not_a_mapping():
    with pytest.raises(OverrideError, match="Zuordnung"):
        validate_overrides(GK, ["BUND_ANBESTGK_VN"])  # type: ignore[arg-type]


# Zukunftsstadt Phase II: 01.11.2016 – 30.04.2018; Haushaltsjahre 2016 and 2017 get a
# Zwischennachweis, 2018 goes into the Verwendungsnachweis.
TERM = Anchors(date(2016, 11, 1), date(2018, 4, 30))


def _planned(regime, overrides):
    normalised = validate_overrides(regime, overrides)
    return {
        p.template_id: (p.due_on, p.due_effective, p.fixed)
        for p in plan(regime, TERM, NRW, normalised)
    }


def test_day_month_gives_that_day_of_the_following_year_per_haushaltsjahr():
    dates = _planned(GK, {"BUND_ANBESTGK_ZN": "31.03."})
    # HJ 2016 -> 31.03.2017 (Friday); HJ 2017 -> 31.03.2018 (Saturday, and
    # 01.04.2018 is Easter Sunday, 02.04.2018 Easter Monday) -> Tuesday 03.04.2018.
    assert dates["BUND_ANBESTGK_ZN:2016"] == (date(2017, 3, 31), date(2017, 3, 31), F)
    assert dates["BUND_ANBESTGK_ZN:2017"] == (date(2018, 3, 31), date(2018, 4, 3), F)
    assert "BUND_ANBESTGK_ZN:2018" not in dates


def test_day_month_fest_does_not_shift_and_one_year_can_differ():
    dates = _planned(
        GK,
        {
            "BUND_ANBESTGK_ZN": {"date": "31.03.", "fest": True},
            "BUND_ANBESTGK_ZN:2016": "15.05.2017",
        },
    )
    assert dates["BUND_ANBESTGK_ZN:2017"] == (date(2018, 3, 31), date(2018, 3, 31), T)
    # 15.05.2017 is a Monday; the own value replaces the fest day-month.
    assert dates["BUND_ANBESTGK_ZN:2016"] == (date(2017, 5, 15), date(2017, 5, 15), F)


def test_list_replaces_the_series_and_keys_by_haushaltsjahr():
    dates = _planned(GK, {"BUND_ANBESTGK_ZN": ["30.06.2017", "30.06.2018"]})
    zn = {k: v[0] for k, v in dates.items() if "ZN" in k}
    # 30.06.2017 reports on HJ 2016, 30.06.2018 (a Saturday) on HJ 2017.
    assert zn == {
        "BUND_ANBESTGK_ZN:2016": date(2017, 6, 30),
        "BUND_ANBESTGK_ZN:2017": date(2018, 6, 30),
    }
    assert dates["BUND_ANBESTGK_ZN:2017"][1] == date(2018, 7, 2)  # Monday


def test_off_still_switches_off():
    dates = _planned(GK, {"BUND_ANBESTGK_ZN": "off", "BUND_ANBESTGK_VN": "aus"})
    assert dates == {}


def test_yearly_on_rule_takes_a_day_month_of_the_same_year():
    anchors = Anchors(date(2009, 11, 1), None, horizon=date(2017, 12, 31))
    normalised = validate_overrides(KOOP, {"KOOP_BILDUNGSKONFERENZ": "15.11."})
    planned = {p.template_id: p.due_on for p in plan(KOOP, anchors, NRW, normalised)}
    # 2009: 15.11.2009 lies after the start 01.11.2009, so 2009 … 2017 = 9 dates.
    assert len(planned) == 9
    assert planned["KOOP_BILDUNGSKONFERENZ:2017"] == date(2017, 11, 15)


# --- awards the engine cannot compute for say why -------------------------------

NRW_G = get_regime("nrw-anbest-g")


@pytest.mark.parametrize(
    ("regime", "anchors", "overrides", "lines"),
    [
        # no Bewilligungszeitraum at all (KAoA in the demo)
        (NRW_G, Anchors(None, None, horizon=date(2017, 12, 31)), None,
         ["Keine Fristen: Bewilligungszeitraum fehlt. Die Fristen des Regelwerks "
          "„Land NRW: ANBest-G“ zählen vom Bewilligungszeitraum; tragen Sie Beginn "
          "und Ende laut Bescheid ein (oder die Termine des Bescheids als "
          "Abweichung)."]),
        # open end: Zwischennachweise up to the horizon, but no VN
        (NRW_G, Anchors(date(2015, 1, 1), None, horizon=date(2017, 12, 31)), None,
         ["offenes Ende: kein Verwendungsnachweis berechenbar. Er zählt vom Ende des "
          "Bewilligungszeitraums; tragen Sie das Ende ein, sobald es feststeht, oder "
          "den Termin laut Bescheid als Abweichung (Regel NRW_ANBESTG_VN)."]),
        # open end, but the Bescheid names the VN date: nothing is missing
        (NRW_G, Anchors(date(2015, 1, 1), None, horizon=date(2017, 12, 31)),
         {"NRW_ANBESTG_VN": "2018-06-30"}, []),
        # open end, VN switched off: nothing is missing either
        (NRW_G, Anchors(date(2015, 1, 1), None, horizon=date(2017, 12, 31)),
         {"NRW_ANBESTG_VN": "off"}, []),
        # only the end known: the yearly Zwischennachweise cannot be placed
        (NRW_G, Anchors(None, date(2018, 6, 30)), None,
         ["Beginn des Bewilligungszeitraums fehlt: Zwischennachweis "
          "(NRW_ANBESTG_ZN) nicht berechenbar"]),
        # a Mercator term shorter than a year has no interim report: not missing
        (MERCATOR, Anchors(date(2017, 1, 1), date(2017, 6, 30)), None, []),
        # a full term: nothing to say
        (GK, TERM, None, []),
    ],
)  # fmt: skip
def test_unplanned_explains_awards_without_dates(regime, anchors, overrides, lines):
    assert unplanned(regime, anchors, validate_overrides(regime, overrides)) == lines
