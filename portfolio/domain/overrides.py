"""Per-award overrides of regime rules: the one validator every door calls.

A Bescheid or contract wins over a regime's defaults (DESIGN §4), so each award keeps
``overrides``: a JSON object keyed by a rule id (``BUND_ANBESTGK_VN``) or by one
occurrence of a series (``BUND_ANBESTGK_ZN:2017``). ``validate_overrides`` checks such
an object against the award's regime and returns it normalised, or raises
``OverrideError`` with one German sentence naming the rules that exist — so a misspelt
rule id or a date given to a yearly rule can no longer be stored without effect.
Stored value forms (CONTRACTS §1):

- ``"off"`` switches a rule or one occurrence off; ``"on"`` switches on a rule the
  regime ships disabled;
- an ISO date ``"2019-03-31"`` (``31.03.2019`` accepted on input) sets a single date;
- for a series (``yearly`` …) a day-month ``"31.03."`` — for each Haushaltsjahr that day
  of the following year — or a list of ISO dates that replaces the series;
- ``{"date": …, "fest": true}``: a date the Bescheid fixes as a Termin; it does not
  move to the next working day. Every other date from a Bescheid is the end of a Frist
  and shifts like a computed one (§ 193 BGB, § 31 Abs. 3 VwVfG).

A blank value (None or "") means "no override" and is dropped, so a form can send
every rule and leave the untouched ones empty. The engine (``regimes.plan``) reads the
normalised forms through ``unwrap``, ``day_month`` and ``parse_override_date``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from portfolio.domain.errors import InvalidValue
from portfolio.domain.periods import month_end

if TYPE_CHECKING:
    from portfolio.domain.regimes import Regime, Template

OFF = "off"
ON = "on"
FIXED = "fest"
_SWITCHES = {"off": OFF, "aus": OFF, "on": ON, "an": ON, "ein": ON}
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Series whose occurrences are keyed by a year, and which take a day-month.
YEAR_KEYED = ("yearly", "yearly_on")

OverrideValue = str | list[str] | dict[str, object]


class OverrideError(InvalidValue):
    """An override that does not fit the award's regime; ``rule`` names its key."""

    def __init__(self, message: str, rule: str = "") -> None:
        """Keep the German message and the offending rule id."""
        super().__init__(message)
        self.rule = rule


