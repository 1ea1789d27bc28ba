"""The one check against zip bombs, shared by the import and the documents.

xlsx, docx, odt and their kin are zip archives; a small file can unpack to gigabytes.
An archive is refused when its members add up to more than ``max_unpacked`` bytes, or
to more than 50 MB at a ratio over ``MAX_RATIO`` (ordinary Office files compress
about 5-20 times). Only the archive's directory is read, nothing is unpacked.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable

from portfolio.domain.errors import InputError

DEFAULT_MAX_UNPACKED = 1024 * 1024 * 1024
MAX_RATIO = 200


def refuse_zip_bomb(
    infos: Iterable[zipfile.ZipInfo], name: str, max_unpacked: int
) -> None:
    """Raise ``InputError`` naming the file if the archive unpacks implausibly."""
    members = list(infos)
    unpacked = sum(info.file_size for info in members)
    packed = max(1, sum(info.compress_size for info in members))
    if unpacked > max_unpacked or (
        unpacked > 50_000_000 and unpacked / packed > MAX_RATIO
    ):
        raise InputError(
            f"Die Datei {name} entpackt sich auf {unpacked // 1_048_576} MB – das ist "
            "unplausibel groß (ZIP-Bombe?); sie wird nicht gelesen."
        )
