"""Which Bescheid of an award is in force on a day (Erst- and Änderungsbescheide).

The award's own amount, term and plan lines are those of its latest Bescheid; each
``AwardVersion`` keeps what an earlier one said. On a day the Bescheid in force is
the latest issued by then; before the first one, the first. Checks and a
Zwischennachweis look at the plan in force, the Verwendungsnachweis at the latest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from portfolio.domain.models import AwardVersion


def version_in_force(
    versions: Sequence[AwardVersion], day: date
) -> AwardVersion | None:
    """The earlier Bescheid in force on ``day``; None when the latest is in force."""
    ordered = sorted(versions, key=lambda v: (v.issued_on, v.id or 0))
    if not ordered:
        return None
    issued = [v for v in ordered if v.issued_on <= day]
    chosen = issued[-1] if issued else ordered[0]
    return None if chosen is ordered[-1] else chosen
