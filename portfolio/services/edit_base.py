"""What the entity services share: typed input as the office types it, German messages.

Each entity service (``edit_programmes``, ``edit_awards`` …) declares one pydantic
input model; the web form, the JSON API and the CLI hand it what the person typed
(``1.4.17``, ``120 TEUR``, ``1.234,56``, ``90 %``) and read back either the saved
entity or a ``FormErrors`` with one German sentence per field. The annotated types
here carry the parsing once, plus a ``Kind`` marker that tells a form how to show
the value again (``form_values``). Services never commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from portfolio.domain.errors import InvalidValue
from portfolio.domain.money import format_number
from portfolio.domain.periods import format_date

M = TypeVar("M", bound="EditModel")

MIN_YEAR, MAX_YEAR = 1950, 2100
MAX_MONEY = Decimal("1e12")
DATE_HINT = "bitte so schreiben: 15.03.2017 (oder 15.3.17)"
MONEY_HINT = "bitte so schreiben: 12.500,00 oder 120 TEUR"
_DAY = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FACTORS = (
    (re.compile(r"\b(mio|millionen|million)\b\.?"), Decimal(1_000_000)),
    (re.compile(r"(\bteur\b|\btsd\b\.?|\bt€|\bk€|\btausend\b)"), Decimal(1000)),
)
_CURRENCY = re.compile(r"€|\beur\b|\beuro\b")


class Kind(StrEnum):
    """How a form shows and reads a field (beyond its Python type)."""

    TEXT = "text"
    LONGTEXT = "longtext"
    DATE = "date"
    MONEY = "money"
    RATE = "rate"
    NUMBER = "number"
    CHOICE = "choice"
    MULTI = "multi"
    FLAG = "flag"
    LIST = "list"
    MAPPING = "mapping"


class FormErrors(InvalidValue):
    """Input that breaks a rule: one German message per field name."""

    def __init__(self, errors: Mapping[str, str], labels: Mapping[str, str]) -> None:
        """Keep the messages; the summary names each field by its label."""
        self.errors = dict(errors)
        summary = "; ".join(
            f"{labels.get(name, name)}: {text}" for name, text in self.errors.items()
        )
        super().__init__(f"Bitte prüfen – {summary}")


def german_error(text: str) -> PydanticCustomError:
    """A validation error whose message is the German sentence itself."""
    return PydanticCustomError("german", text)


def parse_german_date(raw: object) -> date | None:
    """A date typed as 15.03.2017, 15.3.17 or 2017-03-15; empty means none."""
    if raw is None or isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    if match := _DAY.fullmatch(text):
        day, month, year_text = match.groups()
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    elif match := _ISO.fullmatch(text):
        year, month, day = int(match[1]), match[2], match[3]
    else:
        raise german_error(f"„{text[:40]}“ ist kein Datum – {DATE_HINT}.")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise german_error(f"Das Jahr {year} ist unplausibel – {DATE_HINT}.")
    try:
        return date(year, int(month), int(day))
    except ValueError:
        raise german_error(f"Den Tag „{text}“ gibt es nicht.") from None


def _decimal(text: str) -> Decimal:
    """A number with German or English separators (``1.234,56``, ``1234.56``)."""
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        mark = ","
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        mark = ","  # 12.500 is twelve thousand five hundred
    else:
        mark = "."
    thousands = "." if mark == "," else ","
    return Decimal(text.replace(thousands, "").replace(mark, "."))


def parse_german_money(raw: object) -> Decimal | None:
    """An amount typed as 1.234,56, 1234.56, 120 TEUR or 1,2 Mio. €; never negative."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise german_error(f"Das ist kein Betrag – {MONEY_HINT}.")
    text = str(raw).strip().lower()
    if not text:
        return None
    factor = Decimal(1)
    for pattern, value in _FACTORS:
        if pattern.search(text):
            text, factor = pattern.sub(" ", text), value
            break
    text = _CURRENCY.sub(" ", text)
    text = re.sub(r"[,.]-+$", "", text.replace(" ", "").replace("\u00a0", ""))
    try:
        if not re.fullmatch(r"[+-]?\d[\d.,]*", text):
            raise InvalidOperation
        value = _decimal(text) * factor
    except (InvalidOperation, ValueError):
        raise german_error(
            f"„{str(raw)[:40]}“ ist kein Betrag – {MONEY_HINT}."
        ) from None
    if value < 0 or value >= MAX_MONEY:
        raise german_error("Der Betrag muss zwischen 0 und 999.999.999.999 liegen.")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_rate(raw: object) -> Decimal | None:
    """A share typed as 90 %, 90, 0,9 or 0.9; stored as a fraction in [0, 1]."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise german_error("Bitte einen Anteil angeben, z. B. 90 %.")
    text = str(raw).strip()
    if not text:
        return None
    percent = text.endswith("%")
    text = text.rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise german_error(f"„{str(raw)[:40]}“ ist kein Anteil – z. B. 90 %.") from None
    if not value.is_finite():
        raise german_error("Bitte einen Anteil angeben, z. B. 90 %.")
    if percent or value > 1:
        value = value / 100
    if not Decimal(0) <= value <= Decimal(1):
        raise german_error("Ein Anteil liegt zwischen 0 % und 100 %.")
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def parse_number(raw: object) -> Decimal | None:
    """A plain number typed the German way (``1,5``); never negative."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    try:
        value = _decimal(text)
    except (InvalidOperation, ValueError):
        raise german_error(f"„{text[:40]}“ ist keine Zahl – z. B. 1,5.") from None
    if not value.is_finite() or not 0 <= value < 10_000:
        raise german_error("Bitte eine Zahl zwischen 0 und 9.999 angeben.")
    return value.quantize(Decimal("0.01"))


