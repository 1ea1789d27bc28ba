"""Settings, declared once: name, TOML key, environment variable, default and help.

One TOML file (``portfolio.toml``; path from ``--config`` or ``PORTFOLIO_CONFIG``)
and ``PORTFOLIO_*`` environment variables, which win over the file; options given on
the command line win over both. Only the doors read settings; they pass plain values
down. The README's settings table is generated from ``SETTINGS`` and a test keeps it
in step (tests/test_docs.py).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portfolio.domain.errors import InputError


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: where it is read from, its default and what it means (German)."""

    key: str
    env: str
    default: str | int | bool | None
    help: str

    @property
    def attr(self) -> str:
        """The attribute name on ``Settings`` (``mail.smtp_host`` → ``smtp_host``)."""
        return self.key.split(".", 1)[1] if self.key.count(".") else self.key


SETTINGS: tuple[Setting, ...] = (
    Setting("database.url", "PORTFOLIO_DB", "sqlite:///portfolio.db",
            "Datenbank-URL: SQLite-Datei oder PostgreSQL (postgresql+psycopg://…)"),
    Setting("office.name", "PORTFOLIO_OFFICE_NAME", "Regionales Bildungsbüro",
            "Name der Stelle, erscheint in Berichten und E-Mails"),
    Setting("office.address", "PORTFOLIO_OFFICE_ADDRESS", "",
            "Postanschrift der Stelle, mehrzeilig (Absender in Berichten und "
            "Nachweisen; in der Umgebungsvariable Zeilen mit \\n trennen)"),
    Setting("office.timezone", "PORTFOLIO_TIMEZONE", "Europe/Berlin",
            "Zeitzone für Fristen, Erinnerungen und den Zeitplan"),
    Setting("office.state", "PORTFOLIO_STATE", "NW",
            "Bundesland für Feiertage (Fristverschiebung nach § 193 BGB)"),
    Setting("office.lead_email", "PORTFOLIO_OFFICE_LEAD", None,
            "E-Mail der Büroleitung (erhält Übersichten und Kopien bei Verzug)"),
    Setting("mail.transport", "PORTFOLIO_MAIL_TRANSPORT", "outbox",
            "outbox (schreibt .eml-Dateien) oder smtp (versendet wirklich)"),
    Setting("mail.outbox_dir", "PORTFOLIO_MAIL_OUTBOX", "outbox",
            "Ordner für .eml-Dateien beim Transport outbox"),
    Setting("mail.sender", "PORTFOLIO_MAIL_FROM", "portfolio@localhost",
            "Absenderadresse der E-Mails"),
    Setting("mail.smtp_host", "PORTFOLIO_SMTP_HOST", "localhost", "SMTP-Server"),
    Setting("mail.smtp_port", "PORTFOLIO_SMTP_PORT", 25, "SMTP-Port"),
    Setting("mail.smtp_security", "PORTFOLIO_SMTP_SECURITY", "none",
            "none, starttls oder ssl"),
    Setting("mail.smtp_user", "PORTFOLIO_SMTP_USER", None, "SMTP-Benutzer (optional)"),
    Setting("mail.smtp_password", "PORTFOLIO_SMTP_PASSWORD", None,
            "SMTP-Passwort (optional)"),
    Setting("mail.max_attempts", "PORTFOLIO_MAIL_MAX_ATTEMPTS", 8,
            "Versuche je E-Mail, bevor sie als fehlgeschlagen gilt"),
    Setting("mail.lease_seconds", "PORTFOLIO_MAIL_LEASE_SECONDS", 300,
            "Sekunden, die ein Versandlauf Erinnerungen für sich reserviert (wird "
            "während des Versands verlängert; danach darf ein anderer Lauf sie "
            "übernehmen)"),
    Setting("mail.outage_alert_minutes", "PORTFOLIO_MAIL_OUTAGE_ALERT_MINUTES", 120,
            "Minuten Ausfall des Mailservers, nach denen die Büroleitung bei der "
            "nächsten erfolgreichen Verbindung benachrichtigt wird"),
    Setting("reminders.stages", "PORTFOLIO_REMINDER_STAGES", "42,14,3,0",
            "Erinnerungsstufen in Tagen vor der Frist"),
    Setting("reports.yearly_date", "PORTFOLIO_REPORTS_YEARLY_DATE", "15.01.",
            "Tag (TT.MM.), an dem die Jahresberichte des Vorjahrs als Entwurf an die "
            "Leitung gehen"),
    Setting("web.base_url", "PORTFOLIO_BASE_URL", "http://127.0.0.1:8000",
            "Adresse der Weboberfläche (für Links in E-Mails)"),
    Setting("web.secret_key", "PORTFOLIO_SECRET_KEY", None,
            "ohne Wirkung (Sitzungen liegen in der Datenbank); nur noch geduldet"),
    Setting("web.session_idle_minutes", "PORTFOLIO_SESSION_IDLE_MINUTES", 120,
            "Minuten ohne Aktivität, nach denen eine Anmeldung endet"),
    Setting("web.session_max_hours", "PORTFOLIO_SESSION_MAX_HOURS", 10,
            "Stunden, nach denen eine Anmeldung spätestens endet"),
    Setting("web.trusted_proxies", "PORTFOLIO_TRUSTED_PROXIES", "",
            "Vorgeschaltete Proxys (IP-Adressen/Netze, mit Komma), deren "
            "X-Forwarded-For gilt; leer: keinem glauben"),
    Setting("web.login_delay_max_seconds", "PORTFOLIO_LOGIN_DELAY_MAX", 10,
            "Höchste Wartezeit in Sekunden, um die Fehlversuche eine Anmeldung "
            "verzögern (nie eine Sperre)"),
    Setting("web.access_log", "PORTFOLIO_ACCESS_LOG", "-",
            "Zugriffsprotokoll im Common Log Format: - (Standardausgabe), ein "
            "Dateipfad oder aus"),
    Setting("imports.max_file_mb", "PORTFOLIO_IMPORT_MAX_MB", 50,
            "Größte Importdatei in MB"),
    Setting("documents.dir", "PORTFOLIO_DOCUMENTS_DIR", None,
            "Ordner der Dokumente (Standard: neben der SQLite-Datei "
            "<name>-documents, bei PostgreSQL documents im Arbeitsordner)"),
    Setting("documents.max_file_mb", "PORTFOLIO_DOCUMENTS_MAX_MB", 50,
            "Größtes Dokument in MB"),
    Setting("money.account_categories", "PORTFOLIO_ACCOUNT_CATEGORIES", "",
            "Sachkonto (oder Anfang) → Position des Finanzierungsplans für alle "
            "Bewilligungen, z. B. „5011=Personal; 543=Sachausgaben“ (die eigenen "
            "Angaben einer Bewilligung gehen vor)"),
    Setting("imports.upload_keep_minutes", "PORTFOLIO_UPLOAD_KEEP_MINUTES", 60,
            "Minuten, die eine hochgeladene, nicht übernommene Importdatei "
            "aufbewahrt wird"),
    Setting("ldap.url", "PORTFOLIO_LDAP_URL", None,
            "Verzeichnisdienst für die Anmeldung (ldap://… oder ldaps://…); leer: "
            "nur lokale Konten"),
    Setting("ldap.base_dn", "PORTFOLIO_LDAP_BASE_DN", "",
            "Suchbasis für Personen und Gruppen (z. B. dc=kreis-re,dc=de)"),
    Setting("ldap.user_filter", "PORTFOLIO_LDAP_USER_FILTER", "(uid={benutzer})",
            "Suchfilter für die Person; AD: (sAMAccountName={benutzer})"),
    Setting("ldap.bind_dn", "PORTFOLIO_LDAP_BIND_DN", None,
            "Dienstkonto für die Suche (leer: anonym)"),
    Setting("ldap.bind_password", "PORTFOLIO_LDAP_BIND_PASSWORD", None,
            "Passwort des Dienstkontos"),
    Setting("ldap.starttls", "PORTFOLIO_LDAP_STARTTLS", False,
            "Verbindung mit STARTTLS verschlüsseln"),
    Setting("ldap.groups", "PORTFOLIO_LDAP_GROUPS", None,
            "Gruppe → Rolle als TOML-Tabelle [ldap.groups], z. B. "
            "\"portfolio-admins\" = \"admin\" (Umgebung: NAME=ROLLE;…)"),
    Setting("paths.templates", "PORTFOLIO_TEMPLATES", None,
            "Ordner mit eigenen Bericht- und E-Mail-Vorlagen"),
    Setting("paths.regimes", "PORTFOLIO_REGIMES", None,
            "Ordner mit eigenen Regelwerken (Fristen nach Förderrecht)"),
    Setting("paths.profiles", "PORTFOLIO_PROFILES", None,
            "Ordner mit eigenen Import-Profilen"),
)  # fmt: skip

