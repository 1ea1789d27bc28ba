"""Create, change and delete awards (Bescheid or Vertrag), and preview the consequences.

An award's term, regime and overrides decide its rule deadlines (DESIGN §4). Before
saving, ``preview`` says which deadlines move ("Der Verwendungsnachweis verschiebt sich
vom 30.04.2019 auf den 31.07.2019"), which come or go, which stay because a person
changed them, and which planned reminders are cancelled; saving regenerates them and
cancels the reminders planned for dates that no longer hold. An approved application
becomes an award in one step (``from_application``), keeping its link. Services never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from portfolio.domain.deadlines import Anchors, WorkingDays
from portfolio.domain.enums import (
    ApplicationStatus,
    AwardKind,
    ObligationKind,
    ReminderStatus,
)
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import (
    Application,
    Award,
    Funder,
    Obligation,
    Phase,
    Reminder,
)
from portfolio.domain.overrides import OverrideError, validate_overrides
from portfolio.domain.periods import format_date
from portfolio.domain.regimes import PlannedObligation, Regime, load_regimes, plan
from portfolio.services import clock
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    GermanDate,
    Kind,
    LongText,
    Max,
    Money,
    Number,
    OptText,
    Ref,
    Share,
    check,
    german_error,
    plural,
    raise_if,
)
from portfolio.services.edit_programmes import get as get_programme
from portfolio.services.edit_undo import delete_row
from portfolio.services.import_apply import RuleSettings
from portfolio.services.obligations import (
    HISTORY_GRACE,
    RULE_PREFIX,
    cancel_pending,
    regenerate,
)
from portfolio.services.retention import planned_retention


def parse_overrides(raw: object) -> dict[str, Any]:
    """Overrides typed one per line (``NRW_ANBEST_P_VN = 31.07.2019``) or as JSON.

    Only the shape is read here (a list where commas separate dates); whether a rule
    exists and takes that value is the regime's business (``validate_overrides``).
    """
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return {str(k): v for k, v in raw.items()}
    result: dict[str, Any] = {}
    for number, line in enumerate(str(raw).splitlines(), 1):
        if not line.strip():
            continue
        if "=" not in line:
            raise german_error(
                f"Zeile {number}: bitte „Regel = Wert“ schreiben, z. B. "
                "NRW_ANBEST_P_ZN = aus oder NRW_ANBEST_P_VN = 31.07.2019."
            )
        key, value = (part.strip() for part in line.split("=", 1))
        parts = [p.strip() for p in value.split(",") if p.strip()]
        result[key] = parts if len(parts) > 1 else value
    return result


def show_overrides(overrides: dict[str, Any]) -> str:
    """Stored overrides as the form shows them: one „Regel = Wert“ per line."""
    lines = []
    for key, value in overrides.items():
        if isinstance(value, dict):
            text = f"{_german(str(value.get('date', '')))} fest"
        elif isinstance(value, list):
            text = ", ".join(_german(str(v)) for v in value)
        else:
            text = _german(str(value))
        lines.append(f"{key} = {text}")
    return "\n".join(lines)


def _german(value: str) -> str:
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value


Overrides = Annotated[dict[str, Any], BeforeValidator(parse_overrides), Kind.MAPPING]


class AwardIn(EditModel):
    """An award as typed: the funder is required; amounts and dates the German way."""

    funder_id: Annotated[Ref, Field(title="Fördergeber")]
    kind: Annotated[AwardKind, Field(AwardKind.BESCHEID, title="Art")]
    reference: Annotated[
        OptText, Field(None, title="Förderkennzeichen / Aktenzeichen"), Max(120)
    ]
    phase_id: Annotated[Ref, Field(None, title="Phase")]
    awarded_on: Annotated[GermanDate, Field(None, title="Datum des Bescheids")]
    start: Annotated[GermanDate, Field(None, title="Bewilligungszeitraum von")]
    end: Annotated[GermanDate, Field(None, title="Bewilligungszeitraum bis")]
    amount: Annotated[Money, Field(None, title="Bewilligter Betrag")]
    own_contribution: Annotated[Money, Field(None, title="Eigenanteil")]
    funding_rate: Annotated[Share, Field(None, title="Förderquote")]
    staff_posts: Annotated[Number, Field(None, title="Stellen (VZÄ)")]
    regime: Annotated[OptText, Field(None, title="Regelwerk"), Max(60)]
    overrides: Annotated[
        Overrides,
        Field(
            default_factory=dict,
            title="Abweichungen vom Regelwerk",
            description="Eine je Zeile: Regel = aus oder Regel = Datum",
        ),
    ]
    zweck_erfuellt_on: Annotated[GermanDate, Field(None, title="Zweck erfüllt am")]
    conditions: Annotated[LongText, Field(None, title="Auflagen"), Max(20000)]

    def form_values(self) -> dict[str, Any]:
        """The values as the form shows them; overrides one per line."""
        values = super().form_values()
        values["overrides"] = show_overrides(self.overrides)
        return values


@dataclass
class Consequences:
    """What saving an award would do to its rule deadlines and reminders."""

    moved: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """All sentences, the moves first."""
        return [*self.moved, *self.added, *self.removed, *self.kept, *self.reminders]


def get(session: Session, award_id: int) -> Award:
    """One award by id, with a German error if there is none."""
    award = session.get(Award, award_id) if 0 < award_id < 2**31 else None
    if award is None:
        raise NotFound(f"Eine Bewilligung mit der Nummer {award_id} gibt es nicht.")
    return award


def as_input(award: Award) -> AwardIn:
    """The stored award as input (to fill the edit form)."""
    values = {name: getattr(award, name) for name in AwardIn.model_fields}
    values["overrides"] = dict(award.overrides or {})
    return AwardIn.model_validate(values)


def _check(
    session: Session,
    data: AwardIn,
    programme_id: int,
    award_id: int | None,
    regimes: dict[str, Regime],
) -> None:
    errors: dict[str, str] = {}
    check(
        errors,
        "funder_id",
        data.funder_id is not None,
        "Bitte einen Fördergeber wählen.",
    )
    if data.funder_id is not None:
        check(
            errors,
            "funder_id",
            session.get(Funder, data.funder_id) is not None,
            "Diesen Fördergeber gibt es nicht.",
        )
    if data.phase_id is not None:
        phase = session.get(Phase, data.phase_id)
        check(
            errors,
            "phase_id",
            phase is not None and phase.programme_id == programme_id,
            "Diese Phase gehört nicht zu diesem Programm.",
        )
    if data.start and data.end:
        check(
            errors,
            "end",
            data.end >= data.start,
            f"Das Ende liegt vor dem Beginn ({format_date(data.start)}).",
        )
    if data.reference and data.funder_id is not None:
        other = session.scalar(
            sa.select(Award.id).where(
                Award.programme_id == programme_id,
                Award.funder_id == data.funder_id,
                Award.reference == data.reference,
            )
        )
        check(
            errors,
            "reference",
            other is None or other == award_id,
            f"Eine Bewilligung „{data.reference}“ dieses Fördergebers gibt es beim "
            "Programm schon.",
        )
    if data.regime:
        known = ", ".join(sorted(regimes))
        check(
            errors,
            "regime",
            data.regime in regimes,
            f"Das Regelwerk „{data.regime}“ gibt es nicht; bekannt sind: {known}.",
        )
    if data.overrides:
        try:
            data.overrides = validate_overrides(
                regimes.get(data.regime or ""), data.overrides
            )
        except OverrideError as exc:
            check(errors, "overrides", False, exc.message)
    raise_if(errors, AwardIn)


def _apply(award: Award, data: AwardIn) -> None:
    for name in AwardIn.model_fields:
        setattr(award, name, getattr(data, name))
    award.overrides = dict(data.overrides)


def _rules(rules: RuleSettings | None) -> tuple[dict[str, Regime], WorkingDays]:
    rules = rules or RuleSettings()
    return load_regimes(rules.regimes_dir), WorkingDays(rules.state)


def _regenerate(
    session: Session,
    award: Award,
    regimes: dict[str, Regime],
    calendar: WorkingDays,
) -> None:
    session.flush()
    regenerate(session, award, regimes, calendar, clock.today(session))
    session.flush()
    # Reminders planned for a date that no longer holds go; the next planning run
    # plans them for the new date.
    for obligation in _rule_obligations(session, award.id):
        if obligation.is_open:
            cancel_pending(session, obligation.id, except_due=obligation.due_on)


def create(
    session: Session,
    programme_key: str,
    data: AwardIn,
    rules: RuleSettings | None = None,
    *,
    application_id: int | None = None,
) -> Award:
    """Add an award; its regime's deadlines are generated at once."""
    programme = get_programme(session, programme_key)
    regimes, calendar = _rules(rules)
    _check(session, data, programme.id, None, regimes)
    award = Award(programme_id=programme.id, application_id=application_id)
    _apply(award, data)
    session.add(award)
    _regenerate(session, award, regimes, calendar)
    session.refresh(programme, ["awards", "obligations"])
    return award


