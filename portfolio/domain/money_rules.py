"""The money rules of a regime: spending period of a payment and the money checks.

They live in the regime TOML files beside the deadline templates, in a ``[money]``
table (``spend_within`` "6w"/"2m" with its legal source, and ``[[money.checks]]``
with id, kind of check, limit, the Finanzierungsarten it applies to, source and
confidence). The Bescheid wins: an award's ``money_overrides`` maps a rule id to
``"off"``, a period (``"2m"``, ``"8 Wochen"``) or a limit (``"30 %"``);
``validate_money_overrides`` checks them in German.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from portfolio.domain.enums import FinancingType
from portfolio.domain.errors import InvalidValue
from portfolio.domain.periods import add_months

BUILTIN_DIR = Path(__file__).with_name("regimes")
SPEND_ID = "MITTELVERWENDUNG"
CHECK_KINDS = ("over_plan", "pro_rata", "unspent", "not_called")
_PERIOD = re.compile(r"^\s*(\d{1,3})\s*(w|wochen?|m|monate?)\s*$", re.IGNORECASE)
_LIMIT = re.compile(r"^\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*$")


@dataclass(frozen=True, slots=True)
class SpendPeriod:
    """How long after receipt a payment may wait to be spent."""

    weeks: int = 0
    months: int = 0

    def due(self, received: date) -> date:
        """The last day the payment may still be unspent."""
        if self.months:
            return add_months(received, self.months)
        return received + timedelta(weeks=self.weeks)

    @property
    def within(self) -> str:
        """German after "innerhalb von": "6 Wochen", "2 Monaten"."""
        if self.months:
            return f"{self.months} Monat{'en' if self.months != 1 else ''}"
        return self.label

    @property
    def label(self) -> str:
        """German: "6 Wochen", "2 Monate"."""
        if self.months:
            return f"{self.months} Monat{'e' if self.months != 1 else ''}"
        return f"{self.weeks} Woche{'n' if self.weeks != 1 else ''}"


def parse_period(text: str, where: str) -> SpendPeriod:
    """A period written "6w", "6 Wochen", "2m", "2 Monate"."""
    match = _PERIOD.match(str(text))
    if not match:
        raise InvalidValue(
            f"{where}: {text!r} ist kein Zeitraum – z. B. „6 Wochen“ oder „2 Monate“."
        )
    number, unit = int(match[1]), match[2].lower()
    if number <= 0:
        raise InvalidValue(f"{where}: Der Zeitraum muss mindestens 1 sein.")
    return SpendPeriod(months=number) if unit.startswith("m") else SpendPeriod(number)


def parse_limit(text: object, where: str) -> Decimal:
    """A limit written "20 %", "20" or "0,2" as a fraction."""
    match = _LIMIT.match(str(text))
    try:
        value = Decimal(match[1].replace(",", ".")) if match else None
    except InvalidOperation:
        value = None
    if value is None:
        raise InvalidValue(f"{where}: {text!r} ist kein Prozentsatz – z. B. „20 %“.")
    return value / 100 if value > 1 or "%" in str(text) else value


@dataclass(frozen=True, slots=True)
class CheckRule:
    """One money check of a regime."""

    id: str
    check: str
    source: str
    confidence: str
    financing: frozenset[FinancingType]
    limit: Decimal | None = None
    from_month: int = 10
    interest_points: Decimal = Decimal(5)
    base_rate: Decimal = Decimal(0)
    note: str = ""

    def applies(self, financing: FinancingType | None) -> bool:
        """Whether the check applies to an award of this Finanzierungsart.

        Unknown Finanzierungsart: only checks that apply to every kind.
        """
        if financing is None:
            return len(self.financing) == len(FinancingType)
        return financing in self.financing


@dataclass(frozen=True, slots=True)
class MoneyRules:
    """The money rules of one regime."""

    regime: str
    spend: SpendPeriod | None = None
    spend_source: str = ""
    spend_confidence: str = "U"
    spend_note: str = ""
    checks: tuple[CheckRule, ...] = field(default=())

    def ids(self) -> list[str]:
        """The rule ids an award may override."""
        return ([SPEND_ID] if self.spend else []) + [c.id for c in self.checks]

    def effective(self, overrides: Mapping[str, object]) -> MoneyRules:
        """The rules as the Bescheid sets them (overrides already validated)."""
        spend = self.spend
        value = overrides.get(SPEND_ID)
        if value == "off":
            spend = None
        elif value is not None:
            spend = parse_period(str(value), SPEND_ID)
        checks = []
        for rule in self.checks:
            own = overrides.get(rule.id)
            if own == "off":
                continue
            checks.append(
                rule
                if own is None
                else replace(
                    rule,
                    source=f"{rule.source} (Wert lt. Bescheid)",
                    limit=parse_limit(own, rule.id),
                )
            )
        return MoneyRules(
            self.regime, spend, self.spend_source, self.spend_confidence,
            self.spend_note, tuple(checks),
        )  # fmt: skip


def validate_money_overrides(
    rules: MoneyRules | None, overrides: Mapping[str, object] | None
) -> dict[str, str]:
    """Check an award's money overrides against its regime; normalised, sorted."""
    result: dict[str, str] = {}
    for raw_key, value in (overrides or {}).items():
        if value is None or not str(value).strip():
            continue
        key = str(raw_key).strip().upper()
        known = rules.ids() if rules else []
        if key not in known:
            names = ", ".join(known) or "keine (das Regelwerk hat keine Geldregeln)"
            raise InvalidValue(
                f"Geldregel {key!r} gibt es im Regelwerk nicht; möglich: {names}."
            )
        text = str(value).strip()
        if text.lower() in ("off", "aus"):
            result[key] = "off"
        elif key == SPEND_ID:
            period = parse_period(text, key)
            result[key] = f"{period.months}m" if period.months else f"{period.weeks}w"
        else:
            result[key] = f"{parse_limit(text, key) * 100:g} %"
    return dict(sorted(result.items()))


