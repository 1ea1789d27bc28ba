"""What a report needs to know about the office: name, address, template folder.

The doors build ``ReportOptions`` from the settings (``from_settings`` reads only
``office.name``, ``office.address`` and ``paths.templates`` through
``settings.get``), so the reports package never imports the configuration itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DEFAULT_OFFICE = "Regionales Bildungsbüro"


class SettingsLike(Protocol):
    """Anything with ``get(key)``, such as ``portfolio.config.Settings``."""

    def get(self, key: str) -> Any:
        """The value of a setting by its TOML key."""
        ...


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Office name (headers), postal address lines (sender), own templates folder."""

    office_name: str = DEFAULT_OFFICE
    templates_dir: Path | None = None
    office_address: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: SettingsLike | None) -> ReportOptions:
        """Read the three settings reports use (or the defaults for None)."""
        if settings is None:
            return cls()
        folder = settings.get("paths.templates")
        # One line each; a backslash-n (from the environment) also breaks a line.
        address = str(settings.get("office.address") or "").replace("\\n", "\n")
        return cls(
            office_name=str(settings.get("office.name") or DEFAULT_OFFICE),
            templates_dir=Path(folder) if folder else None,
            office_address=tuple(
                line.strip() for line in address.splitlines() if line.strip()
            ),
        )