def update(
    session: Session, award_id: int, data: AwardIn, rules: RuleSettings | None = None
) -> Award:
    """Change an award; its rule deadlines follow (people's edits stay)."""
    award = get(session, award_id)
    regimes, calendar = _rules(rules)
    _check(session, data, award.programme_id, award.id, regimes)
    _apply(award, data)
    _regenerate(session, award, regimes, calendar)
    session.refresh(award)
    return award


def _rule_obligations(session: Session, award_id: int | None) -> list[Obligation]:
    if award_id is None:
        return []
    return list(
        session.scalars(
            sa.select(Obligation).where(
                Obligation.award_id == award_id,
                Obligation.origin.like(f"{RULE_PREFIX}%"),
            )
        )
    )


def _subject(title: str, kind: ObligationKind) -> str:
    """„Der Verwendungsnachweis 2018“ for the known kinds, else the title quoted."""
    articles = {
        ObligationKind.VERWENDUNGSNACHWEIS: "Der",
        ObligationKind.ZWISCHENNACHWEIS: "Der",
        ObligationKind.SACHBERICHT: "Der",
        ObligationKind.MITTELABRUF: "Der",
        ObligationKind.REPORT: "Der",
    }
    article = articles.get(kind)
    if article and title.split(" ", maxsplit=1)[0].lower() in (
        "verwendungsnachweis",
        "zwischennachweis",
        "sachbericht",
        "mittelabruf",
        "bericht",
    ):
        return f"{article} {title}"
    return f"„{title}“"


