"""Money as ``Decimal`` with two places, and its German written form.

Amounts are never floats. ``format_money`` writes ``1.234,56 €`` through Babel so
every door and report writes money the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal

from portfolio.domain.errors import InvalidValue

CENT = Decimal("0.01")
LOCALE = "de_DE"
_GERMAN_SEPARATORS = str.maketrans({",": ".", ".": ","})


def to_money(value: Decimal | int | str) -> Decimal:
    """Turn a number or decimal string into a two-place Decimal."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidValue(f"{value!r} ist kein Geldbetrag.") from exc
    if not amount.is_finite():
        raise InvalidValue(f"{value!r} ist kein Geldbetrag.")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, empty: str = "–") -> str:
    """Write an amount the German way: ``1.234,56 €``."""
    if amount is None:
        return empty
    exponent = amount.as_tuple().exponent if type(amount) is Decimal else None
    if isinstance(exponent, int) and exponent >= -2:  # finite, no rounding needed
        # What Babel writes for de_DE and EUR, without parsing its pattern per call
        # (a preview of 100 000 new awards names each amount).
        digits = f"{amount:,.2f}".translate(_GERMAN_SEPARATORS)
        return f"{digits} €"
    # Babel puts a non-breaking space before the sign; users copy these amounts
    # into mails and spreadsheets, where a plain space is what they expect.
    return str(format_currency(amount, "EUR", locale=LOCALE)).replace("\xa0", " ")


def format_number(value: Decimal | float | int, digits: int = 0) -> str:
    """Write a number with German separators (``1.234``; ``12,5``)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=LOCALE))


def format_percent(rate: Decimal | None, empty: str = "–") -> str:
    """Write a share given as a fraction (0.9) as ``90 %``."""
    if rate is None:
        return empty
    percent = rate * 100
    digits = 0 if percent == percent.to_integral_value() else 1
    return f"{format_number(percent, digits)} %"


# The workbook's Finanzen sheet writes a plan's Einnahmen as rows whose Kostenart
# is "Einnahme: Zuwendung" (…Eigenanteil, …Leistungen Dritter); the import reads
# them back as income lines.
INCOME_PREFIX = "Einnahme:"


def income_row_label(kind_label: str) -> str:
    """The Kostenart of an income row: "Einnahme: Zuwendung"."""
    return f"{INCOME_PREFIX} {kind_label}"


def income_row_kind(category: str) -> str | None:
    """The kind's label an income row names ("Zuwendung"), or None for costs."""
    text = category.strip()
    if not text.casefold().startswith(INCOME_PREFIX.casefold()):
        return None
    return text[len(INCOME_PREFIX) :].strip()
