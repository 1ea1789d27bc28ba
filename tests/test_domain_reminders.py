"""Pure reminder planning: stages, catch-up, recipients, overdue copies, digest."""

from __future__ import annotations

from datetime import date

from portfolio.domain.reminders import (
    DueItem,
    Stages,
    current_stage,
    due_text,
    parse_stage_config,
    parse_stages,
    plan_digests,
    plan_reminders,
    stage_label,
)

LEAD = "leitung@kreis-re.de"
DUE = date(2017, 4, 30)  # unshifted; effective 02.05.2017


def item(**kw):
    base = {"obligation_id": 1, "kind": "zwischennachweis", "due_on": DUE}
    base.update(kw)
    return DueItem(**base)


def test_stages_count_from_the_unshifted_date():
    stages = (42, 14, 3, 0)
    assert current_stage(DUE, date(2017, 3, 18), stages) is None
    assert current_stage(DUE, date(2017, 3, 19), stages) == 42
    assert current_stage(DUE, date(2017, 4, 16), stages) == 14
    assert current_stage(DUE, date(2017, 4, 27), stages) == 3
    assert current_stage(DUE, date(2017, 4, 30), stages) == 0
    assert current_stage(DUE, date(2017, 5, 2), stages) == 0


def test_catch_up_after_downtime_is_one_stage_not_all_missed():
    assert current_stage(DUE, date(2017, 4, 28), (42, 14, 3, 0)) == 3


def test_weekly_while_overdue_with_office_lead_in_copy():
    assert current_stage(DUE, date(2017, 5, 7), (42, 14, 3, 0)) == -7
    assert current_stage(DUE, date(2017, 5, 20), (42, 14, 3, 0)) == -14
    [planned] = plan_reminders(
        [item(responsible="a@x.de")], date(2017, 5, 7), Stages(), LEAD
    )
    assert planned.cc == (LEAD,)
    assert planned.planned_for == date(2017, 5, 7)
    assert stage_label(-14) == "2 Wochen überfällig"
    assert stage_label(42) == "42 Tage vorher"
    assert due_text(date(2017, 5, 2), date(2017, 4, 10)) == "in 22 Tagen fällig"
    assert due_text(date(2017, 5, 2), date(2017, 5, 10)) == "seit 8 Tagen überfällig"


def test_recipient_falls_back_to_programme_lead_then_office_lead():
    day = date(2017, 4, 10)
    plans = plan_reminders(
        [
            item(obligation_id=1, responsible="A@X.de", programme_lead="b@x.de"),
            item(obligation_id=2, programme_lead="b@x.de"),
            item(obligation_id=3),
        ],
        day,
        Stages(),
        LEAD,
    )
    assert [(p.obligation_id, p.recipient, p.stage, p.cc) for p in plans] == [
        (1, "a@x.de", 42, ()),
        (2, "b@x.de", 42, ()),
        (3, LEAD, 42, ()),
    ]


def test_no_recipient_at_all_plans_nothing():
    assert plan_reminders([item()], date(2017, 4, 10), Stages(), None) == []


def test_stages_configurable_per_kind():
    stages = Stages(per_kind={"mittelabruf": (7, 0)})
    plans = plan_reminders(
        [item(kind="mittelabruf", responsible="a@x.de")],
        date(2017, 4, 10),
        stages,
        LEAD,
    )
    assert plans == []
    assert stages.max_days == 42
    assert parse_stages("0, 3,14,42") == (42, 14, 3, 0)
    config = parse_stage_config("28,7,0; mittelabruf=7,0")
    assert config.for_kind("mittelabruf") == (7, 0)
    assert config.for_kind("zwischennachweis") == (28, 7, 0)


def test_digest_next_eight_weeks_overdue_first_lead_sees_everyone():
    today = date(2017, 4, 10)
    items = [
        item(
            obligation_id=1,
            due_on=date(2017, 3, 31),
            responsible="a@x.de",
            programme="KAoA",
        ),
        item(
            obligation_id=2, due_on=DUE, responsible="a@x.de", programme="Zukunftsstadt"
        ),
        item(
            obligation_id=3,
            due_on=date(2017, 5, 31),
            responsible="b@x.de",
            programme="KAoA",
        ),
        item(
            obligation_id=4,
            due_on=date(2017, 9, 30),
            responsible="b@x.de",
            programme="KAoA",
        ),
    ]
    digests = {d.recipient: d for d in plan_digests(items, today, LEAD)}
    assert set(digests) == {"a@x.de", "b@x.de", LEAD}
    assert [i.obligation_id for i in digests["a@x.de"].overdue] == [1]
    assert [i.obligation_id for i in digests["b@x.de"].upcoming] == [3]
    lead = digests[LEAD]
    assert lead.everyone
    assert [
        (g.programme, [i.obligation_id for i in g.items]) for g in lead.groups()
    ] == [
        ("KAoA", [1, 3]),
        ("Zukunftsstadt", [2]),
    ]
