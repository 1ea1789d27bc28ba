"""The sample office workbooks read exactly as their golden files say.

Each sample in tests/data/imports/ (built by make_samples.py to look like the sheets
offices keep) has ``<name>.expected.txt``: what the reading layer finds, sheet by
sheet and row by row. ``pytest --update-golden`` rewrites them; review the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from imports.profiles import available_profiles, load_profile
from imports.reading import ReadOptions, read_file
from imports.summary import describe
from portfolio.domain.errors import InputError

DATA = Path(__file__).parent / "data" / "imports"
SAMPLES = sorted(
    p.name for p in DATA.iterdir() if p.suffix in (".xlsx", ".csv", ".ods", ".xls")
)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_reads_as_golden(name: str, golden: Callable[[Path, str], None]) -> None:
    result = read_file(DATA / name)
    for sheet in result.sheets:
        assert (
            sheet.data_rows
            == len(sheet.records) + len(sheet.skipped) + sheet.rejected_rows
        )
    golden(DATA / f"{name}.expected.txt", describe(result))


def test_preview_of_a_fresh_database_is_golden(
    cli: Callable[..., object], tmp_path: Path, golden: Callable[[Path, str], None]
) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    result = cli("import", str(DATA / "uebersicht.xlsx"), "--dry-run", db=db)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    golden(DATA / "uebersicht.preview.txt", result.output)  # type: ignore[attr-defined]


def test_profile_maps_a_layout_synonyms_cannot_read(tmp_path: Path) -> None:
    assert "beispiel-fristen" in available_profiles()
    profile = load_profile("beispiel-fristen")
    book = Workbook()
    sheet = book.active
    sheet.append(["Projektkürzel", "Tätigkeit", "Stichtag Geldgeber", "Bearb.", "ok?"])
    sheet.append(["KAoA", "Zwischennachweis", "30.04.2017", "Frau Albers", "x"])
    path = tmp_path / "eigen.xlsx"
    book.save(path)
    with pytest.raises(InputError):
        read_file(path)
    record = read_file(path, ReadOptions(profile=profile)).sheets[0].records[0]
    assert record.values["programme"] == "KAoA"
    assert str(record.values["due"]) == "2017-04-30"


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="beispiel-fristen"):
        load_profile("gibt-es-nicht")
