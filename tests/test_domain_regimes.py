"""Regime files: shipped data, overrides, and generated obligations per award."""

from __future__ import annotations

from datetime import date

import pytest

from portfolio.domain.deadlines import Anchors, WorkingDays
from portfolio.domain.errors import InvalidValue, NotFound
from portfolio.domain.regimes import get_regime, load_regimes, plan

NRW = WorkingDays("NW")
REGIME_IDS = {
    "bund-anbest-p",
    "bund-anbest-gk",
    "nrw-anbest-g",
    "nrw-anbest-p",
    "nrw-einfacher-vn",
    "stiftung-mercator",
    "stiftung-generic",
    "kooperationsvertrag",
}
ZUKUNFTSSTADT = Anchors(date(2016, 11, 1), date(2018, 4, 30))


def test_all_shipped_regimes_load_with_sources_and_checklists():
    regimes = load_regimes()
    assert set(regimes) == REGIME_IDS
    for regime in regimes.values():
        assert regime.templates, regime.id
        for template in regime.templates:
            assert template.source and template.confidence in {"V", "S", "U"}
            assert template.checklist, template.id


def _dates(regime_id, anchors, overrides=None):
    return {
        p.template_id: (p.due_on, p.due_effective)
        for p in plan(get_regime(regime_id), anchors, NRW, overrides)
    }


def test_zukunftsstadt_vn_under_anbest_p_and_anbest_gk():
    # Zweckerfüllung unknown: assumed 30.04.2018 (the term's last day), so six
    # months later by §§ 187 I, 188 II BGB: 30.10.2018; outer limit 31.10.2018.
    assert _dates("bund-anbest-p", ZUKUNFTSSTADT)["BUND_ANBESTP_VN"] == (
        date(2018, 10, 30),
        date(2018, 10, 30),
    )
    (vn,) = [
        p
        for p in plan(get_regime("bund-anbest-p"), ZUKUNFTSSTADT, NRW)
        if p.template_id == "BUND_ANBESTP_VN"
    ]
    assert vn.latest == date(2018, 10, 31)
    assert vn.basis.startswith("Zweckerfüllung nicht eingetragen: angenommen am")
    assert "spätestens 31.10.2018 (äußerste Grenze)" in vn.basis
    assert _dates("bund-anbest-gk", ZUKUNFTSSTADT)["BUND_ANBESTGK_VN"] == (
        date(2019, 4, 30),
        date(2019, 4, 30),
    )


def test_zukunftsstadt_zn_2016_keeps_both_dates():
    dates = _dates("bund-anbest-gk", ZUKUNFTSSTADT)
    assert dates["BUND_ANBESTGK_ZN:2016"] == (date(2017, 4, 30), date(2017, 5, 2))
    assert dates["BUND_ANBESTGK_ZN:2017"] == (date(2018, 4, 30), date(2018, 4, 30))
    assert "BUND_ANBESTGK_ZN:2018" not in dates


def test_term_aug_2016_to_jul_2018_has_zn_2016_2017_not_2018():
    dates = _dates("nrw-anbest-g", Anchors(date(2016, 8, 1), date(2018, 7, 31)))
    assert sorted(k for k in dates if "ZN" in k) == [
        "NRW_ANBESTG_ZN:2016",
        "NRW_ANBESTG_ZN:2017",
    ]


def test_overrides_win_and_shift_unless_fest():
    dates = _dates(
        "bund-anbest-gk",
        ZUKUNFTSSTADT,
        {
            "BUND_ANBESTGK_ZN:2016": "2017-04-30",
            "BUND_ANBESTGK_ZN:2017": {"date": "2018-04-29", "fest": True},
            "BUND_ANBESTGK_VN": "2018-12-31",
        },
    )
    # 30.04.2017 is a Sunday, 01.05. a holiday: the Bescheid's Frist ends 02.05.
    assert dates["BUND_ANBESTGK_ZN:2016"] == (date(2017, 4, 30), date(2017, 5, 2))
    # 29.04.2018 is a Sunday, but the Bescheid fixed it as a Termin.
    assert dates["BUND_ANBESTGK_ZN:2017"] == (date(2018, 4, 29), date(2018, 4, 29))
    assert dates["BUND_ANBESTGK_VN"][0] == date(2018, 12, 31)


