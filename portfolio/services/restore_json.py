"""Load a ``portfolio/1`` document into an empty database, exactly.

Every value is checked on the way in, and a problem is reported with its path inside
the document (``programmes[3].phases[0].end``) in one German sentence; nothing is
written unless the whole document loads. The demo portfolio is loaded by this code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import (
    ApplicationStatus,
    AwardKind,
    DisbursementKind,
    FinancingType,
    FunderKind,
    IncomeKind,
    ObligationKind,
    ObligationStatus,
    Precision,
    ProgrammeStatus,
)
from portfolio.domain.errors import Conflict, InputError, InvalidValue, PortfolioError
from portfolio.domain.models import (
    Application,
    Award,
    AwardVersion,
    BudgetLine,
    Contact,
    Disbursement,
    Expense,
    Funder,
    Funding,
    IncomeLine,
    Narrative,
    Obligation,
    Partner,
    Phase,
    Programme,
    ProgrammePartner,
)
from portfolio.domain.money_rules import load_money_rules, validate_money_overrides
from portfolio.domain.overrides import OverrideError, validate_overrides
from portfolio.domain.regimes import Regime, load_regimes
from portfolio.services.clock import set_stichtag
from portfolio.services.export_json import FORMAT
from portfolio.services.office import FIELDS as OFFICE_FIELDS
from portfolio.services.office import set_database_defaults

E = TypeVar("E", bound=StrEnum)


class DocumentError(InputError):
    """A value of the document is missing or wrong; names its path."""


@dataclass(frozen=True)
class Node:
    """A JSON object with its path in the document, and typed accessors."""

    data: dict[str, Any]
    path: str

    def fail(self, key: str, message: str) -> DocumentError:
        """An error naming the path of a field."""
        return DocumentError(f"{self.path}.{key}: {message}")

    def raw(self, key: str, *, required: bool = False) -> Any:
        """The value of a field; None if absent (or an error if required)."""
        value = self.data.get(key)
        if value is None and required:
            raise self.fail(key, "fehlt, ist aber Pflicht.")
        return value

    def text(self, key: str, *, required: bool = False) -> str | None:
        """A string field."""
        value = self.raw(key, required=required)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"muss Text sein, nicht {value!r}.")
        if required and not value:
            raise self.fail(key, "darf nicht leer sein.")
        return value

    def req(self, key: str) -> str:
        """A required, non-empty string field."""
        value = self.text(key, required=True)
        assert value is not None
        return value

    def day(self, key: str) -> date | None:
        """An ISO date field."""
        value = self.text(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(key, f"{value!r} ist kein Datum (JJJJ-MM-TT).") from exc

    def decimal(
        self, key: str, *, required: bool = False, signed: bool = False
    ) -> Decimal | None:
        """A decimal-string field (money, rates); negative only where ``signed``."""
        value = self.raw(key, required=required)
        if value is None:
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(
                key, f"muss eine Dezimalzahl als Text sein, nicht {value!r}."
            )
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise self.fail(key, f"{value!r} ist keine Zahl.") from exc
        if not number.is_finite():
            raise self.fail(key, f"{value!r} ist keine Zahl.")
        if number < 0 and not signed:
            raise self.fail(key, f"darf nicht negativ sein ({value}).")
        return number

    def integer(self, key: str, default: int | None = None) -> int:
        """A whole-number field (required unless a default is given)."""
        value = self.raw(key, required=default is None)
        if value is None and default is not None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"muss eine ganze Zahl sein, nicht {value!r}.")
        return value

    def flag(self, key: str) -> bool:
        """A boolean field (absent: false)."""
        value = self.raw(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"muss true oder false sein, nicht {value!r}.")
        return bool(value)

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E:
        """An enum field, by value."""
        value = self.raw(key, required=default is None)
        if value is None and default is not None:
            return default
        try:
            return enum(value)
        except ValueError as exc:
            allowed = ", ".join(m.value for m in enum)
            raise self.fail(
                key, f"{value!r} ist unbekannt (erlaubt: {allowed})."
            ) from exc

    def strings(self, key: str) -> list[str]:
        """A list of strings (absent: empty)."""
        value = self.raw(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "muss eine Liste von Texten sein.")
        return list(value)

    def mapping(self, key: str) -> dict[str, Any]:
        """An object field (absent: empty)."""
        value = self.raw(key) or {}
        if not isinstance(value, dict):
            raise self.fail(key, "muss ein Objekt sein.")
        return dict(value)

    def children(self, key: str) -> list[Node]:
        """The objects of a list field, each with its own path."""
        value = self.raw(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "muss eine Liste sein.")
        nodes = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise DocumentError(
                    f"{self.path}.{key}[{index}]: muss ein Objekt sein."
                )
            nodes.append(Node(item, f"{self.path}.{key}[{index}]"))
        return nodes


class Restorer:
    """Builds the entities of one document, resolving natural keys as it goes."""

    def __init__(
        self,
        session: Session,
        regimes: dict[str, Regime],
        regimes_dir: str | Path | None = None,
    ) -> None:
        """Start with empty look-up tables."""
        self.session = session
        self.regimes = regimes
        self.money_rules = load_money_rules(regimes_dir)
        self.funders: dict[str, Funder] = {}
        self.contacts: dict[str, Contact] = {}
        self.partners: dict[str, Partner] = {}
        self.programmes: dict[str, Programme] = {}

    def ref(self, node: Node, key: str, table: dict[str, Any], what: str) -> Any:
        """Resolve a natural-key reference (None stays None)."""
        name = node.text(key)
        if name is None:
            return None
        if name not in table:
            raise node.fail(key, f"{what} {name!r} ist im Dokument nicht definiert.")
        return table[name]

    def unique(self, node: Node, key: str, table: dict[str, Any], what: str) -> str:
        """A natural key that must not repeat."""
        name = node.req(key)
        if name in table:
            raise node.fail(key, f"{what} {name!r} kommt doppelt vor.")
        return name

    def load(self, root: Node) -> None:
        """Create every entity of the document."""
        for node in root.children("contacts"):
            self.contact(node)
        funder_nodes = root.children("funders")
        for node in funder_nodes:
            self.funder(node)
        for node in funder_nodes:
            self.funders[node.req("short_name")].parent = self.ref(
                node, "parent", self.funders, "Fördergeber"
            )
        for node in root.children("partners"):
            name = self.unique(node, "name", self.partners, "Partner")
            self.partners[name] = Partner(name=name, kind=node.text("kind"))
            self.session.add(self.partners[name])
        programme_nodes = root.children("programmes")
        for node in programme_nodes:
            self.programme(node)
        for node in programme_nodes:
            self.programmes[node.req("key")].parent = self.ref(
                node, "parent", self.programmes, "Programm"
            )

    def contact(self, node: Node) -> None:
        """One contact."""
        email = self.unique(node, "email", self.contacts, "Kontakt")
        contact = Contact(
            email=email,
            name=node.req("name"),
            role=node.text("role"),
            organisation=node.text("organisation"),
            phone=node.text("phone"),
            is_office_lead=node.flag("is_office_lead"),
        )
        self.contacts[email] = contact
        self.session.add(contact)

    def funder(self, node: Node) -> None:
        """One funder (parents are linked once all are known)."""
        short = self.unique(node, "short_name", self.funders, "Fördergeber")
        funder = Funder(
            short_name=short,
            name=node.text("name") or short,
            kind=node.choice("kind", FunderKind),
            contact=self.ref(node, "contact", self.contacts, "Kontakt"),
            notes=node.text("notes"),
        )
        self.funders[short] = funder
        self.session.add(funder)

    def programme(self, node: Node) -> None:
        """One programme with everything that belongs to it."""
        key = self.unique(node, "key", self.programmes, "Programm")
        programme = Programme(
            key=key,
            name=node.req("name"),
            short_name=node.text("short_name"),
            status=node.choice("status", ProgrammeStatus),
            field_of_action=node.text("field_of_action"),
            lead=self.ref(node, "lead", self.contacts, "Kontakt"),
            description=node.text("description"),
            notes=node.text("notes"),
            tags=node.strings("tags"),
        )
        self.programmes[key] = programme
        self.session.add(programme)
        for link in node.children("partners"):
            programme.partner_links.append(
                ProgrammePartner(
                    partner=self.ref(link, "partner", self.partners, "Partner"),
                    role=link.text("role"),
                )
            )
        phases = self.phases(node, programme)
        for item in node.children("fundings"):
            programme.fundings.append(
                Funding(
                    funder=self.ref(item, "funder", self.funders, "Fördergeber"),
                    amount=item.decimal("amount"),
                    share=item.decimal("share"),
                )
            )
        applications = [
            self.application(item, phases) for item in node.children("applications")
        ]
        programme.applications.extend(applications)
        awards = self.awards(node, programme, phases, applications)
        for item in node.children("obligations"):
            programme.obligations.append(self.obligation(item, awards))
        for item in node.children("narratives"):
            self.session.add(
                Narrative(
                    programme=programme,
                    year=item.integer("year"),
                    section=item.req("section"),
                    text=item.text("text") or "",
                )
            )

    def phases(self, node: Node, programme: Programme) -> dict[str, Phase]:
        """The phases of a programme, by name."""
        phases: dict[str, Phase] = {}
        for item in node.children("phases"):
            start = item.day("start")
            if start is None:
                raise item.fail("start", "fehlt, ist aber Pflicht.")
            end = item.day("end")
            if end is not None and end < start:
                raise item.fail("end", f"{end} liegt vor dem Beginn {start}.")
            phase = Phase(
                name=item.text("name") or "",
                start=start,
                end=end,
                precision=item.choice("precision", Precision, Precision.DAY),
            )
            phases.setdefault(phase.name, phase)
            programme.phases.append(phase)
        return phases

    def application(self, item: Node, phases: dict[str, Phase]) -> Application:
        """One application."""
        return Application(
            funder=self.ref(item, "funder", self.funders, "Fördergeber"),
            phase=self.ref(item, "phase", phases, "Phase"),
            reference=item.text("reference"),
            deadline=item.day("deadline"),
            submitted_on=item.day("submitted_on"),
            requested=item.decimal("requested"),
            own_contribution=item.decimal("own_contribution"),
            status=item.choice("status", ApplicationStatus, ApplicationStatus.DRAFT),
            decided_on=item.day("decided_on"),
        )

    def application_of(
        self, item: Node, applications: list[Application]
    ) -> Application | None:
        """The application an award came from (funder, reference and deadline)."""
        raw = item.raw("application")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise item.fail(
                "application",
                "muss ein Objekt mit funder, reference und deadline sein.",
            )
        ref = Node(raw, f"{item.path}.application")
        wanted = (ref.text("funder"), ref.text("reference"), ref.day("deadline"))
        for application in applications:
            funder = application.funder.short_name if application.funder else None
            if (funder, application.reference, application.deadline) == wanted:
                return application
        raise item.fail(
            "application",
            "Diesen Antrag gibt es im Programm nicht "
            f"({' · '.join(str(w) for w in wanted if w is not None) or 'leer'}).",
        )

    def awards(
        self,
        node: Node,
        programme: Programme,
        phases: dict[str, Phase],
        applications: list[Application] | None = None,
    ) -> dict[str, Award]:
        """The awards of a programme, by reference."""
        by_reference: dict[str, Award] = {}
        for item in node.children("awards"):
            funder = self.ref(item, "funder", self.funders, "Fördergeber")
            if funder is None:
                raise item.fail("funder", "fehlt, ist aber Pflicht.")
            start, end = item.day("start"), item.day("end")
            if start and end and end < start:
                raise item.fail("end", f"{end} liegt vor dem Beginn {start}.")
            rate = item.decimal("funding_rate")
            if rate is not None and rate > 1:
                raise item.fail(
                    "funding_rate", f"muss zwischen 0 und 1 liegen ({rate})."
                )
            award = Award(
                funder=funder,
                phase=self.ref(item, "phase", phases, "Phase"),
                kind=item.choice("kind", AwardKind, AwardKind.BESCHEID),
                reference=item.text("reference"),
                awarded_on=item.day("awarded_on"),
                start=start,
                end=end,
                amount=item.decimal("amount"),
                own_contribution=item.decimal("own_contribution"),
                funding_rate=rate,
                staff_posts=item.decimal("staff_posts"),
                regime=item.text("regime"),
                conditions=item.text("conditions"),
                overrides=self.overrides(item),
                zweck_erfuellt_on=item.day("zweck_erfuellt_on"),
                financing_type=(
                    item.choice("financing_type", FinancingType)
                    if item.raw("financing_type") is not None
                    else None
                ),
                accounting_codes=item.strings("accounting_codes"),
                account_categories=_categories(item),
                money_overrides=self.money_overrides(item),
            )
            award.application = self.application_of(item, applications or [])
            self.award_lines(item, award)
            if award.reference:
                by_reference.setdefault(award.reference, award)
            programme.awards.append(award)
        return by_reference

    def money_overrides(self, item: Node) -> dict[str, Any]:
        """The Bescheid's own money rules, checked against the regime's."""
        overrides = item.mapping("money_overrides")
        if not overrides:
            return overrides
        regime_id = item.text("regime")
        try:
            return dict(
                validate_money_overrides(
                    self.money_rules.get(regime_id or ""), overrides
                )
            )
        except InvalidValue as exc:
            raise item.fail("money_overrides", exc.message) from exc

    def overrides(self, item: Node) -> dict[str, Any]:
        """The award's overrides, checked against its regime (CONTRACTS §1)."""
        overrides = item.mapping("overrides")
        if not overrides:
            return overrides
        regime_id = item.text("regime")
        if regime_id and regime_id not in self.regimes:
            known = ", ".join(sorted(self.regimes))
            raise item.fail(
                "regime",
                f"Regelwerk {regime_id!r} ist unbekannt; bekannt sind: {known}.",
            )
        try:
            return validate_overrides(
                self.regimes[regime_id] if regime_id else None, overrides
            )
        except OverrideError as exc:
            raise item.fail("overrides", exc.message) from exc

    def award_lines(self, item: Node, award: Award) -> None:
        """Plan, versions, expenses and disbursements of an award."""
        for line in item.children("income"):
            award.income_lines.append(
                IncomeLine(
                    kind=line.choice("kind", IncomeKind),
                    year=line.integer("year"),
                    planned=line.decimal("planned", required=True),
                )
            )
        for line in item.children("versions"):
            issued = line.day("issued_on")
            if issued is None:
                raise line.fail("issued_on", "fehlt, ist aber Pflicht.")
            award.versions.append(
                AwardVersion(
                    issued_on=issued,
                    reference=line.text("reference") or "",
                    amount=line.decimal("amount"),
                    start=line.day("start"),
                    end=line.day("end"),
                    budget=[
                        _plan_line(n, "category") for n in line.children("budget_lines")
                    ],
                    income=[_plan_line(n, "kind") for n in line.children("income")],
                    note=line.text("note"),
                )
            )
        for line in item.children("budget_lines"):
            award.budget_lines.append(
                BudgetLine(
                    category=line.req("category"),
                    year=line.integer("year"),
                    planned=line.decimal("planned", required=True),
                )
            )
        for line in item.children("expenses"):
            award.expenses.append(
                Expense(
                    category=line.req("category"),
                    year=line.integer("year"),
                    spent_on=line.day("spent_on"),
                    amount=line.decimal("amount", required=True, signed=True),
                    note=line.text("note"),
                    reference=line.text("reference"),
                    text=line.text("text"),
                    account=line.text("account"),
                    code=line.text("code"),
                    occurrence=line.integer("occurrence", 1),
                )
            )
        for line in item.children("disbursements"):
            award.disbursements.append(Disbursement(
                requested_on=line.day("requested_on"),
                amount=line.decimal("amount", required=True),
                received_on=line.day("received_on"),
                kind=line.choice("kind", DisbursementKind, DisbursementKind.ABRUF),
                note=line.text("note")))  # fmt: skip

    def obligation(self, item: Node, awards: dict[str, Award]) -> Obligation:
        """One obligation."""
        due = item.day("due")
        if due is None:
            raise item.fail("due", "fehlt, ist aber Pflicht.")
        effective = item.day("due_effective")
        if effective is not None and effective < due:
            raise item.fail("due_effective", f"{effective} liegt vor der Frist {due}.")
        origin = item.text("origin") or "manual"
        if origin not in ("manual", "import") and not origin.startswith("rule:"):
            raise item.fail(
                "origin",
                f"{origin!r} ist unbekannt "
                "(erlaubt: manual, import, rule:<Regelwerk>).",
            )
        return Obligation(
            kind=item.choice("kind", ObligationKind, ObligationKind.OTHER),
            title=item.req("title"),
            due_on=due,
            due_effective=effective,
            due_latest=item.day("due_latest"),
            basis=item.text("basis"),
            responsible=self.ref(item, "responsible", self.contacts, "Kontakt"),
            status=item.choice("status", ObligationStatus, ObligationStatus.OPEN),
            done_on=item.day("done_on"),
            origin=origin,
            source=item.text("source"),
            award=self.ref(item, "award", awards, "Bewilligung"),
            template_id=item.text("template_id"),
            rule_key=item.text("rule_key"),
            checklist=item.strings("checklist"),
            edited=item.flag("edited"),
            notes=item.text("notes"),
        )


