"""Regimes: the reporting rules that govern an award, kept as data (DESIGN §4).

A regime is a TOML file of obligation templates (id, kind, title, formula, contents
checklist, legal source label, confidence). The files ship in
``portfolio/domain/regimes/`` and an office can override or add regimes from a folder
(setting ``paths.regimes``); the door passes that folder in as a plain path. ``plan``
turns a regime plus an award's anchor dates and per-award overrides (the Bescheid
wins: forms checked by ``overrides.validate_overrides``) into ``PlannedObligation``
values;
the service stores them with origin ``rule:<regime>``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from portfolio.domain.deadlines import (
    Anchors,
    Formula,
    Occurrence,
    WorkingDays,
    effective,
    format_de,
    parse_formula,
    shift_note,
)
from portfolio.domain.enums import ObligationKind
from portfolio.domain.errors import InvalidValue, NotFound
from portfolio.domain.overrides import (
    OFF,
    ON,
    day_month,
    on_day_month,
    parse_override_date,
    series_key,
    unwrap,
)
from portfolio.domain.retention import RetentionRule, parse_retention

BUILTIN_DIR = Path(__file__).with_name("regimes")
CONFIDENCE = {"V": "belegt", "S": "sekundär belegt", "U": "nicht belegt (Annahme)"}


@dataclass(frozen=True, slots=True)
class Template:
    """One obligation a regime implies."""

    id: str
    kind: ObligationKind
    title: str
    formula: Formula
    source: str
    confidence: str
    checklist: tuple[str, ...] = ()
    shift: bool = True
    enabled: bool = True
    note: str = ""

    def title_for(self, year: int | None, key: str) -> str:
        """Return the title, with the Haushaltsjahr or the sequence number."""
        return self.title.format(year=year or "", n=key)


@dataclass(frozen=True, slots=True)
class Regime:
    """A named set of templates, e.g. ``bund-anbest-gk``."""

    id: str
    name: str
    description: str = ""
    templates: tuple[Template, ...] = ()
    source_file: str = ""
    retention: RetentionRule | None = None

    def template(self, template_id: str) -> Template:
        """Look a template up by id."""
        for item in self.templates:
            if item.id == template_id:
                return item
        raise NotFound(
            f"Die Regel {template_id!r} gibt es im Regelwerk {self.id!r} nicht."
        )


@dataclass(frozen=True, slots=True)
class PlannedObligation:
    """An obligation a regime proposes for one award."""

    template_id: str
    kind: ObligationKind
    title: str
    due_on: date
    due_effective: date
    source: str
    confidence: str
    checklist: tuple[str, ...] = field(default=())
    overridden: bool = False
    fixed: bool = False  # a Termin of the Bescheid ("fest"): never shifted
    latest: date | None = None  # the outer limit, when later than ``due_on``
    basis: str = ""  # why this date: assumption, Bescheid, working-day shift

    @property
    def shifted(self) -> bool:
        """Whether the effective date differs from the computed one."""
        return self.due_effective != self.due_on


def occurrence_id(template: Template, key: str) -> str:
    """Return the id of one occurrence: template id, plus ``:key`` for series."""
    return f"{template.id}:{key}" if key else template.id


def plan(
    regime: Regime,
    anchors: Anchors,
    calendar: WorkingDays | None,
    overrides: Mapping[str, object] | None = None,
) -> list[PlannedObligation]:
    """All obligations a regime implies for an award, overrides applied, by due date.

    ``overrides`` are in the normalised form of ``validate_overrides``. One keyed by a
    template id (``BUND_ANBESTGK_ZN``) switches the whole template off (``"on"``
    switches a template shipped disabled on), sets the date of a single-date template,
    or for a series gives a day-month (each Haushaltsjahr: that day of the following
    year) or the list of dates that replaces the series; one keyed by an occurrence id
    (``BUND_ANBESTGK_ZN:2017``) acts on that occurrence only. A date from the Bescheid
    is the end of a Frist and shifts to the next working day like a computed one
    (§ 193 BGB, § 31 Abs. 3 VwVfG) unless marked ``fest`` or the rule's dates are
    Termine (``shift = false``).
    """
    overrides = overrides or {}
    result: list[PlannedObligation] = []
    for template in regime.templates:
        whole, whole_fixed = unwrap(overrides.get(template.id))
        if whole == OFF or (not template.enabled and whole is None):
            continue
        for occ, by_whole in _occurrences(template, anchors, whole):
            oid = occurrence_id(template, occ.key)
            overridden, fixed = by_whole, by_whole and whole_fixed
            own, own_fixed = unwrap(overrides.get(oid)) if occ.key else (None, False)
            if own == OFF:
                continue
            due = occ.due
            if own not in (None, ON):
                due = _override_date(own, oid)
                overridden, fixed = True, own_fixed
            shift = template.shift and not fixed
            moved = effective(due, calendar, shift=shift)
            result.append(
                PlannedObligation(
                    template_id=oid,
                    kind=template.kind,
                    title=template.title_for(occ.year, occ.key),
                    due_on=due,
                    due_effective=moved,
                    source=template.source,
                    confidence=template.confidence,
                    checklist=template.checklist,
                    overridden=overridden,
                    fixed=overridden and not shift,
                    latest=None if overridden else occ.latest,
                    basis=_basis(
                        occ, due, moved, calendar, overridden=overridden, shift=shift
                    ),
                )
            )
    result.sort(key=lambda p: (p.due_on, p.template_id))
    return result


def _occurrences(
    template: Template, anchors: Anchors, whole: object
) -> list[tuple[Occurrence, bool]]:
    """The template's occurrences after a whole-template override.

    Returns (occurrence, by_whole): ``by_whole`` is True where the whole-template
    value set the date, so it counts as overridden and its "fest" mark applies.
    """
    series = template.formula.series
    if isinstance(whole, list):
        dates = sorted(_override_date(item, template.id) for item in whole)
        return [
            (Occurrence(due, series_key(series, due, i), _series_year(series, due)),
             True)
            for i, due in enumerate(dates)
        ]  # fmt: skip
    computed = template.formula.occurrences(anchors)
    if whole in (None, ON):
        return [(occ, False) for occ in computed]
    if series:
        parsed = day_month(whole)
        if parsed is None:
            raise InvalidValue(
                f"Abweichung {template.id}: {whole!r} ist kein Tag und Monat "
                "(z. B. 31.03.)."
            )
        lag = 1 if series == "yearly" else 0
        return [
            (replace(occ, due=on_day_month(int(occ.key) + lag, parsed)), True)
            for occ in computed
        ]
    due = _override_date(whole, template.id)
    return [(Occurrence(due), True)]


def _basis(
    occ: Occurrence,
    due: date,
    moved: date,
    calendar: WorkingDays | None,
    *,
    overridden: bool,
    shift: bool,
) -> str:
    """One German sentence or two: where the date comes from, and any shift."""
    parts = [occ.basis] if occ.basis and not overridden else []
    if overridden and shift:
        parts.append("Datum laut Bescheid (Abweichung), Ende einer Frist.")
    elif overridden:
        why = calendar.why_not(due) if calendar else ""
        parts.append(
            "Fester Termin laut Bescheid: wird nicht verschoben"
            + (f" ({format_de(due)}: {why})." if why else ".")
        )
    if moved != due and calendar is not None:
        parts.append(shift_note(due, moved, calendar))
    return " ".join(parts)


NO_TERM = "Keine Fristen: Bewilligungszeitraum fehlt"
OPEN_END = "offenes Ende: kein Verwendungsnachweis berechenbar"


def _no_term_hint(regime: Regime) -> str:
    """What to enter when the award has no Bewilligungszeitraum."""
    return (
        f"Die Fristen des Regelwerks „{regime.name}“ zählen vom Bewilligungszeitraum; "
        "tragen Sie Beginn und Ende laut Bescheid ein (oder die Termine des "
        "Bescheids als Abweichung)."
    )


def _open_end_hint(template: Template) -> str:
    """What to enter when the award's term has no end yet."""
    return (
        "Er zählt vom Ende des Bewilligungszeitraums; tragen Sie das Ende ein, "
        "sobald es feststeht, oder den Termin laut Bescheid als Abweichung "
        f"(Regel {template.id})."
    )