def _planned(
    regime: Regime | None,
    data: AwardIn,
    calendar: WorkingDays,
    today: date,
    existing: dict[str | None, Obligation],
) -> list[PlannedObligation]:
    """The rule deadlines the typed award would have, its retention date included."""
    if regime is None:
        return []
    anchors = Anchors(
        bewilligung_start=data.start,
        bewilligung_end=data.end,
        zweck_erfuellt=data.zweck_erfuellt_on,
        horizon=date(today.year + 1, 12, 31),
    )
    try:
        planned = plan(regime, anchors, calendar, data.overrides)
    except NotFound:
        return []
    retention = planned_retention(regime, planned, existing)
    return [*planned, retention] if retention is not None else planned


def preview(
    session: Session,
    award_id: int | None,
    data: AwardIn,
    rules: RuleSettings | None = None,
    programme_key: str | None = None,
) -> Consequences:
    """What saving ``data`` would do to the award's rule deadlines and reminders.

    Checks the input first (a ``FormErrors`` says what is wrong), so a preview never
    shows the consequences of something that could not be saved.
    """
    regimes, calendar = _rules(rules)
    if award_id is not None:
        programme_id = get(session, award_id).programme_id
    else:
        programme_id = get_programme(session, programme_key or "").id
    _check(session, data, programme_id, award_id, regimes)
    today = clock.today(session)
    # As saving regenerates them (services.obligations.regenerate): spending
    # deadlines are kept by the money services, the retention date follows the VN.
    existing = {
        o.rule_key: o
        for o in _rule_obligations(session, award_id)
        if o.kind is not ObligationKind.MITTELVERWENDUNG
    }
    planned = _planned(regimes.get(data.regime or ""), data, calendar, today, existing)
    result = Consequences()
    affected: list[Obligation] = []
    for item in planned:
        current = existing.pop(item.template_id, None)
        when = format_date(item.due_effective)
        if current is None:
            history = item.due_effective < today - HISTORY_GRACE
            note = " (liegt zurück: gilt als erledigt)" if history else ""
            result.added.append(f"Neu: {item.title} am {when}{note}.")
        elif current.effective != item.due_effective:
            if current.is_open and not current.edited:
                result.moved.append(
                    f"{_subject(current.title, current.kind)} verschiebt sich vom "
                    f"{format_date(current.effective)} auf den {when}."
                )
                affected.append(current)
            else:
                result.kept.append(
                    f"„{current.title}“ bleibt am {format_date(current.effective)} "
                    "(von Hand geändert oder nicht mehr offen)."
                )
    for stale in existing.values():
        if stale.is_open and not stale.edited:
            result.removed.append(
                f"Entfällt: {stale.title} (bisher {format_date(stale.effective)})."
            )
            affected.append(stale)
        else:
            result.kept.append(
                f"„{stale.title}“ bleibt (von Hand geändert oder nicht mehr offen)."
            )
    result.reminders = _cancelled(session, affected)
    return result


