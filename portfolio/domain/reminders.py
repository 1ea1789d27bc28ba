"""Reminder planning, pure: which reminder is due for whom at a given day (DESIGN §5).

Stages are days before the *unshifted* due date (defaults 42, 14, 3, 0, configurable
per obligation kind); after the due date a reminder goes out every 7 days while the
obligation is open, with the office lead in copy. Planning at day T yields, per open
obligation, only the latest stage whose day has come: a scheduler that was down for
three days therefore catches up with one mail, not one per missed stage. The outbox
(UNIQUE obligation, recipient, stage, due_on) turns a second planning into a no-op.
Stage numbers are days before the due date; overdue stages are negative (-7, -14 …).
The weekly digest is computed here too: each person's next 8 weeks, and everyone's
for the office lead, grouped by programme with the overdue first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from portfolio.domain.errors import InvalidValue

DEFAULT_STAGES: tuple[int, ...] = (42, 14, 3, 0)
OVERDUE_EVERY_DAYS = 7
DIGEST_WEEKS = 8


@dataclass(frozen=True, slots=True)
class Stages:
    """Reminder stages (days before the due date), per obligation kind."""

    default: tuple[int, ...] = DEFAULT_STAGES
    per_kind: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def for_kind(self, kind: str) -> tuple[int, ...]:
        """Return the stages of one obligation kind, largest first."""
        return self.per_kind.get(kind, self.default)

    @property
    def max_days(self) -> int:
        """The earliest stage over all kinds: how far ahead planning must look."""
        every = [*self.default, *(d for v in self.per_kind.values() for d in v)]
        return max(every, default=0)


def parse_stages(text: str) -> tuple[int, ...]:
    """Read ``"42,14,3,0"`` into stages, largest first; German error if unreadable."""
    try:
        values = sorted(
            {int(part) for part in text.split(",") if part.strip()}, reverse=True
        )
    except ValueError as exc:
        raise InvalidValue(
            f"Die Erinnerungsstufen {text!r} sind unlesbar; erwartet z. B. 42,14,3,0."
        ) from exc
    if not values or values[-1] < 0:
        raise InvalidValue(f"Die Erinnerungsstufen {text!r} müssen Tage ≥ 0 sein.")
    return tuple(values)


def parse_stage_config(text: str) -> Stages:
    """Read the setting ``reminders.stages``: defaults, then per-kind exceptions.

    ``"42,14,3,0"`` sets the defaults; ``"42,14,3,0; mittelabruf=7,0; event=14,1"``
    also gives Mittelabrufe and events their own stages (kinds as in DESIGN §3).
    """
    parts = [part.strip() for part in text.split(";") if part.strip()]
    default, per_kind = DEFAULT_STAGES, {}
    for part in parts:
        if "=" in part:
            kind, _, values = part.partition("=")
            per_kind[kind.strip().lower()] = parse_stages(values)
        else:
            default = parse_stages(part)
    return Stages(default=default, per_kind=per_kind)


def stage_day(due_on: date, stage: int) -> date:
    """Return the day a stage is due: ``stage`` days before the unshifted due date."""
    return due_on - timedelta(days=stage)


def current_stage(due_on: date, today: date, stages: Sequence[int]) -> int | None:
    """Return the latest stage whose day has come by ``today`` (None: too early).

    Overdue obligations get a stage every 7 days after the due date (-7, -14 …).
    """
    days = (due_on - today).days  # a stage s has come when s >= days
    if days <= -OVERDUE_EVERY_DAYS:
        return -OVERDUE_EVERY_DAYS * (-days // OVERDUE_EVERY_DAYS)
    reached = None
    for stage in stages:
        if stage >= days and (reached is None or stage < reached):
            reached = stage
    return reached


def stage_label(stage: int) -> str:
    """Describe a stage in German for the reminder log: "42 Tage vorher"."""
    if stage > 0:
        return f"{stage} Tag{'e' if stage != 1 else ''} vorher"
    if stage == 0:
        return "am Fälligkeitstag"
    weeks = -stage // OVERDUE_EVERY_DAYS
    return f"{weeks} Woche{'n' if weeks != 1 else ''} überfällig"


def due_text(due: date, today: date) -> str:
    """Say how far a deadline is: "in 22 Tagen fällig", "seit 8 Tagen überfällig"."""
    days = (due - today).days
    if days > 1:
        return f"in {days} Tagen fällig"
    if days == 1:
        return "morgen fällig"
    if days == 0:
        return "heute fällig"
    return f"seit {-days} Tag{'en' if days != -1 else ''} überfällig"


class DueItem(NamedTuple):
    """What planning needs of one open obligation (a tuple: planning makes many)."""

    obligation_id: int
    kind: str
    due_on: date
    responsible: str | None = None
    programme_lead: str | None = None
    programme: str = ""
    title: str = ""
    due_effective: date | None = None


class PlannedReminder(NamedTuple):
    """One reminder to write into the outbox."""

    obligation_id: int
    recipient: str
    stage: int
    due_on: date
    planned_for: date
    cc: tuple[str, ...] = ()


def recipient_for(item: DueItem, office_lead: str | None) -> str | None:
    """Pick the responsible contact, else the programme's lead, else the office lead."""
    return item.responsible or item.programme_lead or office_lead or None