def load_money_rules(override_dir: Path | str | None = None) -> dict[str, MoneyRules]:
    """The money rules of every regime (shipped, then the office's folder)."""
    rules: dict[str, MoneyRules] = {}
    folders = [BUILTIN_DIR] + ([Path(override_dir)] if override_dir else [])
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError:
                continue  # the regime loader reports it with its place
            if "id" in data:
                rules[str(data["id"])] = parse_money(data, path.name)
    return rules


def parse_money(data: Mapping[str, object], name: str) -> MoneyRules:
    """The ``[money]`` table of one regime document."""
    regime = str(data["id"])
    money = data.get("money")
    if not isinstance(money, dict):
        return MoneyRules(regime)
    spend_text = money.get("spend_within")
    spend = parse_period(str(spend_text), name) if spend_text else None
    checks = []
    for item in money.get("checks", []):
        where = f"{name}, Geldregel {item.get('id', '?')!r}"
        check = str(item.get("check", ""))
        if check not in CHECK_KINDS:
            raise InvalidValue(f"Unbekannte Prüfung {check!r} ({where}).")
        try:
            financing = frozenset(FinancingType(f) for f in item.get("financing", []))
        except ValueError as exc:
            raise InvalidValue(f"Unbekannte Finanzierungsart ({where}).") from exc
        checks.append(
            CheckRule(
                id=str(item["id"]),
                check=check,
                source=str(item.get("source", "")),
                confidence=str(item.get("confidence", "U")),
                financing=financing,
                limit=parse_limit(item["limit"], where) if "limit" in item else None,
                from_month=int(item.get("from_month", 10)),
                interest_points=Decimal(str(item.get("interest_points", "5"))),
                base_rate=Decimal(str(item.get("base_rate", "0"))),
                note=str(item.get("note", "")),
            )
        )
    return MoneyRules(
        regime,
        spend,
        str(money.get("spend_source", "")),
        str(money.get("spend_confidence", "U")),
        str(money.get("spend_note", "")),
        tuple(checks),
    )
