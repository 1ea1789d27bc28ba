"""One import workflow for every door: repeated file, plan, preview, apply.

The command line and the browser ask the same questions of an import: was this file
imported into a database that has not changed since (then nothing needs reading),
what would it change (the preview, never written), and — after the user agreed —
write exactly that in one transaction, refusing when the database changed meanwhile.
``ImportWorkflow`` answers them; the doors only read the files (the reading layer is
theirs to call: services do not import it), open sessions and render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portfolio.domain.errors import Conflict
from portfolio.domain.records import FileResult
from portfolio.services.collector import collector_paused
from portfolio.services.import_apply import (
    Progress,
    RuleSettings,
    import_files,
    remember_match,
)
from portfolio.services.import_repeat import Repeat, find_repeats, run_key
from portfolio.services.import_result import ImportPreview

CHANGED_SINCE = (
    "Die Datenbank hat sich seit der Vorschau geändert – es wurde nichts "
    "übernommen; bitte {again}."
)


@dataclass(slots=True)
class ImportWorkflow:
    """What the user asked for, and the steps of one import on a session."""

    read_with: Mapping[str, object] = field(default_factory=dict)
    programme: str | None = None
    profile: str | None = None
    rules: RuleSettings = field(default_factory=RuleSettings)
    reopen: bool = False
    remove_missing: bool = False

    def repeats(
        self, session: Session, files: Sequence[tuple[str, str | None]]
    ) -> list[Repeat] | None:
        """Earlier imports the database still matches, if every file has one.

        ``files`` are (name, content digest); a file without a digest (it could
        not be read) is left to the reading, which says what is wrong.
        """
        keys = []
        for name, digest in files:
            if digest is None:
                return None
            keys.append((name, run_key(digest, self.read_with, self.programme)))
        return find_repeats(session, keys)

    def plan(
        self,
        session: Session,
        results: list[FileResult],
        progress: Progress | None = None,
        *,
        apply: bool,
    ) -> ImportPreview:
        """Plan every row; with ``apply`` write it (the door commits).

        Python's cyclic collector is paused meanwhile: a big import allocates
        hundreds of thousands of objects that all live until it ends, and the
        collector would walk them again and again (a tenth of a deadline list's
        time). They are freed as usual afterwards.
        """
        with collector_paused():
            return self._plan(session, results, progress, apply=apply)

    def _plan(
        self,
        session: Session,
        results: list[FileResult],
        progress: Progress | None,
        *,
        apply: bool,
    ) -> ImportPreview:
        return import_files(
            session,
            results,
            apply=apply,
            programme=self.programme,
            profile=self.profile,
            progress=progress,
            rules=self.rules,
            read_with=self.read_with,
            reopen=self.reopen,
            remove_missing=self.remove_missing,
        )

    def preview(
        self,
        session: Session,
        results: list[FileResult],
        progress: Progress | None = None,
    ) -> ImportPreview:
        """What the import would change; nothing is written."""
        try:
            return self.plan(session, results, progress, apply=False)
        finally:
            session.rollback()

    def remember(self, session: Session, preview: ImportPreview) -> bool:
        """A preview that changes nothing: the next import can say so at once."""
        if preview.conflicts:
            return False
        return remember_match(session, preview)

    def apply(
        self,
        session: Session,
        results: list[FileResult],
        progress: Progress | None = None,
        *,
        shown: str | None,
        again: str = "den Import wiederholen",
    ) -> ImportPreview:
        """Plan again and write; it must be what the preview (``shown``) promised.

        ``shown`` is the preview's ``fingerprint`` (None: nobody was shown one,
        ``--yes``). On a difference nothing is written (``Conflict``; the door
        rolls back).
        """
        applied = self.plan(session, results, progress, apply=True)
        if shown is not None and fingerprint(applied) != shown:
            raise Conflict(CHANGED_SINCE.format(again=again))
        return applied


def fingerprint(preview: ImportPreview) -> str:
    """A short digest of what a preview promised (kept in a web session)."""
    return hashlib.sha256(repr(preview.fingerprint()).encode()).hexdigest()
