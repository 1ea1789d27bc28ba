"""Login throttling as a growing, capped delay – never a wall.

Every login attempt is counted *before* the password is checked, in one atomic
upsert per counter, so parallel guesses see each other's counts; a good login then
takes its own attempt back. Three counters decide how long an attempt waits before
its password is checked:

* the pair (account, address): after ``pair_free`` attempts the wait doubles each
  time (1 s, 2 s, 4 s …) up to ``max_delay``;
* the address: the same from ``address_free`` attempts on, for every account tried
  from there (password spraying);
* the account from all addresses together: only beyond ``account_free`` (a high
  number), so an attacker elsewhere cannot slow the owner down cheaply.

An account that signed in successfully from an address within ``known_for`` is not
slowed by the address or account counters – a colleague behind the same proxy keeps
working while someone guesses next door. A correct password is never refused.
Counts older than ``window`` start again from zero. The state lives in the database
(table ``login_throttle``), so every server process sees the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portfolio.domain.base import utcnow
from portfolio.domain.models import LoginThrottle

PAIR, ADDRESS, ACCOUNT, KNOWN = "pair", "address", "account", "known"


@dataclass(frozen=True)
class ThrottleRules:
    """When the delay starts for each counter, how fast it grows, and its cap."""

    max_delay: float = 10.0
    window: timedelta = timedelta(minutes=15)
    known_for: timedelta = timedelta(days=30)
    pair_free: int = 3
    address_free: int = 10
    account_free: int = 100


def _account(name: str) -> str:
    return name.strip().lower()[:150]


def _keys(account: str, address: str) -> dict[str, str]:
    name = _account(account)
    return {PAIR: f"{name}\x1f{address}", ADDRESS: address, ACCOUNT: name}


def _growth(prior: int, free: int, cap: float) -> float:
    """No wait for the first ``free`` attempts, then 1 s, 2 s, 4 s … up to cap."""
    if prior < free:
        return 0.0
    return float(min(cap, 2.0 ** min(prior - free, 30)))


def _upsert_attempt(
    session: Session, scope: str, key: str, now: datetime, window: timedelta
) -> int:
    """Count one attempt; returns the count before it (0 after the window)."""
    row = LoginThrottle
    insert = (
        postgresql.insert(row)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(row)
    )
    statement = insert.values(scope=scope, key=key, failures=1, last_at=now)
    upsert = statement.on_conflict_do_update(
        index_elements=["scope", "key"],
        set_={
            "failures": sa.case(
                (row.last_at < now - window, 1), else_=row.failures + 1
            ),
            "last_at": statement.excluded.last_at,
        },
    ).returning(row.failures)
    return int(session.execute(upsert).scalar_one()) - 1


def count_attempt(
    session: Session, account: str, address: str, rules: ThrottleRules
) -> float:
    """Count a login attempt and return how many seconds it must wait first."""
    now = utcnow()
    keys = _keys(account, address)
    prior = {
        scope: _upsert_attempt(session, scope, key, now, rules.window)
        for scope, key in keys.items()
    }
    delay = _growth(prior[PAIR], rules.pair_free, rules.max_delay)
    if not _known(session, keys[PAIR], rules, now):
        delay = max(
            delay,
            _growth(prior[ADDRESS], rules.address_free, rules.max_delay),
            _growth(prior[ACCOUNT], rules.account_free, rules.max_delay),
        )
    return delay


def _known(session: Session, pair: str, rules: ThrottleRules, now: datetime) -> bool:
    seen = session.scalar(
        sa.select(LoginThrottle.last_at).where(
            LoginThrottle.scope == KNOWN, LoginThrottle.key == pair
        )
    )
    return seen is not None and now - seen <= rules.known_for


def succeeded(session: Session, account: str, address: str) -> None:
    """A good login: forget the pair's count, take the attempt back, remember it."""
    keys = _keys(account, address)
    row = LoginThrottle
    session.execute(
        sa.delete(row).where(row.scope.in_([PAIR, KNOWN]), row.key == keys[PAIR])
    )
    for scope in (ADDRESS, ACCOUNT):
        session.execute(
            sa.update(row)
            .where(row.scope == scope, row.key == keys[scope], row.failures > 0)
            .values(failures=row.failures - 1)
        )
    session.add(LoginThrottle(scope=KNOWN, key=keys[PAIR], failures=0))
    session.flush()


def purge(session: Session, rules: ThrottleRules) -> None:
    """Drop counts that no longer slow anybody (kept small against name spraying)."""
    now = utcnow()
    row = LoginThrottle
    session.execute(
        sa.delete(row).where(
            sa.or_(
                sa.and_(row.scope != KNOWN, row.last_at < now - rules.window),
                sa.and_(row.scope == KNOWN, row.last_at < now - rules.known_for),
            )
        )
    )
