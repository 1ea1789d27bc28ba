"""The errors users see, and the problems an import collects.

Every failure a user can cause is a ``PortfolioError`` whose message is one German
sentence naming what is wrong and what to do; its ``exit_code`` follows DESIGN §6
(2: unusable input, 3: internal). The doors turn it into a message or a page, never a
traceback. A ``Problem`` is a non-fatal finding about one cell or row of an input.
"""

from __future__ import annotations

from dataclasses import dataclass


class PortfolioError(Exception):
    """Base of all errors with a message meant for users."""

    exit_code: int = 3
    http_status: int = 500
    # Where the user can act on the problem (address, link text), if anywhere.
    link: tuple[str, str] | None = None

    def __init__(self, message: str) -> None:
        """Keep the German message."""
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        """Return the message."""
        return self.message


class InputError(PortfolioError):
    """The input cannot be used: a bad file, argument or document (exit 2)."""

    exit_code = 2
    http_status = 400


class InvalidValue(InputError):
    """One value breaks a rule of the data model (negative money, end before start)."""

    http_status = 422


class NotFound(InputError):
    """A key names nothing in the database."""

    http_status = 404


class Conflict(InputError):
    """The request clashes with what is stored (duplicate key, non-empty database)."""

    http_status = 409


class SchemaBehind(PortfolioError):
    """The database is older than the code and needs ``portfolio db upgrade``."""

    exit_code = 2
    http_status = 503


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding about one place in an input: where, what was there, why, what to do."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    hint: str = ""

    def where(self) -> str:
        """Name the place: file, sheet, row and column, as far as known."""
        parts = [p for p in (self.file, self.sheet and f"Blatt {self.sheet!r}") if p]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        """One line: place, value, reason and advice."""
        text = self.message
        if self.value:
            text = f"{text} (Wert: {self.value!r})"
        if self.hint:
            text = f"{text} – {self.hint}"
        where = self.where()
        return f"{where}: {text}" if where else text