def unplanned(
    regime: Regime, anchors: Anchors, overrides: Mapping[str, object] | None = None
) -> list[str]:
    """Why rules of the regime yield no date for this award (German lines).

    An award without a Bewilligungszeitraum gets "Keine Fristen: Bewilligungszeitraum
    fehlt"; an open-ended one whose Verwendungsnachweis counts from the end "offenes
    Ende: kein Verwendungsnachweis berechenbar"; each followed by why and what to
    enter. Any other rule left without a date names itself and the missing date.
    Rules switched off, or given a date by the Bescheid, are not missing.
    """
    overrides = overrides or {}
    silent: list[Template] = []
    for template in regime.templates:
        whole, _ = unwrap(overrides.get(template.id))
        if whole == OFF or (not template.enabled and whole is None):
            continue
        given = whole not in (None, ON) and (
            isinstance(whole, list) or not template.formula.series
        )
        if (
            not given
            and template.formula.missing(anchors)
            and not template.formula.occurrences(anchors)
        ):
            silent.append(template)
    if not silent:
        return []
    if anchors.bewilligung_start is None and anchors.bewilligung_end is None:
        return [f"{NO_TERM}. {_no_term_hint(regime)}"]
    lines = []
    for template in silent:
        if anchors.bewilligung_end is None:
            lines.append(
                f"{OPEN_END}. {_open_end_hint(template)}"
                if template.kind is ObligationKind.VERWENDUNGSNACHWEIS
                else f"offenes Ende: {template.title_for(None, '').strip()} "
                f"({template.id}) nicht berechenbar"
            )
        else:
            lines.append(
                f"Beginn des Bewilligungszeitraums fehlt: "
                f"{template.title_for(None, '').strip()} ({template.id}) "
                "nicht berechenbar"
            )
    return list(dict.fromkeys(lines))


