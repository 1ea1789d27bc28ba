"""Every real-world file of the shared corpus ends with exit 0, 1 or 2 and a message.

The corpus (../shared/corpus) holds spreadsheets from many sources: grant lists,
library test files, fuzzing cases, password-protected and broken files, zip bombs.
Importing each of them (applied, one after another into one database, on SQLite and
on PostgreSQL) must end with a result or a German one-line message — never a
traceback, never exit 3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".xltx", ".json"}


@pytest.mark.slow
def test_every_corpus_file_ends_cleanly(
    corpus_dir: Path, cli: Callable[..., Any], db_url: str
) -> None:
    db = db_url
    files = sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUFFIXES)
    assert len(files) > 100
    failures = []
    codes: dict[int, int] = {}
    for path in files:
        result = cli("import", str(path), "--yes", db=db)
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        text = result.output
        if result.exit_code not in (0, 1, 2) or "Traceback" in text or not text.strip():
            failures.append(
                f"{path.relative_to(corpus_dir)}: {result.exit_code} {text[-300:]}"
            )
    assert failures == [], "\n".join(failures)
    assert codes.get(0, 0) + codes.get(1, 0) > 20  # many files really import
