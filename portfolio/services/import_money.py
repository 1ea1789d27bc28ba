"""Rows of a Mittelabrufe sheet: payments called, received or paid back.

The workbook's sheet "Mittelabrufe" lists every Mittelabruf and Rückzahlung with
programme, Förderkennzeichen, angefordert am, Betrag, eingegangen am, Rückzahlung
and Bemerkung, plus hidden ``_key``, ``_award`` and ``_id``. A row with ``_id``
changes that payment (only the fields that differ); a row without one is new,
unless an identical payment of the same award is stored already (the same list
imported twice adds nothing). The award's spending deadlines follow on apply
(``import_apply``). Only columns the sheet has are read: a sheet without a
Bemerkung column leaves the notes alone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portfolio.domain.enums import DisbursementKind
from portfolio.domain.models import Award, Disbursement, Programme
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.domain.records import Record, SheetResult
from portfolio.services.import_match import fold
from portfolio.services.import_planner import PlannerBase, row_result
from portfolio.services.import_result import EntityChange, RowResult

SECTION = "Mittelabrufe"
# Field → (attribute, label in the preview).
FIELDS = (
    ("requested_on", "requested_on", "angefordert am"),
    ("amount", "amount", "Betrag"),
    ("received_on", "received_on", "eingegangen am"),
    ("note", "note", "Bemerkung"),
)


class MoneyRows(PlannerBase):
    """Rows of Mittelabrufe sheets."""

    def disbursement_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """One Mittelabruf or Rückzahlung: new, changed or as stored."""
        programme = self._programme_of(record)
        award = self._payment_award(record, programme)
        wanted = self._payment_values(record, sheet)
        ref = str(record.source)
        name = _name(programme, award, wanted)
        claimed: set[int] = self.__dict__.setdefault("_claimed_payments", set())
        if record.values.get("id") is not None:
            item = self._stored_payment(record, award)
            claimed.add(item.id)
            change = EntityChange(SECTION, name, False)
            for attr, value in wanted.items():
                self.set(item, attr, value, _label(attr), change, ref)
            return row_result(record, name, [change])
        same = next(
            (
                d
                for d in award.disbursements
                if d.id not in claimed
                and all(getattr(d, a) == v for a, v in wanted.items() if a != "note")
            ),
            None,
        )
        if same is not None:
            claimed.add(same.id)
            return row_result(record, name, [EntityChange(SECTION, name, False)])
        item = Disbursement(**wanted)
        award.disbursements.append(item)
        self.created(item, ref)
        details = f"{format_money(wanted['amount'])}"
        return row_result(
            record, name, [EntityChange(SECTION, name, True, (), details)]
        )

    def _payment_award(self, record: Record, programme: Programme) -> Award:
        """The award a row names by ``_award`` or Förderkennzeichen, or the only one."""
        values = record.values
        awards = list(programme.awards)
        if values.get("award_id") is not None:
            awards = [a for a in awards if a.id == values["award_id"]]
        elif values.get("reference"):
            awards = [
                a for a in awards if fold(a.reference) == fold(values["reference"])
            ]
        if len(awards) == 1:
            return awards[0]
        field = "reference" if values.get("reference") else "amount"
        why = (
            "hat keine Bewilligung mit diesem Förderkennzeichen"
            if not awards
            else "hat mehrere Bewilligungen"
        )
        raise self.problem(
            record,
            field,
            f"Das Programm {programme.label} {why}.",
            "Tragen Sie das Förderkennzeichen der Bewilligung ein, wie portfolio es "
            "zeigt.",
        )

    def _stored_payment(self, record: Record, award: Award) -> Disbursement:
        wanted = record.values["id"]
        found = next((d for d in award.disbursements if d.id == wanted), None)
        if found is None:
            raise self.problem(
                record,
                "id",
                "Diesen Mittelabruf gibt es nicht (mehr) bei dieser Bewilligung.",
                "Ändern Sie die Spalte _id nicht; für einen neuen Abruf lassen Sie "
                "sie leer.",
            )
        return found

    def _payment_values(self, record: Record, sheet: SheetResult) -> dict[str, Any]:
        """The payment as the row states it (only columns the sheet has)."""
        values = record.values
        amount: Decimal | None = values.get("amount")
        if amount is None or amount <= 0:
            raise self.problem(
                record,
                "amount",
                "Der Betrag muss größer als 0 sein.",
                "Tragen Sie den Betrag ohne Vorzeichen ein; eine Rückzahlung "
                "kennzeichnet die Spalte Rückzahlung mit ja.",
            )
        requested: date | None = values.get("requested_on")
        received: date | None = values.get("received_on")
        if requested is None and received is None:
            raise self.problem(
                record,
                "amount",
                "Es fehlt, wann angefordert oder wann eingegangen.",
                "Tragen Sie „angefordert am“ oder „eingegangen am“ ein.",
            )
        if requested and received and received < requested:
            raise self.problem(
                record,
                "received_on",
                f"Eingang vor der Anforderung ({format_date(requested)}).",
                "Prüfen Sie die beiden Daten.",
            )
        wanted: dict[str, Any] = {"amount": amount}
        for field, attr, _text in FIELDS:
            if field != "amount" and field in sheet.columns:
                wanted[attr] = values.get(field) or None
        if "repayment" in sheet.columns:
            wanted["kind"] = (
                DisbursementKind.RUECKZAHLUNG
                if values.get("repayment")
                else DisbursementKind.ABRUF
            )
        return wanted


def _label(attr: str) -> str:
    labels = {a: text for _f, a, text in FIELDS}
    return labels.get(attr, "Rückzahlung" if attr == "kind" else attr)


def _name(programme: Programme, award: Award, wanted: dict[str, Any]) -> str:
    what = (
        "Rückzahlung"
        if wanted.get("kind") is DisbursementKind.RUECKZAHLUNG
        else "Mittelabruf"
    )
    when = wanted.get("requested_on") or wanted.get("received_on")
    award_name = award.reference or award.funder.short_name
    on = f" vom {format_date(when)}" if when else ""
    return f"{programme.label} · {award_name}: {what}{on}"
