"""The mapping the user corrects: field → column, by letter or by header text.

``portfolio import --map Fördersumme=E`` (or ``--map "amount=Summe bewilligt"``),
and the column selects of the browser preview, override what the header words and
the values chose; ``-`` leaves a field unread. A corrected mapping can be kept as an
import profile (``save_profile``): its header texts map to the fields, and its
``headers`` (the whole header row) let the next sheet with the same headers use it
without being asked (``profile_for``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imports.columns import COLUMNS, Column
from imports.headers import Header, normalize
from imports.values import clean_text
from imports.xmlscan import column_letter
from portfolio.domain.errors import InputError
from portfolio.domain.records import SheetKind

LETTER_RE = re.compile(r"[A-Za-z]{1,3}")
NOT_READ = "-"
# (sheet or "" for every sheet, field or label, column letter or header or "-")
Mapping = tuple[tuple[str, str, str], ...]


def parse_map(specs: Sequence[str]) -> Mapping:
    """``["Fördersumme=E", "Status=-"]`` → ((field or label, column), …)."""
    pairs = []
    for spec in specs:
        field_name, sep, column = spec.partition("=")
        if not sep or not field_name.strip():
            raise InputError(
                f"--map {spec!r}: schreiben Sie FELD=SPALTE, z. B. --map "
                "Fördersumme=E oder --map 'Fördersumme=Summe bewilligt'."
            )
        pairs.append(("", field_name.strip(), column.strip() or NOT_READ))
    return tuple(pairs)


def find_field(kind: SheetKind | None, name: str) -> Column | None:
    """The column descriptor a field name or German label means (None: not here)."""
    wanted = normalize(name)
    for each in [kind] if kind else list(SheetKind):
        for column in COLUMNS[each]:
            if wanted in (normalize(column.field), normalize(column.label)):
                return column
    return None


def check_fields(mapping: Mapping) -> None:
    """Refuse a ``--map`` field no kind of sheet has, naming the fields there are."""
    for _sheet, name, _spec in mapping:
        if find_field(None, name) is None:
            known = ", ".join(sorted({c.label for k in SheetKind for c in COLUMNS[k]}))
            raise InputError(
                f"--map: das Feld {name!r} gibt es nicht (möglich: {known})."
            )


def user_fields(kind: SheetKind) -> dict[str, str]:
    """The fields of a kind the user may map: field → German label."""
    return {
        c.field: c.label
        for c in COLUMNS[kind]
        if not c.aliases[0].startswith("_") and c.field not in ("key",)
    }


def _index(spec: str, cells: Sequence[Any]) -> int:
    """The column a letter (``E``) or a header text (``Summe bewilligt``) means."""
    wanted = normalize(spec)
    for index, cell in enumerate(cells):
        if wanted and normalize(cell) == wanted:
            return index
    if LETTER_RE.fullmatch(spec):
        index = 0
        for char in spec.upper():
            index = index * 26 + ord(char) - 64
        return index - 1
    raise InputError(
        f"Die Spalte {spec!r} gibt es in der Kopfzeile nicht – nennen Sie ihren "
        "Buchstaben (z. B. E) oder ihre Überschrift."
    )


def apply_mapping(
    header: Header, mapping: Mapping, cells: Sequence[Any], sheet: str
) -> set[str]:
    """Read each mapped field from the column the user chose; return the fields.

    Entries for another sheet, or for a field this kind of sheet has not, are
    left out.
    """
    fixed = set()
    for only, name, spec in mapping:
        column = find_field(header.kind, name)
        if column is None or (only and only != sheet):
            continue
        for index, taken in list(header.columns.items()):
            if taken.field == column.field:
                header.columns.pop(index)
                header.unread[index] = header.labels.pop(index, "")
        fixed.add(column.field)
        if spec == NOT_READ:
            continue
        index = _index(spec, cells)
        if index in header.columns:  # the column read another field: not now
            header.columns.pop(index)
        label = clean_text(cells[index]) if index < len(cells) else ""
        header.columns[index] = column
        header.labels[index] = label or column_letter(index)
        header.unread.pop(index, None)
        header.notes.append(
            f"{column.label}: Spalte {column_letter(index)} wie gewählt."
        )
    return fixed


def save_profile(  # noqa: PLR0917 - the parts of one profile
    folder: Path,
    name: str,
    kind: SheetKind,
    header_row: int,
    columns: dict[str, str],
    headers: Sequence[str],
) -> Path:
    """Write an import profile (TOML) for a layout; return its path."""
    slug = "-".join(re.sub(r"[^a-z0-9]+", " ", normalize(name)).split()) or "profil"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug[:60]}.toml"
    lines = [
        "# Saved from the import preview: the mapping the user chose.",
        f"name = {_toml(slug)}",
        f"description = {_toml('Zuordnung aus der Import-Vorschau')}",
        f"kind = {_toml(kind.value)}",
        f"header_row = {header_row}",
        "headers = [" + ", ".join(_toml(h) for h in headers if h) + "]",
        "",
        "[columns]",
        *(f"{_toml(label)} = {_toml(field)}" for label, field in columns.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def header_signature(cells: Sequence[Any]) -> tuple[str, ...]:
    """A header row as compared with a profile's ``headers``."""
    return tuple(n for n in (normalize(c) for c in cells) if n)
