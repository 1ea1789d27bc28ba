"""What a report needs to know about the office: its name and the template folder.

The doors build ``ReportOptions`` from the settings (``from_settings`` reads only
``office.name`` and ``paths.templates`` through ``settings.get``), so the reports
package never imports the configuration itself.
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
    """The office name for headers and an optional folder of own templates."""

    office_name: str = DEFAULT_OFFICE
    templates_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: SettingsLike | None) -> ReportOptions:
        """Read the two settings reports use (or the defaults for None)."""
        if settings is None:
            return cls()
        folder = settings.get("paths.templates")
        return cls(
            office_name=str(settings.get("office.name") or DEFAULT_OFFICE),
            templates_dir=Path(folder) if folder else None,
        )
