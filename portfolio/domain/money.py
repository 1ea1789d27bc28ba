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


def income_row_kind(category: str, *, in_income: bool = False) -> str | None:
    """The kind's label an income row names ("Zuwendung"), or None for costs.

    "Einnahme: Zuwendung" as the workbook writes it; in a Finanzierungsplan sheet
    the words of a Bescheid (Zuwendung, Eigenmittel, Drittmittel …) anywhere, and
    every row below an "Einnahmen" heading (``in_income``).
    """
    text = category.strip()
    if text.casefold().startswith(INCOME_PREFIX.casefold()):
        return text[len(INCOME_PREFIX) :].strip()
    if in_income or income_kind_of(text) is not None:
        return text
    return None


# Words of a Bescheid's Finanzierungsplan for its Einnahmen -> the income kind.
_INCOME_WORDS = {
    "zuwendung": "zuwendung",
    "beantragte zuwendung": "zuwendung",
    "bewilligte zuwendung": "zuwendung",
    "fördermittel": "zuwendung",
    "eigenanteil": "eigenanteil",
    "eigenmittel": "eigenanteil",
    "eigene mittel": "eigenanteil",
    "leistungen dritter": "dritte",
    "drittmittel": "dritte",
    "mittel dritter": "dritte",
}
INCOME_HEADINGS = ("einnahmen", "finanzierung", "einnahmen (finanzierung)")
COST_HEADINGS = ("ausgaben", "kosten", "ausgaben (kosten)")


def income_kind_of(text: str) -> str | None:
    """The income kind ("zuwendung", "eigenanteil", "dritte") a word names."""
    words = " ".join(text.casefold().replace("-", " ").split())
    if words in ("zuwendung", "eigenanteil", "leistungen dritter", "dritte"):
        return {"leistungen dritter": "dritte"}.get(words, words)
    return _INCOME_WORDS.get(words)
