"""Login throttling: delays, never a lockout, counted per account and per client address in the database.

After a few free failures, each further failure makes the next attempt wait, twice as long each time, up to a cap;
an attempt during the wait is refused before the password is even checked, so guessing goes no faster than the
delays allow. The account's delay is capped at a minute: an attacker can slow a cashier down, never lock them out.
The address's delay grows to a quarter of an hour: one machine trying many accounts is stopped hardest. A success
clears the account's count (not the address's: one valid account must not reset an attacker's machine); failures
are forgotten an hour after the last one. The counts live in the database, so every worker and every instance sees
the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from einvoice.storage.engine import writing
from einvoice.storage.schema import login_throttle


@dataclass(frozen=True, slots=True)
class Rule:
    """How many failures are free, and the longest wait after more."""

    free_failures: int
    max_delay: timedelta


RULES = {
    "account": Rule(5, timedelta(minutes=1)),
    "address": Rule(10, timedelta(minutes=15)),
}
FORGET_AFTER = timedelta(hours=1)


def login_keys(username: str, address: str | None) -> list[str]:
    """Return the throttle keys of a login attempt: its account (existing or not) and its client address."""
    keys = [f"account:{username.strip().lower()[:200]}"]
    if address:
        keys.append(f"address:{address[:200]}")
    return keys


def _rule(key: str) -> Rule:
    return RULES[key.partition(":")[0]]


def delay_after(key: str, failures: int) -> timedelta:
    """Return how long the next attempt under ``key`` waits after ``failures`` failures in a row."""
    rule = _rule(key)
    beyond = failures - rule.free_failures
    if beyond <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(beyond - 1, 20)), rule.max_delay)


def wait_before_login(engine: Engine, keys: list[str], now: datetime) -> timedelta:
    """Return how long the attempt must still wait (zero: it may go ahead)."""
    with engine.connect() as conn:
        rows = conn.execute(select(login_throttle.c.blocked_until).where(login_throttle.c.key.in_(keys))).scalars()
        waits = [until - now for until in rows if until is not None and until > now]
    return max(waits, default=timedelta(0))


def record_failure(engine: Engine, keys: list[str], now: datetime) -> None:
    """Count a failed login under each key and set the wait it causes."""
    for attempt in range(2):
        try:
            with writing(engine, durable=False) as conn:
                # Forget what no longer counts, so that a spread-out attack leaves no ever-growing table.
                conn.execute(delete(login_throttle).where(login_throttle.c.last_failure_at < now - FORGET_AFTER))
                for key in keys:
                    found = conn.execute(
                        select(login_throttle).where(login_throttle.c.key == key).with_for_update()
                    ).mappings()
                    row = found.first()
                    forgotten = row is None or now - row["last_failure_at"] > FORGET_AFTER
                    failures = 1 if row is None or forgotten else row["failures"] + 1
                    delay = delay_after(key, failures)
                    blocked_until = now + delay if delay else None
                    values = {"failures": failures, "last_failure_at": now, "blocked_until": blocked_until}
                    if row is None:
                        conn.execute(login_throttle.insert().values(key=key, **values))
                    else:
                        conn.execute(login_throttle.update().where(login_throttle.c.key == key).values(**values))
            return
        except IntegrityError:  # PostgreSQL: another worker counted the first failure of this key meanwhile
            if attempt:
                raise


def record_success(engine: Engine, username: str) -> None:
    """Clear the account's count after a successful login."""
    with writing(engine, durable=False) as conn:
        conn.execute(delete(login_throttle).where(login_throttle.c.key == login_keys(username, None)[0]))
