"""Import profiles: TOML files that map layouts the synonyms cannot read.

A profile names the kind of sheet, optionally the sheet and the header row (1-based),
and maps header texts to fields::

    name = "beispiel-fristen"
    description = "Fristenliste mit eigenen Spaltennamen"
    kind = "obligations"
    header_row = 3
    [columns]
    "Abgabe an Geldgeber" = "due"
    "Vorgang" = "title"

Profiles ship in this folder; more can live in the folder named by the setting
``paths.profiles`` (it wins on equal names). The fields per kind are those of
``imports.columns``; ``"-"`` leaves a column unread. A profile saved from the
import preview also lists ``headers`` (the whole header row): a sheet with exactly
these headers uses it without ``--profile``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from imports.columns import FIELDS
from imports.headers import normalize
from portfolio.domain.errors import InputError
from portfolio.domain.records import SheetKind

BUILTIN = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Profile:
    """A layout description: kind, sheet, header row and header words → fields."""

    name: str
    kind: SheetKind | None = None
    sheet: str | None = None
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # The whole header row (folded) of the sheet it was saved from: a sheet with
    # the same headers uses the profile without being asked.
    headers: tuple[str, ...] = ()


def _folders(extra: Path | None) -> list[Path]:
    return [p for p in (extra, BUILTIN) if p is not None]


def available_profiles(extra: Path | None = None) -> list[str]:
    """Names of every profile that can be used."""
    names = {p.stem for folder in _folders(extra) for p in folder.glob("*.toml")}
    return sorted(names)


def load_profile(name: str, extra: Path | None = None) -> Profile:
    """Load a profile by name (or path), refusing unknown kinds and fields."""
    path = Path(name)
    if not (path.suffix == ".toml" and path.is_file()):
        found = [
            f / f"{name}.toml"
            for f in _folders(extra)
            if (f / f"{name}.toml").is_file()
        ]
        if not found:
            known = ", ".join(available_profiles(extra)) or "keine"
            raise InputError(
                f"Das Importprofil {name!r} gibt es nicht (vorhanden: {known})."
            )
        path = found[0]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"Das Importprofil {path.name} ist nicht lesbar: {exc}."
        ) from None
    return _profile(path.stem, data)


def _profile(name: str, data: dict[str, object]) -> Profile:
    kind_text = data.get("kind")
    kind = None
    if kind_text is not None:
        try:
            kind = SheetKind(str(kind_text))
        except ValueError:
            raise InputError(
                f"Im Importprofil {name} ist kind = {kind_text!r} unbekannt "
                f"(erlaubt: {', '.join(k.value for k in SheetKind)})."
            ) from None
    raw_columns = data.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise InputError(f"Im Importprofil {name} muss [columns] eine Tabelle sein.")
    columns: dict[str, str] = {}
    allowed = set().union(*(FIELDS[k] for k in ([kind] if kind else list(SheetKind))))
    for header, field_name in raw_columns.items():
        if str(field_name) not in allowed | {"-"}:
            raise InputError(
                f"Im Importprofil {name} ist das Feld {field_name!r} unbekannt "
                f"(erlaubt: {', '.join(sorted(allowed))})."
            )
        columns[normalize(header)] = str(field_name)
    header_row = data.get("header_row")
    return Profile(
        name=name,
        kind=kind,
        sheet=str(data["sheet"]) if "sheet" in data else None,
        header_row=int(str(header_row)) if header_row is not None else None,
        columns=columns,
        description=str(data.get("description", "")),
        headers=tuple(normalize(h) for h in _list(data.get("headers"))),
    )


def _list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def profile_for(
    rows: list[list[object]], extra: Path | None
) -> tuple[Profile, int] | None:
    """A saved profile whose header row is one of these rows: (profile, row).

    Profiles that cannot be read are passed over: a broken file in the folder
    must not stop an import that does not ask for it.
    """
    signatures = [tuple(n for n in (normalize(c) for c in row) if n) for row in rows]
    for name in available_profiles(extra):
        try:
            profile = load_profile(name, extra)
        except InputError:
            continue
        if profile.headers and profile.headers in signatures:
            return profile, signatures.index(profile.headers)
    return None