def test_override_off_switches_a_template_or_an_occurrence_off():
    whole = _dates("bund-anbest-gk", ZUKUNFTSSTADT, {"BUND_ANBESTGK_ZN": "off"})
    assert not [k for k in whole if "ZN" in k]
    one = _dates("bund-anbest-gk", ZUKUNFTSSTADT, {"BUND_ANBESTGK_ZN:2016": "off"})
    assert [k for k in one if "ZN" in k] == ["BUND_ANBESTGK_ZN:2017"]


def test_disabled_template_can_be_switched_on_by_override():
    assert "BUND_VERLAENGERUNG" not in _dates("bund-anbest-gk", ZUKUNFTSSTADT)
    on = _dates("bund-anbest-gk", ZUKUNFTSSTADT, {"BUND_VERLAENGERUNG": "2017-10-31"})
    assert on["BUND_VERLAENGERUNG"] == (date(2017, 10, 31), date(2017, 10, 31))


def test_bad_override_date_is_a_german_error():
    with pytest.raises(InvalidValue, match="kein Datum"):
        _dates("bund-anbest-gk", ZUKUNFTSSTADT, {"BUND_ANBESTGK_VN": "31.13.2018"})


def test_kooperationsvertrag_open_term_runs_to_horizon():
    anchors = Anchors(date(2009, 11, 1), None, horizon=date(2017, 12, 31))
    dates = _dates("kooperationsvertrag", anchors, {"KOOP_BILDUNGSKONFERENZ": "on"})
    assert len(dates) == 9
    assert dates["KOOP_BILDUNGSKONFERENZ:2017"][0] == date(2017, 11, 30)


def test_override_folder_replaces_and_adds(tmp_path):
    (tmp_path / "mine.toml").write_text(
        'id = "bund-anbest-gk"\nname = "Eigene Fassung"\n'
        "[[templates]]\n"
        'id = "VN"\nkind = "verwendungsnachweis"\ntitle = "VN"\n'
        'formula = "months_after(bewilligung_end, 3)"\nsource = "Bescheid Nr. 4"\n'
        'checklist = ["Sachbericht"]\n',
        encoding="utf-8",
    )
    regimes = load_regimes(tmp_path)
    assert regimes["bund-anbest-gk"].name == "Eigene Fassung"
    assert "nrw-anbest-g" in regimes
    assert _dates.__name__  # shipped ones are still there
    planned = plan(regimes["bund-anbest-gk"], ZUKUNFTSSTADT, NRW)
    assert [(p.template_id, p.due_on) for p in planned] == [("VN", date(2018, 7, 30))]


def test_broken_regime_file_names_file_and_problem(tmp_path):
    (tmp_path / "kaputt.toml").write_text(
        'id = "x"\nname = "x"\n[[templates]]\nid = "A"\n'
    )
    with pytest.raises(InvalidValue, match=r"kaputt\.toml"):
        load_regimes(tmp_path)


def test_missing_folder_and_unknown_regime():
    with pytest.raises(InvalidValue, match=r"paths\.regimes"):
        load_regimes("/nonexistent/regimes")
    with pytest.raises(NotFound, match="bund-anbest-gk"):
        get_regime("gibt-es-nicht")


def test_kooperationsvertrag_is_off_unless_switched_on():
    anchors = Anchors(date(2009, 11, 1), None, horizon=date(2017, 12, 31))
    assert _dates("kooperationsvertrag", anchors) == {}
    on = _dates("kooperationsvertrag", anchors, {"KOOP_BILDUNGSKONFERENZ": "on"})
    assert on["KOOP_BILDUNGSKONFERENZ:2017"][0] == date(2017, 11, 30)