def _categories(item: Node) -> dict[str, Any]:
    """Sachkonto (or prefix) -> plan position; both must be text."""
    mapping = item.mapping("account_categories")
    for account, category in mapping.items():
        if not isinstance(category, str) or not category.strip():
            raise item.fail(
                "account_categories",
                f"Sachkonto {account!r} braucht eine Position als Text.",
            )
    return mapping


def _plan_line(node: Node, key: str) -> dict[str, Any]:
    """One line of a Bescheid's plan, normalised as the export writes it."""
    if key == "kind":
        label: str = node.choice("kind", IncomeKind).value
    else:
        label = node.req(key)
    planned = node.decimal("planned", required=True)
    assert planned is not None
    return {
        key: label,
        "year": node.integer("year"),
        "planned": str(planned.quantize(Decimal("0.01"))),
    }


def parse_document(text: str, name: str = "Dokument") -> Node:
    """Parse JSON text and check that it is a ``portfolio/1`` document."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # json's own reason ("Expecting value") is English; the place is enough.
        where = (
            "die Datei ist leer"
            if not text.strip()
            else (f"kein gültiges JSON (Zeile {exc.lineno}, Spalte {exc.colno})")
        )
        raise InputError(
            f"{name}: {where}. Eine Sicherung erzeugt `portfolio export json`."
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        what = "ohne Angabe format" if found is None else f"format ist {found!r}"
        raise InputError(
            f"{name}: kein portfolio-Dokument ({what}, erwartet "
            f"{FORMAT!r}). Erzeugen Sie es mit `portfolio export json`."
        )
    return Node(data, "$")


def is_empty(session: Session) -> bool:
    """Whether the database holds no portfolio data yet."""
    for model in (Programme, Funder, Contact, Partner):
        if session.scalar(sa.select(sa.func.count()).select_from(model)):
            return False
    return True


def restore(
    session: Session,
    text: str,
    name: str = "Dokument",
    regimes_dir: str | Path | None = None,
) -> dict[str, int]:
    """Load a document into an empty database; return counts of what was loaded.

    ``regimes_dir`` is the office's regimes folder (setting ``paths.regimes``): the
    awards' overrides are checked against those regimes.
    """
    root = parse_document(text, name)
    if not is_empty(session):
        raise Conflict(
            "Die Datenbank ist nicht leer. Eine Sicherung wird nur in eine leere "
            "Datenbank geladen (neue Datei mit --db oder `portfolio demo --reset`)."
        )
    restorer = Restorer(session, load_regimes(regimes_dir), regimes_dir)
    stichtag = root.day("stichtag")
    office = Node(root.mapping("office"), f"{root.path}.office")
    defaults = {key: office.text(field) for field, key in OFFICE_FIELDS.items()}
    try:
        restorer.load(root)
        set_stichtag(session, stichtag)
        set_database_defaults(session, defaults)
        session.flush()
    except DocumentError:
        raise
    except PortfolioError as exc:
        raise InputError(f"{name}: {exc.message}") from exc
    return {
        "programmes": len(restorer.programmes),
        "funders": len(restorer.funders),
        "contacts": len(restorer.contacts),
        "partners": len(restorer.partners),
    }


def restore_file(
    session: Session, path: Path, regimes_dir: str | Path | None = None
) -> dict[str, int]:
    """Restore from a file, with a clear message when it cannot be read."""
    return restore(session, read_backup(path), path.name, regimes_dir)


def read_backup(path: Path) -> str:
    """The text of a backup file (doors read it before they open the database)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"Die Datei {str(path)!r} gibt es nicht.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{str(path)!r} ist ein Ordner, keine Datei.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{str(path)!r} ist keine Textdatei (UTF-8) – eine Sicherung erzeugt "
            "`portfolio export json`."
        ) from exc
    except OSError as exc:
        raise InputError(
            f"{str(path)!r} lässt sich nicht lesen ({exc.strerror})."
        ) from exc
