"""Obligations generated from regimes: created, regenerated, people's edits kept."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portfolio.domain.deadlines import WorkingDays
from portfolio.domain.enums import (
    FunderKind,
    ObligationKind,
    ObligationStatus,
    ReminderStatus,
)
from portfolio.domain.models import (
    Award,
    Contact,
    Funder,
    Obligation,
    Programme,
    Reminder,
)
from portfolio.domain.overrides import OverrideError
from portfolio.domain.regimes import load_regimes
from portfolio.domain.reminders import Stages
from portfolio.services import obligations
from portfolio.services import reminders as outbox

NRW = WorkingDays("NW")
TODAY = date(2017, 3, 15)


def zukunftsstadt(session, regime="bund-anbest-gk"):
    lead = Contact(email="zukunftsstadt@example.org", name="Team Zukunftsstadt")
    funder = Funder(short_name="BMBF", name="Bundesministerium", kind=FunderKind.BUND)
    programme = Programme(key="zukunftsstadt", name="Zukunftsstadt", lead=lead)
    award = Award(
        programme=programme,
        funder=funder,
        reference="Z-II",
        start=date(2016, 11, 1),
        end=date(2018, 4, 30),
        regime=regime,
    )
    session.add_all([lead, funder, programme, award])
    session.flush()
    return award


def generated(session, award):
    rows = session.scalars(
        sa.select(Obligation)
        .where(Obligation.award_id == award.id)
        .order_by(Obligation.due_on)
    )
    return {o.rule_key: o for o in rows}


def regen(session, award, today=TODAY):
    return obligations.regenerate(session, award, load_regimes(), NRW, today)


def test_award_gets_rule_obligations_with_both_dates_and_source(session):
    award = zukunftsstadt(session)
    result = regen(session, award)
    assert result.created == 4  # ZN 2016, ZN 2017, VN and the retention date
    obls = generated(session, award)
    zn = obls["BUND_ANBESTGK_ZN:2016"]
    assert (zn.due_on, zn.due_effective) == (date(2017, 4, 30), date(2017, 5, 2))
    assert zn.origin == "rule:bund-anbest-gk"
    assert zn.template_id == "BUND_ANBESTGK_ZN"
    assert zn.source.startswith("ANBest-Gk")
    assert zn.checklist
    vn = obls["BUND_ANBESTGK_VN"]
    assert (vn.due_on, vn.due_effective) == (date(2019, 4, 30), None)


def test_anbest_p_gives_vn_30_10_2018_with_outer_limit_and_recomputes(session):
    award = zukunftsstadt(session, "bund-anbest-p")
    regen(session, award)
    vn = generated(session, award)["BUND_ANBESTP_VN"]
    # Zweckerfüllung unknown: assumed 30.04.2018, six months -> 30.10.2018 (a
    # Tuesday); the outer limit (end of the 6th month after the term) 31.10.2018.
    assert (vn.due_on, vn.due_latest) == (date(2018, 10, 30), date(2018, 10, 31))
    assert "Zweckerfüllung nicht eingetragen" in vn.basis
    award.zweck_erfuellt_on = date(2018, 1, 15)
    session.flush()
    regen(session, award)
    vn = generated(session, award)["BUND_ANBESTP_VN"]
    # 15.01.2018 + 6 months = 15.07.2018, a Sunday -> Monday 16.07.2018.
    assert (vn.due_on, vn.due_effective) == (date(2018, 7, 15), date(2018, 7, 16))
    assert vn.due_latest == date(2018, 10, 31)
    assert vn.basis.startswith("Frist ab Zweckerfüllung (15.01.2018): 15.07.2018")


def test_regenerating_twice_changes_nothing(session):
    award = zukunftsstadt(session)
    regen(session, award)
    again = regen(session, award)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)


def test_changed_dates_regenerate_but_edited_and_done_are_kept(session):
    award = zukunftsstadt(session)
    regen(session, award)
    obls = generated(session, award)
    obligations.move_due(session, obls["BUND_ANBESTGK_VN"].id, date(2019, 1, 31))
    obligations.mark(session, obls["BUND_ANBESTGK_ZN:2016"].id, on=date(2017, 4, 20))
    award.end = date(2019, 4, 30)  # extended by one year
    session.flush()
    result = regen(session, award)
    obls = generated(session, award)
    assert "BUND_ANBESTGK_ZN:2018" in obls  # new Haushaltsjahr inside the term
    assert obls["BUND_ANBESTGK_VN"].due_on == date(2019, 1, 31)  # person's date wins
    assert obls["BUND_ANBESTGK_ZN:2016"].status is ObligationStatus.DONE
    assert result.kept == 2


def test_override_off_removes_untouched_generated_obligation(session):
    award = zukunftsstadt(session)
    regen(session, award)
    award.overrides = {"BUND_ANBESTGK_ZN:2017": "off", "BUND_ANBESTGK_VN": "2018-12-31"}
    session.flush()
    result = regen(session, award)
    obls = generated(session, award)
    assert "BUND_ANBESTGK_ZN:2017" not in obls
    assert obls["BUND_ANBESTGK_VN"].due_on == date(2018, 12, 31)
    assert obls["AUFBEWAHRUNG"].due_on == date(2023, 12, 31)  # follows the VN
    assert (result.removed, result.updated) == (1, 2)


def test_stored_wrong_override_is_an_error_naming_the_award(session):
    award = zukunftsstadt(session)
    award.overrides = {"BUND_ANBESTGK_ZN": "2018-03-31"}  # a date for a yearly rule
    session.flush()
    with pytest.raises(OverrideError) as err:
        regen(session, award)
    assert err.value.message.startswith("Bewilligung Z-II: Abweichung")
    assert err.value.rule == "BUND_ANBESTGK_ZN"


def test_history_before_first_generation_counts_as_done(session):
    award = zukunftsstadt(session)
    regen(session, award, today=date(2020, 1, 1))
    # The retention date (30.04.2024) is no deadline to meet: it stays open.
    assert {
        o.status
        for o in generated(session, award).values()
        if o.kind is not ObligationKind.AUFBEWAHRUNG
    } == {ObligationStatus.DONE}


def test_regenerate_all_counts_created(session):
    zukunftsstadt(session)
    assert obligations.regenerate_all(session, state="NW", today=TODAY) == 4


def test_done_cancels_pending_and_moving_replans(session):
    award = zukunftsstadt(session)
    regen(session, award)
    zn = generated(session, award)["BUND_ANBESTGK_ZN:2016"]
    assert outbox.plan(session, date(2017, 4, 10), Stages(), None).planned == 1
    obligations.move_due(session, zn.id, date(2017, 5, 31))
    assert _statuses(session, zn.id) == [ReminderStatus.CANCELLED]
    assert outbox.plan(session, date(2017, 4, 25), Stages(), None).planned == 1
    obligations.mark(session, zn.id)
    assert _statuses(session, zn.id) == [ReminderStatus.CANCELLED] * 2


def _statuses(session, obligation_id):
    session.expire_all()
    return list(
        session.scalars(
            sa.select(Reminder.status)
            .where(Reminder.obligation_id == obligation_id)
            .order_by(Reminder.id)
        )
    )


def test_regenerate_award_convenience_uses_the_stichtag(session):
    from portfolio.services.clock import set_stichtag

    set_stichtag(session, TODAY)
    award = zukunftsstadt(session)
    assert obligations.regenerate_award(session, award).created == 4
    award.end = date(2019, 6, 30)
    result = obligations.regenerate_award(session, award)
    # ZN 2018 new; VN and with it the retention date later
    assert (result.created, result.updated) == (1, 2)


def test_retention_counts_from_the_vn_provisionally_then_from_its_submission(session):
    award = zukunftsstadt(session)
    regen(session, award)
    obls = generated(session, award)
    keep = obls["AUFBEWAHRUNG"]
    # ANBest-Gk VN due 30.04.2019 (12 months after 30.04.2018); 5 years on.
    assert keep.kind is ObligationKind.AUFBEWAHRUNG
    assert (keep.due_on, keep.due_effective) == (date(2024, 4, 30), None)
    assert keep.basis.startswith("Vorläufig: 5 Jahre ab Fälligkeit")
    assert "Quelle nicht belegt" in keep.basis  # ANBest-Gk: assumed, says so
    vn = obls["BUND_ANBESTGK_VN"]
    obligations.mark(session, vn.id, ObligationStatus.SUBMITTED, date(2019, 3, 20))
    assert keep.due_on == date(2024, 3, 20)
    assert keep.basis.startswith(
        "5 Jahre ab Vorlage des Verwendungsnachweises am 20.03.2019"
    )
    regen(session, award)  # regeneration agrees with the step taken on marking
    assert generated(session, award)["AUFBEWAHRUNG"].due_on == date(2024, 3, 20)
    obligations.reopen(session, vn.id)
    assert keep.due_on == date(2024, 4, 30)
    assert keep.basis.startswith("Vorläufig")


def test_retention_is_never_reminded_overdue_or_counted(session):
    award = zukunftsstadt(session)
    award.start, award.end = date(2009, 9, 1), date(2011, 8, 31)
    session.flush()
    regen(session, award, today=date(2011, 1, 1))
    keep = generated(session, award)["AUFBEWAHRUNG"]
    # VN 31.08.2012, retention 31.08.2017: long past on 01.01.2030, still open.
    assert keep.due_on == date(2017, 8, 31)
    items = outbox.due_items(session, date(2030, 1, 1))
    assert keep.id not in {i.obligation_id for i in items}
    from portfolio.services.big_picture import deadline_counts
    from portfolio.storage.page_queries import dashboard, open_deadlines

    board = dashboard(session, date(2030, 1, 1))
    assert keep.id not in {r.id for r in board.overdue}
    assert (
        deadline_counts(session, date(2030, 1, 1), date(2031, 1, 1)).overdue
        == len([o for o in generated(session, award).values() if o.is_open]) - 1
    )
    assert keep.id not in {r.id for r in open_deadlines(session)}