def validate_overrides(
    regime: Regime | None, overrides: Mapping[str, object] | None
) -> dict[str, OverrideValue]:
    """Check overrides against a regime; return them normalised, sorted by key."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise OverrideError(
            "Abweichungen müssen als Zuordnung Regel → Wert angegeben werden "
            f"(z. B. {{'REGEL_ID': '31.03.2019'}}), nicht als {overrides!r}."
        )
    result: dict[str, OverrideValue] = {}
    for raw_key, value in overrides.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        key = str(raw_key).strip()
        if regime is None:
            raise OverrideError(
                f"Abweichung {key!r}: Die Bewilligung hat kein Regelwerk; "
                "Abweichungen gelten nur für die Regeln eines Regelwerks.",
                key,
            )
        template_id, _, occurrence = key.partition(":")
        template = _find(regime, template_id, key)
        if occurrence:
            _check_occurrence(regime, template, occurrence, key)
        result[key] = _normalise(template, key, value, whole=not occurrence)
    return dict(sorted(result.items()))


def rules_text(regime: Regime) -> str:
    """The rule ids of a regime with their shape, for messages and form hints."""
    parts = []
    for template in regime.templates:
        series = template.formula.series
        hint = " (je Haushaltsjahr)" if series == "yearly" else ""
        hint = " (jährlich)" if series == "yearly_on" else hint
        hint = " (Serie)" if series == "every_months" else hint
        parts.append(f"{template.id}{hint}")
    return ", ".join(parts)


def _find(regime: Regime, template_id: str, key: str) -> Template:
    for template in regime.templates:
        if template.id == template_id:
            return template
    raise OverrideError(
        f"Abweichung {key!r}: Die Regel {template_id!r} gibt es im Regelwerk "
        f"{regime.id!r} nicht; vorhanden sind: {rules_text(regime)}.",
        key,
    )


def _check_occurrence(
    regime: Regime, template: Template, occurrence: str, key: str
) -> None:
    series = template.formula.series
    if not series:
        raise OverrideError(
            f"Abweichung {key!r}: Die Regel {template.id!r} ergibt nur einen Termin; "
            f"bitte ohne ':{occurrence}' angeben (Regeln im Regelwerk {regime.id!r}: "
            f"{rules_text(regime)}).",
            key,
        )
    if series in YEAR_KEYED:
        if not (occurrence.isdigit() and len(occurrence) == 4):
            raise OverrideError(
                f"Abweichung {key!r}: Nach dem Doppelpunkt steht das Haushaltsjahr "
                f"(z. B. {template.id}:2017), nicht {occurrence!r}.",
                key,
            )
    elif not (occurrence.isdigit() and int(occurrence) >= 1):
        raise OverrideError(
            f"Abweichung {key!r}: Nach dem Doppelpunkt steht die laufende Nummer "
            f"(z. B. {template.id}:1), nicht {occurrence!r}.",
            key,
        )


def _normalise(
    template: Template, key: str, value: object, *, whole: bool
) -> OverrideValue:
    """One value in its stored form, or an error saying which forms fit this rule."""
    series = template.formula.series if whole else ""
    fixed = False
    if isinstance(value, Mapping):
        if set(value) - {"date", FIXED} or "date" not in value:
            raise OverrideError(
                f"Abweichung {key!r}: Ein fester Termin wird als "
                '{"date": "2019-03-31", "fest": true} angegeben, nicht als '
                f"{dict(value)!r}.",
                key,
            )
        fixed_flag = value.get(FIXED, False)
        if not isinstance(fixed_flag, bool):
            raise OverrideError(
                f"Abweichung {key!r}: 'fest' ist true oder false, "
                f"nicht {fixed_flag!r}.",
                key,
            )
        fixed, value = fixed_flag, value["date"]
        if _switch(value) is not None:
            raise OverrideError(
                f"Abweichung {key!r}: 'fest' gilt für ein Datum, nicht für {value!r}.",
                key,
            )
    elif isinstance(value, str) and value.strip().lower().endswith(f" {FIXED}"):
        fixed, value = True, value.strip()[: -len(FIXED)].strip()
    plain = _plain(template, key, value, series)
    return {"date": plain, FIXED: True} if fixed else plain


def _plain(template: Template, key: str, value: object, series: str) -> OverrideValue:
    """A switch, a date, a day-month or a list of dates, checked against the rule."""
    switch = _switch(value)
    if switch == ON and ":" in key:
        raise OverrideError(
            f"Abweichung {key!r}: 'on' schaltet nur eine ganze Regel ein "
            f"({template.id}); ein einzelner Termin wird mit einem Datum gesetzt.",
            key,
        )
    if switch is not None:
        return switch
    if isinstance(value, list | tuple):
        if not series:
            raise OverrideError(
                f"Abweichung {key!r}: Die Regel {template.id!r} hat nur einen "
                "Termin; bitte ein einzelnes Datum angeben, keine Liste.",
                key,
            )
        return _date_list(template, key, list(value))
    if isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise _shape_error(template, key, value, series)
    text = value.strip()
    if day_month(text) is not None or _DAY_MONTH.match(text):
        if series not in YEAR_KEYED:
            raise _shape_error(template, key, value, series)
        parsed = day_month(text)
        if parsed is None:
            raise OverrideError(
                f"Abweichung {key!r}: {value!r} ist kein Tag des Jahres "
                "(z. B. 31.03.).",
                key,
            )
        return f"{parsed[0]:02d}.{parsed[1]:02d}."
    when = parse_override_date(text)
    if when is None:
        raise _shape_error(template, key, value, series)
    if series:
        raise OverrideError(
            f"Abweichung {key!r}: Die Regel {template.id!r} gilt für jedes "
            f"{_unit(series)}; ein einzelnes Datum ({value}) gilt für einen Termin: "
            f"'{template.id}:{_example_key(series, when)}' = '{value}', oder für alle "
            f"Termine einen Tag und Monat wie '31.03.' bzw. eine Liste von Daten.",
            key,
        )
    return when.isoformat()


def _date_list(template: Template, key: str, items: list[object]) -> list[str]:
    series = template.formula.series
    dates: list[date] = []
    for item in items:
        parsed = (
            item
            if isinstance(item, date)
            else parse_override_date(item.strip())
            if isinstance(item, str)
            else None
        )
        if parsed is None:
            raise OverrideError(
                f"Abweichung {key!r}: {item!r} in der Liste ist kein Datum "
                "(JJJJ-MM-TT oder TT.MM.JJJJ).",
                key,
            )
        dates.append(parsed)
    if not dates:
        raise OverrideError(
            f"Abweichung {key!r}: Die Liste ist leer; um die Regel abzuschalten, "
            "'off' angeben.",
            key,
        )
    dates.sort()
    keys = [series_key(series, d, i) for i, d in enumerate(dates)]
    if len(set(keys)) != len(keys):
        raise OverrideError(
            f"Abweichung {key!r}: Zwei Daten der Liste fallen in dasselbe Jahr; "
            f"die Regel {template.id!r} hat einen Termin je {_unit(series)}.",
            key,
        )
    return [d.isoformat() for d in dates]


def series_key(series: str, due: date, index: int) -> str:
    """The occurrence key of a listed date: Haushaltsjahr, year or sequence number."""
    if series == "yearly":
        return str(due.year - 1)  # the Zwischennachweis for year N is due in N+1
    if series == "yearly_on":
        return str(due.year)
    return str(index + 1)


def _unit(series: str) -> str:
    return {"yearly": "Haushaltsjahr", "yearly_on": "Jahr"}.get(series, "Intervall")


def _example_key(series: str, when: date) -> str:
    return series_key(series, when, 0)


def _shape_error(
    template: Template, key: str, value: object, series: str
) -> OverrideError:
    if series in YEAR_KEYED:
        forms = "'off', einen Tag und Monat wie '31.03.' oder eine Liste von Daten" + (
            " ('on' schaltet die Regel ein)" if not template.enabled else ""
        )
    elif series:
        forms = "'off' oder eine Liste von Daten"
    else:
        forms = (
            "'off', ein Datum wie '31.03.2019' (JJJJ-MM-TT geht auch) oder "
            '{"date": "2019-03-31", "fest": true}'
        )
    return OverrideError(
        f"Abweichung {key!r}: {value!r} passt nicht zur Regel {template.id!r}; "
        f"erlaubt sind {forms}.",
        key,
    )


def _switch(value: object) -> str | None:
    if isinstance(value, str):
        return _SWITCHES.get(value.strip().lower())
    return None


def parse_override_date(text: object) -> date | None:
    """An ISO or German (31.03.2019) date, or None when the text is neither."""
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        return None
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        match = _GERMAN_DATE.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def day_month(text: object) -> tuple[int, int] | None:
    """(day, month) of a day-month like "31.03." (29.02. allowed), else None."""
    if not isinstance(text, str):
        return None
    match = _DAY_MONTH.match(text.strip())
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= month_end(2000, month).day:
        return None
    return day, month


def on_day_month(year: int, day_and_month: tuple[int, int]) -> date:
    """That day of the year, clamped to the month end (29.02. → 28.02.)."""
    day, month = day_and_month
    return date(year, month, min(day, month_end(year, month).day))


def unwrap(value: object) -> tuple[object, bool]:
    """A stored value and whether it is fixed: {"date": d, "fest": true} → (d, True)."""
    if isinstance(value, Mapping):
        return value.get("date"), bool(value.get(FIXED, False))
    return value, False
