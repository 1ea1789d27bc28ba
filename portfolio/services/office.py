"""The office's name and address as the database's defaults (the demo carries them).

The settings ``office.name`` and ``office.address`` come from the TOML file or the
environment. A database may carry defaults for them (``Meta`` rows of the same
keys): the demo stores its Regionales Bildungsbüro Kreis Recklinghausen there, so
its reports carry a real sender without a configuration file. The doors merge them
with ``Settings.with_database_defaults``; what the file or the environment sets
wins. Export and restore carry them as the document's ``office`` object.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.models import Meta

# Document field → setting (and Meta key).
FIELDS = {"name": "office.name", "address": "office.address"}


def database_defaults(session: Session) -> dict[str, str]:
    """The office settings the database carries (setting key → value)."""
    rows = session.execute(
        sa.select(Meta.key, Meta.value).where(Meta.key.in_(FIELDS.values()))
    )
    return {key: value for key, value in rows if value}


def set_database_defaults(session: Session, values: Mapping[str, str | None]) -> None:
    """Store (None or empty text: remove) the office defaults, by setting key."""
    for key, value in values.items():
        if key not in FIELDS.values():
            raise KeyError(key)
        row = session.get(Meta, key)
        if not value:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Meta(key=key, value=value))
        else:
            row.value = value


def document_office(session: Session) -> dict[str, str] | None:
    """The ``office`` object of an export (None when the database carries none)."""
    stored = database_defaults(session)
    found = {name: stored[key] for name, key in FIELDS.items() if key in stored}
    return found or None