def _cancelled(session: Session, obligations: list[Obligation]) -> list[str]:
    if not obligations:
        return []
    query = (
        sa.select(Reminder.obligation_id, sa.func.count())
        .where(
            Reminder.obligation_id.in_([o.id for o in obligations]),
            Reminder.status == ReminderStatus.PENDING,
        )
        .group_by(Reminder.obligation_id)
    )
    counts = {row[0]: int(row[1]) for row in session.execute(query)}
    lines = []
    for obligation in obligations:
        count = int(counts.get(obligation.id, 0))
        if count:
            lines.append(
                f"{plural(count, 'geplante Erinnerung', 'geplante Erinnerungen')} zu "
                f"„{obligation.title}“ {'wird' if count == 1 else 'werden'} storniert."
            )
    return lines


def delete_preview(session: Session, award_id: int) -> list[str]:
    """What goes with the award when it is deleted."""
    award = get(session, award_id)
    deadlines = int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Obligation)
            .where(Obligation.award_id == award.id)
        )
        or 0
    )
    parts = [plural(deadlines, "Frist", "Fristen")]
    if award.budget_lines:
        parts.append(plural(len(award.budget_lines), "Planzeile", "Planzeilen"))
    if award.expenses:
        parts.append(plural(len(award.expenses), "Ausgabe", "Ausgaben"))
    if award.disbursements:
        parts.append(plural(len(award.disbursements), "Mittelabruf", "Mittelabrufe"))
    return [f"Mit der Bewilligung werden gelöscht: {', '.join(parts)}."]


def delete(session: Session, award_id: int) -> Deleted:
    """Delete an award with its deadlines and money records."""
    consequences = delete_preview(session, award_id)
    award = get(session, award_id)
    name = award.reference or f"{award.funder.short_name} ({award.kind.value})"
    summary = f"Bewilligung „{name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, award))


APPROVED = (ApplicationStatus.APPROVED, ApplicationStatus.PARTLY_APPROVED)


def from_application(
    session: Session, application_id: int, rules: RuleSettings | None = None
) -> Award:
    """Turn an approved application into an award in one step, keeping its link."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound(f"Einen Antrag mit der Nummer {application_id} gibt es nicht.")
    if application.status not in APPROVED:
        raise Conflict(
            "Nur ein bewilligter Antrag wird zur Bewilligung – bitte zuerst den Status "
            "auf „bewilligt“ oder „teilweise bewilligt“ setzen."
        )
    if application.funder_id is None:
        raise Conflict("Der Antrag nennt keinen Fördergeber – bitte zuerst eintragen.")
    linked = session.scalar(
        sa.select(Award.id).where(Award.application_id == application.id)
    )
    if linked is not None:
        raise Conflict("Aus diesem Antrag ist schon eine Bewilligung entstanden.")
    phase = application.phase
    data = AwardIn.model_validate(
        {
            "funder_id": application.funder_id,
            "phase_id": application.phase_id,
            "reference": application.reference,
            "awarded_on": application.decided_on,
            "start": phase.start if phase else None,
            "end": phase.end if phase else None,
            "amount": application.requested,
            "own_contribution": application.own_contribution,
        }
    )
    return create(
        session, application.programme.key, data, rules, application_id=application.id
    )