def _series_year(series: str, due: date) -> int:
    return due.year - 1 if series == "yearly" else due.year


def _override_date(value: object, where: str) -> date:
    parsed = parse_override_date(value)
    if parsed is None:
        raise InvalidValue(
            f"{value!r} ist kein Datum (Abweichung {where}); erwartet wird "
            "JJJJ-MM-TT oder TT.MM.JJJJ."
        )
    return parsed


def load_regimes(override_dir: Path | str | None = None) -> dict[str, Regime]:
    """Read the shipped regimes, then those of the override folder (same id wins)."""
    regimes = _load_dir(BUILTIN_DIR)
    if override_dir:
        folder = Path(override_dir)
        if not folder.is_dir():
            raise InvalidValue(
                f"Der Ordner für Regelwerke {str(folder)!r} existiert nicht; "
                "bitte paths.regimes prüfen."
            )
        regimes.update(_load_dir(folder))
    return regimes


def get_regime(regime_id: str, override_dir: Path | str | None = None) -> Regime:
    """One regime by id, with a German error naming the known ids."""
    regimes = load_regimes(override_dir)
    if regime_id not in regimes:
        known = ", ".join(sorted(regimes))
        raise NotFound(
            f"Das Regelwerk {regime_id!r} ist unbekannt; bekannt sind: {known}."
        )
    return regimes[regime_id]


def _load_dir(folder: Path) -> dict[str, Regime]:
    """Read every ``*.toml`` of a folder."""
    result = {}
    for path in sorted(folder.glob("*.toml")):
        regime = parse_regime(path.read_text(encoding="utf-8"), path.name)
        result[regime.id] = regime
    return result


def parse_regime(text: str, name: str = "<regime>") -> Regime:
    """Parse one regime document; errors name the file and the template."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValue(
            f"Das Regelwerk {name} ist kein gültiges TOML: {exc}."
        ) from exc
    try:
        templates = tuple(_template(t, name) for t in data.get("templates", []))
        ids = [t.id for t in templates]
        if len(set(ids)) != len(ids):
            raise InvalidValue(
                f"Im Regelwerk {name} ist eine Regel-ID doppelt vergeben."
            )
        return Regime(
            id=str(data["id"]),
            name=str(data["name"]),
            description=str(data.get("description", "")),
            templates=templates,
            source_file=name,
            retention=parse_retention(data.get("retention"), name),
        )
    except KeyError as exc:
        raise InvalidValue(
            f"Im Regelwerk {name} fehlt der Eintrag {exc.args[0]!r}."
        ) from exc


def _template(data: Mapping[str, object], name: str) -> Template:
    """Build one template from its TOML table."""
    where = f"{name}, Regel {data.get('id', '?')!r}"
    try:
        kind = ObligationKind(str(data["kind"]))
    except ValueError as exc:
        raise InvalidValue(f"Unbekannte Art {data['kind']!r} ({where}).") from exc
    confidence = str(data.get("confidence", "U"))
    if confidence not in CONFIDENCE:
        raise InvalidValue(
            f"Verlässlichkeit {confidence!r} ist nicht V, S oder U ({where})."
        )
    checklist = data.get("checklist", [])
    if not isinstance(checklist, list):
        raise InvalidValue(f"checklist muss eine Liste sein ({where}).")
    return Template(
        id=str(data["id"]),
        kind=kind,
        title=str(data["title"]),
        formula=parse_formula(str(data["formula"])),
        source=str(data["source"]),
        confidence=confidence,
        checklist=tuple(str(item) for item in checklist),
        shift=bool(data.get("shift", True)),
        enabled=bool(data.get("enabled", True)),
        note=str(data.get("note", "")),
    )
