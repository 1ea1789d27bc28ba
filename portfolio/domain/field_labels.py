"""German names of the entities and their fields, declared once beside the models.

The change log (web page, API, workbook) speaks of a "Frist" and its "Status", not of
``obligations`` and ``status``. Whoever adds a model or a column adds its German name
here; ``test_every_audited_field_has_a_german_label`` in ``tests/test_web_changes.py``
fails for an audited column without one.
Fields in ``HIDDEN`` are bookkeeping (import provenance, rule keys) that the readable
log leaves out; the raw values stay in the database.
"""

from __future__ import annotations

# What one row of a table is called (singular), and the field that names it.
ENTITY_NAMES: dict[str, tuple[str, str | None]] = {
    "meta": ("Einstellung", "key"),
    "contacts": ("Kontakt", "name"),
    "funders": ("Fördergeber", "short_name"),
    "partners": ("Partner", "name"),
    "programmes": ("Programm", "name"),
    "programme_partners": ("Programmpartner", None),
    "phases": ("Phase", "name"),
    "fundings": ("Finanzierung", None),
    "applications": ("Antrag", "reference"),
    "awards": ("Bewilligung", "reference"),
    "award_versions": ("Bescheid", "reference"),
    "budget_lines": ("Planzeile", "category"),
    "income_lines": ("Einnahmenzeile", None),
    "expenses": ("Ausgabe", "text"),
    "disbursements": ("Mittelabruf", None),
    "obligations": ("Frist", "title"),
    "narratives": ("Sachbericht-Abschnitt", "section"),
    "users": ("Benutzer", "username"),
    "documents": ("Dokument", "title"),
}

# Labels every table shares.
COMMON: dict[str, str] = {
    "id": "Nr.",
    "name": "Name",
    "notes": "Notizen",
    "note": "Notiz",
    "kind": "Art",
    "status": "Status",
    "reference": "Aktenzeichen",
    "amount": "Betrag",
    "start": "Beginn",
    "end": "Ende",
    "year": "Jahr",
    "programme_id": "Programm",
    "award_id": "Bewilligung",
    "funder_id": "Fördergeber",
    "phase_id": "Phase",
    "parent_id": "gehört zu",
    "role": "Rolle",
    "email": "E-Mail",
    "category": "Kategorie",
    "planned": "Plan",
    "own_contribution": "Eigenanteil",
    "import_batch_id": "Import",
    "source_ref": "Quelle im Import",
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "meta": {"key": "Schlüssel", "value": "Wert"},
    "contacts": {
        "organisation": "Organisation",
        "phone": "Telefon",
        "is_office_lead": "Büroleitung",
    },
    "funders": {"short_name": "Kürzel", "contact_id": "Ansprechperson"},
    "partners": {},
    "programmes": {
        "key": "Schlüssel",
        "short_name": "Kurzname",
        "description": "Beschreibung",
        "field_of_action": "Handlungsfeld",
        "lead_id": "Verantwortlich",
        "tags": "Schlagworte",
    },
    "programme_partners": {"partner_id": "Partner"},
    "phases": {"precision": "Genauigkeit"},
    "fundings": {"share": "Anteil"},
    "applications": {
        "deadline": "Antragsfrist",
        "submitted_on": "eingereicht am",
        "requested": "beantragt",
        "decided_on": "entschieden am",
    },
    "awards": {
        "reference": "Förderkennzeichen",
        "awarded_on": "Bescheid vom",
        "start": "Bewilligungszeitraum ab",
        "end": "Bewilligungszeitraum bis",
        "amount": "Zuwendung",
        "funding_rate": "Förderquote",
        "staff_posts": "Stellen",
        "regime": "Regelwerk",
        "conditions": "Nebenbestimmungen",
        "overrides": "abweichende Fristen",
        "zweck_erfuellt_on": "Zweck erfüllt am",
        "financing_type": "Finanzierungsart",
        "accounting_codes": "Buchungsstellen",
        "account_categories": "Konten je Kategorie",
        "application_id": "aus Antrag",
        "money_overrides": "abweichende Mittelregeln",
    },
    "award_versions": {
        "issued_on": "Bescheid vom",
        "budget": "Finanzierungsplan",
        "income": "Einnahmen",
    },
    "budget_lines": {},
    "income_lines": {},
    "expenses": {
        "spent_on": "bezahlt am",
        "text": "Buchungstext",
        "account": "Konto",
        "code": "Buchungsstelle",
        "occurrence": "Vorkommen",
    },
    "disbursements": {
        "requested_on": "abgerufen am",
        "received_on": "eingegangen am",
    },
    "obligations": {
        "title": "Titel",
        "due_on": "fällig am",
        "due_effective": "verschoben auf",
        "responsible_id": "Verantwortlich",
        "done_on": "erledigt am",
        "origin": "Herkunft",
        "template_id": "Vorlage",
        "rule_key": "Regel",
        "source": "Grundlage",
        "checklist": "Checkliste",
        "edited": "von Hand geändert",
        "due_latest": "spätestens am",
        "basis": "Berechnung",
    },
    "narratives": {"section": "Abschnitt", "text": "Text"},
    "users": {"username": "Benutzername", "active": "aktiv", "created_at": "angelegt"},
    "documents": {
        "title": "Titel",
        "doc_date": "Datum des Dokuments",
        "file_name": "Dateiname",
        "media_type": "Dateityp",
        "size": "Größe",
        "sha256": "Prüfsumme",
        "application_id": "Antrag",
        "obligation_id": "Frist",
        "version_of_id": "neue Fassung von",
        "added_by": "hinzugefügt von",
        "added_at": "hinzugefügt am",
    },
}

# Bookkeeping the readable log leaves out.
HIDDEN: frozenset[str] = frozenset(
    {
        "id",
        "import_batch_id",
        "source_ref",
        "rule_key",
        "template_id",
        "edited",
        "sha256",
    }
)


def entity_name(entity: str) -> str:
    """The German name of one row of a table (``obligations`` → ``Frist``)."""
    return ENTITY_NAMES.get(entity, (entity, None))[0]


def naming_field(entity: str) -> str | None:
    """The field whose value names a row (a deadline's title, a funder's Kürzel)."""
    return ENTITY_NAMES.get(entity, (entity, None))[1]


def field_label(entity: str, field: str) -> str:
    """The German label of a field (the field's own name if none is declared)."""
    return FIELD_LABELS.get(entity, {}).get(field) or COMMON.get(field, field)


def has_label(entity: str, field: str) -> bool:
    """Whether a German label is declared for the field."""
    return field in FIELD_LABELS.get(entity, {}) or field in COMMON


# A partner's kind is free text; the demo and older imports wrote these words.
PARTNER_KINDS: dict[str, str] = {
    "arbeitsverwaltung": "Arbeitsverwaltung",
    "bildungstraeger": "Bildungsträger",
    "kammer": "Kammer",
    "kommune": "Kommune",
    "netzwerk": "Netzwerk",
    "schulaufsicht": "Schulaufsicht",
    "stiftung": "Stiftung",
    "verband": "Verband",
    "wissenschaft": "Wissenschaft",
}


def partner_kind(kind: str | None) -> str:
    """A partner's kind as people read it ("bildungstraeger" → "Bildungsträger")."""
    text = (kind or "").strip()
    return PARTNER_KINDS.get(text.casefold(), text)