def plan_reminders(
    items: Iterable[DueItem],
    today: date,
    stages: Stages,
    office_lead: str | None,
) -> list[PlannedReminder]:
    """Plan the reminders due by ``today`` for open obligations (one per obligation)."""
    result = []
    for item in items:
        stage = current_stage(item.due_on, today, stages.for_kind(item.kind))
        recipient = item.responsible or item.programme_lead or office_lead
        if stage is None or not recipient:
            continue
        copy = stage < 0 and office_lead and office_lead != recipient
        result.append(
            PlannedReminder(
                item.obligation_id,
                recipient.lower(),
                stage,
                item.due_on,
                item.due_on - timedelta(days=stage),
                (office_lead,) if copy and office_lead else (),
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The obligations of one programme in a digest."""

    programme: str
    items: tuple[DueItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """One person's weekly overview: overdue first, then the next weeks."""

    recipient: str
    today: date
    until: date
    overdue: tuple[DueItem, ...]
    upcoming: tuple[DueItem, ...]
    everyone: bool = False

    @property
    def empty(self) -> bool:
        """Whether there is nothing to tell."""
        return not self.overdue and not self.upcoming

    def groups(self) -> list[DigestGroup]:
        """Overdue and upcoming items together, grouped by programme."""
        by_programme: dict[str, list[DueItem]] = {}
        for item in (*self.overdue, *self.upcoming):
            by_programme.setdefault(item.programme, []).append(item)
        return [
            DigestGroup(name, tuple(items))
            for name, items in sorted(by_programme.items())
        ]


def plan_digests(
    items: Iterable[DueItem],
    today: date,
    office_lead: str | None,
    weeks: int = DIGEST_WEEKS,
) -> list[Digest]:
    """Each person's digest, plus the office lead's with everyone's obligations."""
    until = today + timedelta(weeks=weeks)
    relevant = sorted(
        (i for i in items if i.due_on <= until),
        key=lambda i: (i.due_on, i.obligation_id),
    )
    per_person: dict[str, list[DueItem]] = {}
    for item in relevant:
        who = recipient_for(item, office_lead)
        if who:
            per_person.setdefault(who.lower(), []).append(item)
    lead = office_lead.lower() if office_lead else None
    digests = [
        _digest(person, mine, today, until, everyone=False)
        for person, mine in sorted(per_person.items())
        if person != lead
    ]
    if lead:
        digests.append(_digest(lead, relevant, today, until, everyone=True))
    return [d for d in digests if not d.empty]


def _digest(
    person: str, items: Sequence[DueItem], today: date, until: date, *, everyone: bool
) -> Digest:
    """Split one person's items into overdue and upcoming."""
    return Digest(
        recipient=person,
        today=today,
        until=until,
        overdue=tuple(i for i in items if i.due_on < today),
        upcoming=tuple(i for i in items if i.due_on >= today),
        everyone=everyone,
    )