_BY_ATTR = {s.key.replace(".", "_"): s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The resolved settings; read values with ``settings.get("mail.transport")``."""

    values: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None
    # Keys the file, the environment or an option set (None: every key of values).
    explicit: frozenset[str] | None = None

    def get(self, key: str) -> Any:
        """The value of a setting by its TOML key."""
        if key in self.values:
            return self.values[key]
        for setting in SETTINGS:
            if setting.key == key:
                return setting.default
        raise KeyError(key)

    @property
    def database_url(self) -> str:
        """The database URL."""
        return str(self.get("database.url"))

    @property
    def office_address_lines(self) -> list[str]:
        """The office's postal address as lines (newlines, or backslash-n in env)."""
        text = str(self.get("office.address") or "").replace("\\n", "\n")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def is_set(self, key: str) -> bool:
        """Whether the file, the environment or an option gave this setting."""
        return key in (self.values if self.explicit is None else self.explicit)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some settings replaced (keys with dots or underscores)."""
        values = dict(self.values)
        given: set[str] = set()
        for name, value in overrides.items():
            if value is None:
                continue
            key = name if "." in name else _BY_ATTR[name].key
            values[key] = value
            given.add(key)
        explicit = None if self.explicit is None else self.explicit | given
        return Settings(values, self.source, explicit)

    def with_database_defaults(self, defaults: Mapping[str, str]) -> Settings:
        """A copy in which the database's defaults fill the settings nobody set.

        A database may carry defaults for the office (``office.name``,
        ``office.address``: the demo stores its Bildungsbüro's); the file, the
        environment and the options still win.
        """
        values = dict(self.values)
        for key, value in defaults.items():
            if value and not self.is_set(key):
                values[key] = value
        return Settings(values, self.source, self.explicit)


# Settings that are mappings: a TOML table in the file, ``a=b;c=d`` in the environment.
TABLE_SETTINGS = frozenset({"ldap.groups"})


def _table(setting: Setting, raw: Any, origin: str) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    pairs = [p.partition("=") for p in str(raw).split(";") if p.strip()]
    if any(not sep for _, sep, _ in pairs):
        raise InputError(
            f"{origin}: {setting.key} ist eine Zuordnung, in der Datei als Tabelle "
            f"[{setting.key}], in der Umgebung als NAME=WERT;NAME=WERT."
        )
    return {k.strip(): v.strip() for k, _, v in pairs}


def _coerce(setting: Setting, raw: Any, origin: str) -> Any:
    if setting.key in TABLE_SETTINGS and raw is not None:
        return _table(setting, raw, origin)
    if raw is None or setting.default is None or isinstance(setting.default, str):
        return raw if raw is None else str(raw)
    if isinstance(setting.default, bool):
        return str(raw).lower() in ("1", "true", "ja", "yes", "on")
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{origin}: {setting.key} muss eine ganze Zahl sein (nicht {raw!r})."
        ) from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise InputError(f"Die Konfigurationsdatei {str(path)!r} fehlt.") from exc
    except IsADirectoryError as exc:
        raise InputError(
            f"{str(path)!r} ist ein Ordner; --config erwartet eine TOML-Datei."
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Die Konfigurationsdatei {str(path)!r} ist kein UTF-8-Text."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's reason is English; the place is what the user needs.
        place = re.search(r"at line (\d+), column (\d+)", str(exc))
        where = f" (Zeile {place[1]}, Spalte {place[2]})" if place else ""
        raise InputError(
            f"Die Konfigurationsdatei {str(path)!r} ist kein gültiges TOML{where}."
        ) from exc
    except OSError as exc:
        raise InputError(
            f"Die Konfigurationsdatei {str(path)!r} lässt sich nicht lesen."
        ) from exc
    _refuse_unknown_keys(document, path)
    return document


def _refuse_unknown_keys(document: Mapping[str, Any], path: Path) -> None:
    """A misspelt key would silently fall back to its default: refuse it."""
    known = [setting.key for setting in SETTINGS]
    for section, table in document.items():
        names = table.items() if isinstance(table, dict) else [(None, table)]
        for name, _value in names:
            key = section if name is None else f"{section}.{name}"
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" – meinten Sie {close[0]}?" if close else ""
            raise InputError(
                f"{str(path)!r}: die Einstellung {key!r} gibt es nicht{hint} "
                "(alle Einstellungen: README, Abschnitt Konfiguration)."
            )


def _lookup(document: Mapping[str, Any], key: str) -> Any:
    section, _, name = key.partition(".")
    table = document.get(section, {})
    return table.get(name) if isinstance(table, dict) else None


def load_settings(
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings from the TOML file and the environment."""
    env = os.environ if environ is None else environ
    path_text = config_file or env.get("PORTFOLIO_CONFIG")
    path = Path(path_text) if path_text else None
    if path is None and Path("portfolio.toml").is_file():
        path = Path("portfolio.toml")
    document = _read_toml(path) if path else {}
    values: dict[str, Any] = {}
    explicit: set[str] = set()
    for setting in SETTINGS:
        raw, origin = _lookup(document, setting.key), str(path)
        if setting.env in env:
            raw, origin = env[setting.env], setting.env
        if raw is not None:
            explicit.add(setting.key)
        values[setting.key] = (
            setting.default if raw is None else _coerce(setting, raw, origin)
        )
    _check_timezone(str(values["office.timezone"]))
    return Settings(values, path, frozenset(explicit))


def _check_timezone(name: str) -> None:
    """Every date of the portfolio depends on it: refuse a zone nobody knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"office.timezone {name!r} ist keine bekannte Zeitzone "
            "(Beispiel: Europe/Berlin)."
        ) from exc


def settings_table() -> str:
    """The settings as a Markdown table (the README embeds it; a test compares)."""
    lines = [
        "| Einstellung (TOML) | Umgebungsvariable | Standard | Bedeutung |",
        "|---|---|---|---|",
    ]
    for setting in SETTINGS:
        default = "–" if setting.default in (None, "") else f"`{setting.default}`"
        key, env = f"`{setting.key}`", f"`{setting.env}`"
        lines.append(f"| {key} | {env} | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m portfolio.config`
    print(settings_table(), end="")
