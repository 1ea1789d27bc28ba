"""Load the demo portfolio (Kreis Recklinghausen, Stichtag 15.03.2017).

The demo ships as a ``portfolio/1`` document inside the package and is loaded by
the same restore code as any backup; afterwards the regime engine (when present)
generates the deadlines its awards imply.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.demo import demo_path
from portfolio.domain.base import Base
from portfolio.domain.errors import Conflict
from portfolio.domain.models import Award
from portfolio.services.clock import set_stichtag
from portfolio.services.money import sync_awards
from portfolio.services.restore_json import is_empty, restore

DEMO_STICHTAG = date(2017, 3, 15)


def clear(session: Session) -> None:
    """Delete every row of every table (children first), keeping the schema."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(sa.delete(table))


def load_demo(
    session: Session,
    *,
    today: date | None = None,
    reset: bool = False,
    state: str = "NW",
) -> dict[str, int]:
    """Load the demo into the database; refuse a non-empty one unless ``reset``."""
    if not is_empty(session):
        if not reset:
            raise Conflict(
                "Die Datenbank enthält schon ein Portfolio. `portfolio demo --reset` "
                "ersetzt es durch das Demo-Portfolio (alle Daten gehen verloren), "
                "oder wählen Sie mit --db eine neue Datenbank."
            )
        clear(session)
        session.flush()
    counts = restore(session, demo_path().read_text(encoding="utf-8"), "Demo-Portfolio")
    set_stichtag(session, today or DEMO_STICHTAG)
    session.flush()
    counts["obligations"] = _generate_obligations(session, state)
    # One spending deadline per payment received (services.money).
    award_ids = list(session.scalars(sa.select(Award.id)))
    counts["obligations"] += sync_awards(session, award_ids, state)
    return counts


def _generate_obligations(session: Session, state: str) -> int:
    try:
        from portfolio.services import obligations
    except ImportError:  # the regime engine is optional for the demo
        return 0
    regenerate = getattr(obligations, "regenerate_all", None)
    if regenerate is None:
        return 0
    result = regenerate(session, state=state)
    return int(result) if isinstance(result, int) else 0
