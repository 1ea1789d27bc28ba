"""The demo portfolio: the Regionales Bildungsbüro, Kreis Recklinghausen, on 15.03.2017.

The portfolio ships as a ``portfolio/1`` JSON document (DESIGN §7) next to this
module and is loaded through the same restore code as any backup, so it doubles as
a realistic test of that format. Its contents come from the seed presentation and
the programmes table of the domain research; amounts appear only where a source
gives them, references starting with ``DEMO-`` are placeholders, and rule-generated
deadlines are left to the regime engine.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_FILE = "kreis-recklinghausen.json"


def demo_path() -> Path:
    """Return the path of the demo portfolio file shipped inside the package."""
    resource = resources.files(__name__).joinpath(DEMO_FILE)
    # The package is installed from a directory (editable or wheel), never a zip, so the
    # resource is a real file; str() of a file-system Traversable is its path.
    return Path(str(resource))
