"""The entity services on SQLite and PostgreSQL: typed input, German messages, log.

Every door (form, API, CLI) goes through these services, so the rules are tested
here once: dates and amounts as the office types them, one German message per wrong
field, the change log written, a period change previewed before it moves deadlines,
deletes that say what goes with them and come back from the change log.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import (
    ChangeAction,
    ObligationKind,
    ObligationStatus,
    ReminderStatus,
)
from portfolio.domain.errors import Conflict
from portfolio.domain.models import (
    Award,
    Change,
    Funder,
    Obligation,
    Partner,
    Programme,
    Reminder,
)
from portfolio.domain.reminders import Stages
from portfolio.services import (
    edit_applications,
    edit_awards,
    edit_contacts,
    edit_funders,
    edit_fundings,
    edit_partners,
    edit_phases,
    edit_programmes,
    reminders,
)
from portfolio.services.demo import load_demo
from portfolio.services.edit_base import FormErrors
from portfolio.services.edit_undo import undo_delete


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo(session)
    session.commit()
    return session


def _funder(session: Session, short: str) -> int:
    found = session.scalar(sa.select(Funder.id).where(Funder.short_name == short))
    assert found is not None
    return found


def test_dates_and_amounts_as_the_office_types_them(demo: Session) -> None:
    data = edit_programmes.ProgrammeIn.parse(
        {"name": "Übergänge gestalten", "tags": "Übergang, Schule", "status": "idea"}
    )
    programme = edit_programmes.create(demo, data)
    assert programme.key == "uebergaenge-gestalten"
    assert programme.tags == ["Übergang", "Schule"]
    phase = edit_phases.create(
        demo,
        programme.key,
        edit_phases.PhaseIn.parse({"name": "Phase I", "start": "1.4.17", "end": ""}),
    )
    assert (phase.start, phase.end) == (date(2017, 4, 1), None)
    award = edit_awards.create(
        demo,
        programme.key,
        edit_awards.AwardIn.parse(
            {
                "funder_id": str(_funder(demo, "BMBF")),
                "reference": "01JL1701",
                "start": "1.4.17",
                "end": "31.3.2019",
                "amount": "120 TEUR",
                "own_contribution": "1.234,56",
                "funding_rate": "90 %",
                "regime": "bund-anbest-gk",
            }
        ),
    )
    assert award.amount == Decimal("120000.00")
    assert award.own_contribution == Decimal("1234.56")
    assert award.funding_rate == Decimal("0.9000")
    titles = [o.title for o in programme.obligations]
    assert any("Verwendungsnachweis" in t for t in titles), titles
    entities = set(
        demo.scalars(sa.select(Change.entity).where(Change.who == "test")).all()
    )
    assert {"programmes", "phases", "awards", "obligations"} <= entities


def test_one_german_message_per_wrong_field_and_nothing_saved(demo: Session) -> None:
    with pytest.raises(FormErrors) as caught:
        edit_awards.AwardIn.parse(
            {"amount": "zwölf Euro", "start": "31.2.2017", "funding_rate": "150 %"}
        )
    errors = caught.value.errors
    assert "kein Betrag" in errors["amount"]
    assert "gibt es nicht" in errors["start"]
    assert "100 %" in errors["funding_rate"]
    data = edit_awards.AwardIn.parse(
        {
            "funder_id": _funder(demo, "BMBF"),
            "start": "1.5.2017",
            "end": "1.4.2017",
            "regime": "bund-anbest-gk",
            "overrides": "GIBT_ES_NICHT = aus",
        }
    )
    with pytest.raises(FormErrors) as caught:
        edit_awards.create(demo, "zukunftsstadt", data)
    assert "vor dem Beginn" in caught.value.errors["end"]
    assert "GIBT_ES_NICHT" in caught.value.errors["overrides"]
    with pytest.raises(FormErrors) as caught:
        edit_contacts.create(
            demo, edit_contacts.ContactIn.parse({"name": "", "email": "kein-at"})
        )
    assert caught.value.errors == {"name": "Bitte ausfüllen."}
    with pytest.raises(FormErrors) as caught:
        edit_contacts.create(
            demo, edit_contacts.ContactIn.parse({"name": "A", "email": "kein-at"})
        )
    assert "keine gültige E-Mail" in caught.value.errors["email"]


def test_funder_parent_and_co_funding_shares(demo: Session) -> None:
    land = _funder(demo, "Land NRW")
    funder = edit_funders.create(
        demo,
        edit_funders.FunderIn.parse(
            {
                "short_name": "MKFFI",
                "name": "Ministerium",
                "kind": "land",
                "parent_id": str(land),
            }
        ),
    )
    assert funder.parent is not None and funder.parent.short_name == "Land NRW"
    with pytest.raises(FormErrors) as caught:
        edit_funders.update(
            demo,
            land,
            edit_funders.FunderIn.parse(
                {
                    "short_name": "Land NRW",
                    "name": "Land",
                    "kind": "land",
                    "parent_id": funder.id,
                }
            ),
        )
    assert "sich selbst" in caught.value.errors["parent_id"]
    programme = edit_programmes.create(
        demo, edit_programmes.ProgrammeIn.parse({"name": "Kofinanziert"})
    )
    edit_fundings.create(
        demo,
        programme.key,
        edit_fundings.FundingIn.parse({"funder_id": land, "share": "60 %"}),
    )
    with pytest.raises(FormErrors) as caught:
        edit_fundings.create(
            demo,
            programme.key,
            edit_fundings.FundingIn.parse({"funder_id": funder.id, "share": "0,5"}),
        )
    assert "110 %" in caught.value.errors["share"]
    with pytest.raises(Conflict, match="wird noch verwendet"):
        edit_funders.delete(demo, land)


def test_application_pipeline_deadline_and_award_in_one_step(demo: Session) -> None:
    bmbf = _funder(demo, "BMBF")
    application = edit_applications.create(
        demo,
        "zukunftsstadt",
        edit_applications.ApplicationIn.parse(
            {
                "status": "idea",
                "funder_id": bmbf,
                "reference": "Aufruf 2018",
                "deadline": "30.6.17",
                "requested": "250 TEUR",
            }
        ),
    )
    deadline = edit_applications.deadline_of(demo, application)
    assert deadline is not None and deadline.due_on == date(2017, 6, 30)
    assert deadline.kind is ObligationKind.APPLICATION and deadline.is_open
    with pytest.raises(FormErrors) as caught:
        edit_applications.update(
            demo,
            application.id,
            edit_applications.ApplicationIn.parse(
                {"status": "approved", "funder_id": bmbf, "deadline": "30.6.17"}
            ),
        )
    assert set(caught.value.errors) == {"submitted_on", "decided_on"}
    edit_applications.update(
        demo,
        application.id,
        edit_applications.ApplicationIn.parse(
            {
                "status": "approved",
                "funder_id": bmbf,
                "deadline": "30.6.17",
                "reference": "Aufruf 2018",
                "submitted_on": "29.6.17",
                "decided_on": "1.9.17",
                "requested": "250.000,00",
            }
        ),
    )
    assert deadline.status is ObligationStatus.SUBMITTED
    award = edit_awards.from_application(demo, application.id)
    assert award.application_id == application.id
    assert award.amount == Decimal("250000.00")
    assert award.awarded_on == date(2017, 9, 1)
    with pytest.raises(Conflict, match="schon eine Bewilligung"):
        edit_awards.from_application(demo, application.id)


def test_period_change_preview_then_save_moves_deadlines_and_cancels(
    demo: Session,
) -> None:
    reminders.plan(demo, date(2017, 3, 15), Stages(), None)
    award = demo.scalar(sa.select(Award).where(Award.reference == "DEMO-KOKO-2016"))
    assert award is not None
    data = edit_awards.as_input(award)
    values = data.form_values()
    assert values["end"] == "30.06.2018"
    values["end"] = "30.9.18"
    changed = edit_awards.AwardIn.parse(values)
    preview = edit_awards.preview(demo, award.id, changed)
    moved = [line for line in preview.moved if "Verwendungsnachweis" in line]
    assert moved, preview.lines
    assert "verschiebt sich vom" in moved[0] and "auf den" in moved[0]
    before = {
        o.rule_key: o.effective
        for o in demo.scalars(
            sa.select(Obligation).where(Obligation.award_id == award.id)
        )
    }
    edit_awards.update(demo, award.id, changed)
    after = {
        o.rule_key: o.effective
        for o in demo.scalars(
            sa.select(Obligation).where(Obligation.award_id == award.id)
        )
    }
    assert before != after
    moved_ids = [
        o.id
        for o in demo.scalars(
            sa.select(Obligation).where(Obligation.award_id == award.id)
        )
        if o.is_open
    ]
    stale = demo.scalar(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .join(Obligation, Obligation.id == Reminder.obligation_id)
        .where(
            Reminder.obligation_id.in_(moved_ids),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_on != Obligation.due_on,
        )
    )
    assert stale == 0


def test_delete_says_what_goes_and_undo_brings_it_back(demo: Session) -> None:
    programme = demo.scalar(
        sa.select(Programme).where(Programme.key == "zukunftsstadt")
    )
    assert programme is not None
    deadlines = len(programme.obligations)
    preview = edit_programmes.delete_preview(demo, "zukunftsstadt")
    assert f"{deadlines} Fristen" in preview[0]
    deleted = edit_programmes.delete(demo, "zukunftsstadt")
    demo.commit()
    assert deleted.change_id
    assert (
        demo.scalar(sa.select(Programme).where(Programme.key == "zukunftsstadt"))
        is None
    )
    message = undo_delete(demo, deleted.change_id)
    demo.commit()
    assert "wiederhergestellt" in message
    back = demo.scalar(sa.select(Programme).where(Programme.key == "zukunftsstadt"))
    assert back is not None and len(back.obligations) == deadlines
    assert back.awards and back.phases
    partner = edit_partners.create(
        demo, edit_partners.PartnerIn.parse({"name": "Stadt X"})
    )
    deleted = edit_partners.delete(demo, partner.id)
    assert deleted.summary == "Partner „Stadt X“ gelöscht."


def test_partner_leaving_a_programme_is_logged_and_can_be_undone(
    demo: Session,
) -> None:
    """A partner taken off the programme's list is a delete in the change log."""
    herten, marl = (
        demo.scalar(sa.select(Partner.id).where(Partner.name == name))
        for name in ("Herten", "Marl")
    )
    data = edit_programmes.ProgrammeIn.parse(
        {"name": "Bildungsregion", "partner_ids": [str(herten), str(marl)]}
    )
    programme = edit_programmes.create(demo, data)
    demo.commit()
    data = edit_programmes.as_input(programme)
    data.partner_ids = [marl]  # type: ignore[list-item]
    edit_programmes.update(demo, programme.key, data)
    demo.commit()
    left = demo.scalars(
        sa.select(Change).where(
            Change.entity == "programme_partners",
            Change.action == ChangeAction.DELETE,
        )
    ).all()
    assert [c.before for c in left] == [
        {"programme_id": programme.id, "partner_id": herten, "role": None}
    ]
    assert "wiederhergestellt" in undo_delete(demo, left[0].id)
    demo.commit()
    demo.expire_all()
    assert {link.partner_id for link in programme.partner_links} == {herten, marl}