def parse_text(raw: object) -> str | None:
    """Text, trimmed; empty means none; no control characters but line breaks."""
    if raw is None:
        return None
    text = str(raw).strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise german_error("Bitte nur druckbare Zeichen eingeben.")
    return text or None


def parse_list(raw: object) -> list[str]:
    """Words separated by commas or new lines (tags); a list is taken as given."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else re.split(r"[,\n]", str(raw))
    return [str(item).strip() for item in items if str(item).strip()]


def parse_ids(raw: object) -> list[int]:
    """Ids from a multiple choice (strings from a form, numbers from JSON)."""
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > 9:
            raise german_error("Bitte Einträge aus der Liste wählen.")
        ids.append(int(text))
    return ids


def parse_id(raw: object) -> int | None:
    """One id from a choice; empty means none."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise german_error("Bitte einen Eintrag aus der Liste wählen.")
    return int(text)


def parse_flag(raw: object) -> bool:
    """A checkbox: present (``on``, ``true``, ``1``, ``ja``) means yes."""
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("on", "true", "1", "ja", "yes")


GermanDate = Annotated[date | None, BeforeValidator(parse_german_date), Kind.DATE]
Money = Annotated[Decimal | None, BeforeValidator(parse_german_money), Kind.MONEY]
Share = Annotated[Decimal | None, BeforeValidator(parse_rate), Kind.RATE]
Number = Annotated[Decimal | None, BeforeValidator(parse_number), Kind.NUMBER]
Words = Annotated[list[str], BeforeValidator(parse_list), Kind.LIST]
Ref = Annotated[int | None, BeforeValidator(parse_id), Kind.CHOICE]
Refs = Annotated[list[int], BeforeValidator(parse_ids), Kind.MULTI]
Flag = Annotated[bool, BeforeValidator(parse_flag), Kind.FLAG]


def Max(length: int) -> AfterValidator:  # noqa: N802 - reads like a type
    """At most ``length`` characters (an empty field, None, passes)."""

    def check_length(value: str | None) -> str | None:
        if value is not None and len(value) > length:
            raise german_error(f"Höchstens {length} Zeichen (jetzt {len(value)}).")
        return value

    return AfterValidator(check_length)


OptText = Annotated[str | None, BeforeValidator(parse_text)]
LongText = Annotated[str | None, BeforeValidator(parse_text), Kind.LONGTEXT]
ReqText = Annotated[str, BeforeValidator(lambda v: parse_text(v) or "")]


