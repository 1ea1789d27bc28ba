"""Table-driven check of the rule engine: 35 awards with dates computed by hand.

Every expected date below was worked out by hand from the legal rule written in the
comment (§§ 187 I, 188 II/III BGB for "n months after", § 192 BGB for "end of the
n-th month", § 193 BGB / § 31 Abs. 3 VwVfG for the shift to the next working day,
NRW public holidays) and the weekday of the calendar — never by the engine itself.
Columns: regime, Bewilligungszeitraum (start, end), Zweckerfüllung, overrides, the
rule occurrence looked at, its date, the date after the shift, the outer limit shown
beside it ("spätestens", None when it is the same day).
"""

from __future__ import annotations

from datetime import date

import pytest

from portfolio.domain.deadlines import Anchors, WorkingDays
from portfolio.domain.overrides import validate_overrides
from portfolio.domain.regimes import get_regime, plan

NRW = WorkingDays("NW")
D = date

ROWS = [
    # --- Bund ANBest-P: VN = min(Zweck + 6 months, end of 6th month after term) ----
    # 1 term ends Wed 28.02.2018, Zweck unknown -> assumed 28.02.2018 -> 28.08.2018
    #   (Tue); outer limit end of August 31.08.2018.
    ("bund-anbest-p", D(2017, 3, 1), D(2018, 2, 28), None, None,
     "BUND_ANBESTP_VN", D(2018, 8, 28), D(2018, 8, 28), D(2018, 8, 31)),
    # 2 leap day: term ends 29.02.2016 -> 29.08.2016 (Mon); outer 31.08.2016.
    ("bund-anbest-p", D(2015, 3, 1), D(2016, 2, 29), None, None,
     "BUND_ANBESTP_VN", D(2016, 8, 29), D(2016, 8, 29), D(2016, 8, 31)),
    # 3 term ends 30.06.2017 -> 30.12.2017 (Sat); 31.12. Sunday, 01.01.2018 New Year
    #   -> Tue 02.01.2018; outer 31.12.2017.
    ("bund-anbest-p", D(2016, 7, 1), D(2017, 6, 30), None, None,
     "BUND_ANBESTP_VN", D(2017, 12, 30), D(2018, 1, 2), D(2017, 12, 31)),
    # 4 term ends 31.03.2017 -> 30.09.2017 (no 31.09.: month end, § 188 III), a
    #   Saturday -> Mon 02.10.2017; the outer limit is the same day.
    ("bund-anbest-p", D(2016, 4, 1), D(2017, 3, 31), None, None,
     "BUND_ANBESTP_VN", D(2017, 9, 30), D(2017, 10, 2), None),
    # 5 term ends 31.12.2017 -> 30.06.2018 (Sat) -> Mon 02.07.2018; same as outer.
    ("bund-anbest-p", D(2017, 1, 1), D(2017, 12, 31), None, None,
     "BUND_ANBESTP_VN", D(2018, 6, 30), D(2018, 7, 2), None),
    # 6 Zweck known 15.01.2018 (term to 30.04.2018) -> 15.07.2018 (Sun) -> Mon
    #   16.07.2018; outer limit 31.10.2018.
    ("bund-anbest-p", D(2016, 11, 1), D(2018, 4, 30), D(2018, 1, 15), None,
     "BUND_ANBESTP_VN", D(2018, 7, 15), D(2018, 7, 16), D(2018, 10, 31)),
    # 7 Zweck known on the term's last day 30.04.2018: 30.10.2018 (Tue), the same
    #   date as with Zweckerfüllung unknown (row 8 of the issue: no two deadlines).
    ("bund-anbest-p", D(2016, 11, 1), D(2018, 4, 30), D(2018, 4, 30), None,
     "BUND_ANBESTP_VN", D(2018, 10, 30), D(2018, 10, 30), D(2018, 10, 31)),
    # 8 same term, Zweck unknown: assumed 30.04.2018 -> 30.10.2018, outer 31.10.2018.
    ("bund-anbest-p", D(2016, 11, 1), D(2018, 4, 30), None, None,
     "BUND_ANBESTP_VN", D(2018, 10, 30), D(2018, 10, 30), D(2018, 10, 31)),
    # 9 Zweck 31.03.2018 -> 30.09.2018 (Sun) -> Mon 01.10.2018; outer 31.10.2018.
    ("bund-anbest-p", D(2016, 11, 1), D(2018, 4, 30), D(2018, 3, 31), None,
     "BUND_ANBESTP_VN", D(2018, 9, 30), D(2018, 10, 1), D(2018, 10, 31)),
    # 10 three Haushaltsjahre 2015-2018: ZN 2015 due 30.04.2016 (Sat); 01.05.2016 is
    #   a Sunday (and 1 May) -> Mon 02.05.2016.
    ("bund-anbest-p", D(2015, 1, 1), D(2018, 12, 31), None, None,
     "BUND_ANBESTP_ZN:2015", D(2016, 4, 30), D(2016, 5, 2), None),
    # 11 same award: ZN 2017 due 30.04.2018 (Mon), no shift.
    ("bund-anbest-p", D(2015, 1, 1), D(2018, 12, 31), None, None,
     "BUND_ANBESTP_ZN:2017", D(2018, 4, 30), D(2018, 4, 30), None),
    # 12 Zweck fulfilled 30.06.2017 in a term to 2018: VN 30.12.2017 (Sat) -> Tue
    #   02.01.2018 (31.12. Sunday, 01.01. New Year); outer 30.06.2019.
    ("bund-anbest-p", D(2015, 1, 1), D(2018, 12, 31), D(2017, 6, 30), None,
     "BUND_ANBESTP_VN", D(2017, 12, 30), D(2018, 1, 2), D(2019, 6, 30)),
    # --- Bund ANBest-Gk: VN 12 months after Zweck / term ----------------------------
    # 13 term ends 28.02.2017 -> 28.02.2018 (Wed).
    ("bund-anbest-gk", D(2016, 3, 1), D(2017, 2, 28), None, None,
     "BUND_ANBESTGK_VN", D(2018, 2, 28), D(2018, 2, 28), None),
    # 14 term ends 29.02.2016 -> no 29.02.2017: month end 28.02.2017 (Tue).
    ("bund-anbest-gk", D(2015, 3, 1), D(2016, 2, 29), None, None,
     "BUND_ANBESTGK_VN", D(2017, 2, 28), D(2017, 2, 28), None),
    # 15 term ends 30.11.2016 -> 30.11.2017 (Thu).
    ("bund-anbest-gk", D(2015, 12, 1), D(2016, 11, 30), None, None,
     "BUND_ANBESTGK_VN", D(2017, 11, 30), D(2017, 11, 30), None),
    # 16 term ends 31.12.2016 -> 31.12.2017 (Sun), 01.01.2018 New Year -> 02.01.2018.
    ("bund-anbest-gk", D(2016, 1, 1), D(2016, 12, 31), None, None,
     "BUND_ANBESTGK_VN", D(2017, 12, 31), D(2018, 1, 2), None),
    # 17 ZN by day-month "31.03.": HJ 2017 -> 31.03.2018 (Sat); 01.04. Easter Sunday,
    #   02.04. Easter Monday -> Tue 03.04.2018.
    ("bund-anbest-gk", D(2016, 11, 1), D(2018, 4, 30), None,
     {"BUND_ANBESTGK_ZN": "31.03."},
     "BUND_ANBESTGK_ZN:2017", D(2018, 3, 31), D(2018, 4, 3), None),
    # 18 Bescheid date 31.03.2019 (Sun) is the end of a Frist -> Mon 01.04.2019.
    ("bund-anbest-gk", D(2016, 11, 1), D(2018, 4, 30), None,
     {"BUND_ANBESTGK_VN": "31.03.2019"},
     "BUND_ANBESTGK_VN", D(2019, 3, 31), D(2019, 4, 1), None),
    # 19 the same date marked "fest": a Termin, stays on the Sunday.
    ("bund-anbest-gk", D(2016, 11, 1), D(2018, 4, 30), None,
     {"BUND_ANBESTGK_VN": {"date": "2019-03-31", "fest": True}},
     "BUND_ANBESTGK_VN", D(2019, 3, 31), D(2019, 3, 31), None),
    # --- NRW ANBest-G ---------------------------------------------------------------
    # 20 term ends 31.05.2016 -> 30.11.2016 (no 31.11.; Wed); outer also 30.11.2016.
    ("nrw-anbest-g", D(2015, 6, 1), D(2016, 5, 31), None, None,
     "NRW_ANBESTG_VN", D(2016, 11, 30), D(2016, 11, 30), None),
    # 21 term ends 30.04.2017 -> 30.10.2017 (Mon); outer 31.10.2017 (Reformation
    #   Day 2017, a holiday that year, but the earlier date counts).
    ("nrw-anbest-g", D(2016, 5, 1), D(2017, 4, 30), None, None,
     "NRW_ANBESTG_VN", D(2017, 10, 30), D(2017, 10, 30), D(2017, 10, 31)),
    # 22 ZN 2016 of a term 01.08.2016-31.07.2018: 30.04.2017 (Sun), 01.05. holiday
    #   -> Tue 02.05.2017.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None, None,
     "NRW_ANBESTG_ZN:2016", D(2017, 4, 30), D(2017, 5, 2), None),
    # 23 Bescheid date on Fronleichnam (Thu 20.06.2019, NRW holiday) -> Fri 21.06.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None,
     {"NRW_ANBESTG_VN": "20.06.2019"},
     "NRW_ANBESTG_VN", D(2019, 6, 20), D(2019, 6, 21), None),
    # 24 Bescheid date on Allerheiligen (Thu 01.11.2018) -> Fri 02.11.2018.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None,
     {"NRW_ANBESTG_VN": "2018-11-01"},
     "NRW_ANBESTG_VN", D(2018, 11, 1), D(2018, 11, 2), None),
    # 25 Christmas: 25.12.2019 (Wed) and 26.12. holidays -> Fri 27.12.2019.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None,
     {"NRW_ANBESTG_VN": "25.12.2019"},
     "NRW_ANBESTG_VN", D(2019, 12, 25), D(2019, 12, 27), None),
    # 26 New Year: 01.01.2019 (Tue) -> Wed 02.01.2019.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None,
     {"NRW_ANBESTG_VN": "01.01.2019"},
     "NRW_ANBESTG_VN", D(2019, 1, 1), D(2019, 1, 2), None),
    # 27 1 May: 01.05.2019 (Wed) -> Thu 02.05.2019.
    ("nrw-anbest-g", D(2016, 8, 1), D(2018, 7, 31), None,
     {"NRW_ANBESTG_VN": "2019-05-01"},
     "NRW_ANBESTG_VN", D(2019, 5, 1), D(2019, 5, 2), None),
    # --- NRW ANBest-P and einfacher VN ------------------------------------------------
    # 28 term ends 30.09.2018 -> 30.03.2019 (Sat) -> Mon 01.04.2019; outer 31.03.2019.
    ("nrw-anbest-p", D(2017, 10, 1), D(2018, 9, 30), None, None,
     "NRW_ANBESTP_VN", D(2019, 3, 30), D(2019, 4, 1), D(2019, 3, 31)),
    # 29 term ends 31.08.2018 -> 28.02.2019 (no 31.02.; Thu); outer the same day.
    ("nrw-einfacher-vn", D(2017, 9, 1), D(2018, 8, 31), None, None,
     "NRW_EINFACHER_VN", D(2019, 2, 28), D(2019, 2, 28), None),
    # 30 term ends Fri 29.06.2018 -> 29.12.2018 (Sat) -> Mon 31.12.2018 (Silvester is
    #   no holiday); outer limit 31.12.2018 too, but later than the computed day.
    ("nrw-einfacher-vn", D(2017, 7, 1), D(2018, 6, 29), None, None,
     "NRW_EINFACHER_VN", D(2018, 12, 29), D(2018, 12, 31), D(2018, 12, 31)),
    # --- foundations --------------------------------------------------------------
    # 31 Mercator final report 2 months after 31.12.2017 -> 28.02.2018 (Wed).
    ("stiftung-mercator", D(2016, 1, 1), D(2017, 12, 31), None, None,
     "MERCATOR_FINAL", D(2018, 2, 28), D(2018, 2, 28), None),
    # 32 Mercator interim: 2nd funding year from 01.03.2016 ends 28.02.2018, due two
    #   months later 28.04.2018 (Sat) -> Mon 30.04.2018.
    ("stiftung-mercator", D(2016, 3, 1), D(2018, 8, 31), None, None,
     "MERCATOR_INTERIM:2", D(2018, 4, 28), D(2018, 4, 30), None),
    # 33 generic foundation final report 3 months after 30.11.2017 -> 28.02.2018
    #   (no 30.02.; Wed).
    ("stiftung-generic", D(2016, 12, 1), D(2017, 11, 30), None, None,
     "FOUNDATION_FINAL", D(2018, 2, 28), D(2018, 2, 28), None),
    # 34 generic annual report: 1st project year ends 31.12.2017, +3 months =
    #   31.03.2018 (Sat), Easter Sunday and Monday follow -> Tue 03.04.2018.
    ("stiftung-generic", D(2017, 1, 1), D(2018, 12, 31), None, None,
     "FOUNDATION_ANNUAL:1", D(2018, 3, 31), D(2018, 4, 3), None),
    # 35 Kooperationsvertrag Bildungskonferenz switched on: 30.11.2018 (Fri); a
    #   Termin, never shifted.
    ("kooperationsvertrag", D(2016, 8, 1), D(2019, 7, 31), None,
     {"KOOP_BILDUNGSKONFERENZ": "on"},
     "KOOP_BILDUNGSKONFERENZ:2018", D(2018, 11, 30), D(2018, 11, 30), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("regime_id", "start", "end", "zweck", "overrides", "key", "due", "moved",
     "latest"),
    ROWS,
    ids=[f"{i + 1}-{row[5]}" for i, row in enumerate(ROWS)],
)  # fmt: skip
def test_hand_computed_dates(
    regime_id, start, end, zweck, overrides, key, due, moved, latest
):
    regime = get_regime(regime_id)
    anchors = Anchors(start, end, zweck_erfuellt=zweck)
    planned = {
        p.template_id: p
        for p in plan(regime, anchors, NRW, validate_overrides(regime, overrides))
    }
    item = planned[key]
    assert (item.due_on, item.due_effective, item.latest) == (due, moved, latest)
    if moved != due:  # the shift is explained with the law it follows
        assert "§ 193 BGB, § 31 Abs. 3 VwVfG" in item.basis


def test_table_has_at_least_thirty_awards_over_every_regime():
    assert len(ROWS) >= 30
    assert {row[0] for row in ROWS} == {
        "bund-anbest-p", "bund-anbest-gk", "nrw-anbest-g", "nrw-anbest-p",
        "nrw-einfacher-vn", "stiftung-mercator", "stiftung-generic",
        "kooperationsvertrag",
    }  # fmt: skip


def test_zn_series_ends_with_the_purpose_and_off_removes_it():
    regime = get_regime("bund-anbest-p")
    early = Anchors(D(2015, 1, 1), D(2018, 12, 31), zweck_erfuellt=D(2017, 6, 30))
    keys = {p.template_id for p in plan(regime, early, NRW)}
    # Purpose fulfilled in 2017: Zwischennachweise for 2015 and 2016 only.
    assert sorted(k for k in keys if "ZN" in k) == [
        "BUND_ANBESTP_ZN:2015",
        "BUND_ANBESTP_ZN:2016",
    ]
    off = validate_overrides(regime, {"BUND_ANBESTP_ZN": "off"})
    assert not [p for p in plan(regime, early, NRW, off) if "ZN" in p.template_id]
