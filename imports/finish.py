"""Complete a record from its parsed cells: the steps that need more than one cell.

Funders are typed by the kind column (``MAIS NRW / RAG-Stiftung`` with ``Land /
Stiftung``), else by known names; ``Beginn``/``Ende`` columns make a period; a name
with an abbreviation in brackets yields the short name; an obligation's kind comes
from its kind column or title, and a done column gives status and date.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from imports.values import ValueProblem, _period, parse_point
from imports.words import (
    StatusWord,
    obligation_kind,
    parse_funders,
    split_abbreviation,
)
from portfolio.domain.enums import FunderKind
from portfolio.domain.records import FunderRef, SheetKind

MAX_NAME = 300
MEMO_SIZE = 20_000  # distinct names remembered: lists repeat a programme per row

# Pure functions of one cell's text, asked once per row: remembered, since a list
# names the same programme and funders row after row.
_split_abbreviation = lru_cache(maxsize=MEMO_SIZE)(split_abbreviation)


@lru_cache(maxsize=MEMO_SIZE)
def _funder_refs(
    text: str, kinds: tuple[FunderKind, ...] | None
) -> tuple[FunderRef, ...]:
    """``parse_funders`` remembered (an unreadable cell raises again each time)."""
    return tuple(parse_funders(text, kinds))


def finish(kind: SheetKind, values: dict[str, Any]) -> tuple[str, ValueProblem] | None:
    """Combine cells in place; return (field, problem) when they contradict."""
    if kind is SheetKind.PROGRAMMES:
        return _programme(values)
    if kind is SheetKind.OBLIGATIONS:
        _obligation(values)
    if kind is SheetKind.BUDGET and "year" in values:
        planned = values.pop("planned", None)
        year = values.pop("year")
        values["amounts"] = {year: planned} if planned is not None else {}
    return None


def _status(values: dict[str, Any]) -> None:
    """Spread a status word over the fields it speaks for.

    An application word gives the Antrag's status, "Verwendungsnachweis offen" an
    open deadline; a word portfolio has no status for (unknown, or "ruht") stays in
    the note, so nothing the sheet said is lost and the row is still taken.
    """
    word = values.get("status")
    if not isinstance(word, StatusWord):
        return
    if word.programme is not None:
        values["status"] = word.programme  # in place: the field order stays
    else:
        del values["status"]
    if word.application is not None:
        values["application_status"] = word.application
    if word.report_open:
        values["report_open"] = True
    if word.word:
        note = f"Status laut Tabelle: {word.word}"
        values["notes"] = f"{values['notes']}\n{note}" if values.get("notes") else note


def _grant(values: dict[str, Any]) -> None:
    """A row of a public grant list: its purpose and recipient name the programme.

    Without a name column the programme is "purpose – recipient" (one grant, one
    row); with one, they go to the note. The list's running number is the
    award's reference when no reference column exists.
    """
    purpose, recipient = values.pop("purpose", None), values.pop("recipient", None)
    if purpose is None and recipient is None:
        return
    if not values.get("name"):
        name = " – ".join(p for p in (purpose, recipient) if p)
        values["name"] = name if len(name) <= MAX_NAME else name[: MAX_NAME - 1] + "…"
    else:
        parts = [f"Zweck: {purpose}"] if purpose else []
        parts += [f"Empfänger: {recipient}"] if recipient else []
        note = "\n".join(parts)
        values["notes"] = f"{values['notes']}\n{note}" if values.get("notes") else note
    if "reference" not in values and values.get("number"):
        values["reference"] = values["number"]


def _programme(values: dict[str, Any]) -> tuple[str, ValueProblem] | None:
    _status(values)
    name = values.get("name")
    if name:
        plain, short = _split_abbreviation(name)
        values["name"] = plain
        if short and not values.get("short_name"):
            values["short_name"] = short
    # After the split: "(e.V.)" ending a recipient is no short name.
    _grant(values)
    kinds = values.pop("funder_kinds", None)
    if values.get("funders"):
        try:
            values["funders"] = list(
                _funder_refs(values["funders"], None if kinds is None else tuple(kinds))
            )
        except ValueProblem as exc:
            return "funders", exc
    start, end = values.pop("start", None), values.pop("end", None)
    if start is not None and "period" not in values:
        try:
            first = parse_point(start)
            last = parse_point(end) if end is not None else None
            values["period"] = _period(first, last)
        except ValueProblem as exc:
            return "end", exc
    elif end is not None and "period" not in values:
        return "start", ValueProblem(
            "Das Ende ist angegeben, der Beginn fehlt.", "Tragen Sie den Beginn ein."
        )
    return None


def _obligation(values: dict[str, Any]) -> None:
    done = values.pop("done", None)
    if done is not None:
        values["status"], values["done_on"] = done
    kind_text = values.get("obligation_kind") or values.get("title") or ""
    values["obligation_kind"] = obligation_kind(str(kind_text))