class EditModel(BaseModel):
    """Base of the input models: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def labels(cls) -> dict[str, str]:
        """The German label of each field (its title)."""
        return {name: f.title or name for name, f in cls.model_fields.items()}

    @classmethod
    def kind_of(cls, name: str) -> Kind:
        """How a form shows a field."""
        info = cls.model_fields[name]
        for item in info.metadata:
            if isinstance(item, Kind):
                return item
        annotation = info.annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, StrEnum):
                return Kind.CHOICE
        if annotation is dict[str, str]:
            return Kind.MAPPING
        return Kind.TEXT

    @classmethod
    def parse(cls: type[M], data: Mapping[str, Any]) -> M:
        """Validate typed input; a ``FormErrors`` names every wrong field."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise FormErrors(german_messages(exc), cls.labels()) from None

    def form_values(self) -> dict[str, Any]:
        """The values as a form shows them again (dates and money the German way)."""
        return {
            name: show(type(self).kind_of(name), getattr(self, name))
            for name in type(self).model_fields
        }


def show(kind: Kind, value: Any) -> Any:  # noqa: PLR0911 - one per kind
    """One value as typed in a form: ``01.04.2017``, ``1.234,56``, ``90 %``."""
    if value is None:
        return ""
    if kind is Kind.DATE:
        return format_date(value)
    if kind is Kind.MONEY:
        return format_number(value, 2)
    if kind is Kind.RATE:
        percent = (value * 100).normalize()
        return f"{format_number(percent, 0 if percent == int(percent) else 2)} %"
    if kind is Kind.NUMBER:
        return format_number(value, 0 if value == int(value) else 2)
    if kind is Kind.LIST:
        return ", ".join(value)
    if kind is Kind.MULTI:
        return [str(v) for v in value]
    if kind is Kind.MAPPING:
        return "\n".join(f"{k} = {v}" for k, v in value.items())  # see show_overrides
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, bool):
        return value
    return str(value)


_MESSAGES = {
    "missing": "Bitte ausfüllen.",
    "enum": "Bitte einen Eintrag aus der Liste wählen.",
    "literal_error": "Bitte einen Eintrag aus der Liste wählen.",
    "int_parsing": "Bitte eine ganze Zahl angeben.",
    "int_type": "Bitte eine ganze Zahl angeben.",
    "extra_forbidden": "Dieses Feld gibt es hier nicht.",
    "string_type": "Bitte Text angeben.",
    "bool_type": "Bitte ja oder nein angeben.",
    "dict_type": "Bitte Paare aus Regel und Wert angeben.",
}


def german_messages(
    exc: ValidationError | Sequence[Mapping[str, Any]], skip: str = ""
) -> dict[str, str]:
    """One German sentence per field (the first problem of each).

    ``skip`` drops a leading location part (FastAPI's ``body``).
    """
    errors: dict[str, str] = {}
    found = exc.errors() if isinstance(exc, ValidationError) else exc
    for error in found:
        location = [str(part) for part in error["loc"]]
        if skip and location[:1] == [skip]:
            location = location[1:]
        name = location[0] if location else "__root__"
        if name in errors:
            continue
        kind = error["type"]
        context = error.get("ctx") or {}
        if kind == "german":
            message = error["msg"]
        elif kind in ("string_too_long", "too_long"):
            message = f"Höchstens {context.get('max_length')} Zeichen."
        elif kind in ("string_too_short", "too_short"):
            message = "Bitte ausfüllen."
        elif kind in ("value_error", "assertion_error"):
            message = str(context.get("error", error["msg"]))
        elif kind.startswith(("greater_than", "less_than")):
            message = "Die Zahl liegt außerhalb des erlaubten Bereichs."
        else:
            message = _MESSAGES.get(kind, "Diese Angabe ist ungültig.")
        errors[name] = message
    return errors


def check(errors: dict[str, str], name: str, ok: bool, message: str) -> None:
    """Record a message for a field when a rule is broken (the first one wins)."""
    if not ok and name not in errors:
        errors[name] = message


def raise_if(errors: Mapping[str, str], model: type[EditModel]) -> None:
    """Raise the collected field messages, if any."""
    if errors:
        raise FormErrors(errors, model.labels())


@dataclass
class Deleted:
    """What a delete did: a sentence, what went with it, and the log entry to undo."""

    summary: str
    consequences: list[str] = field(default_factory=list)
    change_id: int | None = None


def plural(count: int, one: str, many: str) -> str:
    """``1 Frist`` / ``3 Fristen``."""
    return f"{count} {one if count == 1 else many}"


def join_names(names: Sequence[str], limit: int = 5) -> str:
    """A short list of names: „A“, „B“ und 3 weitere."""
    quoted = [f"„{n}“" for n in names[:limit]]
    if len(names) > limit:
        quoted.append(f"{len(names) - limit} weitere")
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " und " + quoted[-1]
