"""The delivery discipline every outbound channel shares: queue, claim, send, record, back off, reclaim.

Messages live in the ``outbox`` table, one ``destination`` per channel (the national portal, the exchange
between agencies). A channel decides what to send and what an answer means; this module makes sure that

* queueing is idempotent (``enqueue``: a unique key, ``INSERT … ON CONFLICT DO NOTHING``);
* one process sends a message at a time (``claim``: compare-and-set ``pending → sending``; while sending,
  ``next_attempt_at`` is the claim's lease and ``attempts`` fences out a late finisher);
* every attempt is recorded (``OutboxAttempt``) and a failure waits an exponential backoff with jitter
  (``backoff``) before the next, up to a number of attempts, after which a person must look (``dead``);
* a process that died while sending leaves its message ``sending`` until the lease is over, then
  ``reclaim_stale`` queues it again with the same key — the receiver dedupes by that key.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from ingest.runtime import Runtime
from storage.catalog import OutboxAttempt, OutboxMessage, utcnow

log = logging.getLogger(__name__)

MIN_LEASE = 300.0  # a claim older than this (and than a few timeouts) belongs to a dead process
RETRYABLE_4XX = {408, 425, 429}


@dataclass
class Outcome:
    state: str  # sent | retry | dead
    status_code: int | None
    error: str | None
    seconds: float
    retry_after: float | None = None


def utc(dt: datetime | None) -> datetime:
    dt = dt or datetime.now(timezone.utc)
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def lease_seconds(timeout: float) -> float:
    return max(MIN_LEASE, 4 * timeout)


def backoff(attempts: int, retry_after: float | None, rng: random.Random | None, *, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: base·2ⁿ⁻¹ with jitter in [½, 1], capped."""
    raw = min(cap, base * 2 ** max(0, attempts - 1))
    delay = raw * (0.5 + 0.5 * (rng or random).random())
    if retry_after:
        delay = max(delay, retry_after)
    return min(cap, delay)


def enqueue(session, destination: str, key: str, payload: dict, *, due: datetime | None = None) -> OutboxMessage:
    """Queue ``payload`` under ``key`` in the caller's transaction; the same key twice is one message."""
    values = {"destination": destination, "idempotency_key": key, "payload": payload, "state": "pending",
              "attempts": 0, "next_attempt_at": due or utcnow(), "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        session.execute(insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"]))
    elif session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is None:
        session.add(OutboxMessage(**values))
        session.flush()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def reclaim_stale(rt: Runtime, destination: str, now: datetime | None = None) -> int:
    """Messages left ``sending`` past their lease (their process died) go back to ``pending``, recorded."""
    now = utc(now)
    with rt.catalog.session() as session:
        stale = session.execute(select(OutboxMessage.id, OutboxMessage.attempts).where(
            OutboxMessage.destination == destination, OutboxMessage.state == "sending",
            OutboxMessage.next_attempt_at <= now)).all()
        n = 0
        for mid, attempts in stale:
            done = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == mid, OutboxMessage.state == "sending", OutboxMessage.attempts == attempts
            ).values(state="pending", next_attempt_at=now,
                     last_error="the delivering process stopped before the answer was recorded; sent again")
              .execution_options(synchronize_session=False))
            if done.rowcount == 1:
                session.add(OutboxAttempt(message_id=mid, at=now, status_code=None, seconds=0,
                                          error="no answer recorded: the delivering process stopped (lease expired)"))
                n += 1
        session.commit()
    if n:
        log.warning("%s outbox: %d message(s) left sending by a stopped process are queued again", destination, n)
    return n


def claim(rt: Runtime, destination: str, now: datetime, lease: float) -> tuple[int, int, str, dict] | None:
    """Take one due message of ``destination`` for this process: (id, attempt number, key, payload), or None."""
    with rt.catalog.session() as session:
        for _round in range(5):
            ids = session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.destination == destination, OutboxMessage.state == "pending",
                OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(8)).all()
            if not ids:
                return None
            for mid in ids:
                done = session.execute(update(OutboxMessage).where(
                    OutboxMessage.id == mid, OutboxMessage.state == "pending"
                ).values(state="sending", attempts=OutboxMessage.attempts + 1,
                         next_attempt_at=now + timedelta(seconds=lease))
                  .execution_options(synchronize_session=False))
                session.commit()
                if done.rowcount == 1:
                    row = session.execute(select(OutboxMessage.attempts, OutboxMessage.idempotency_key,
                                                 OutboxMessage.payload).where(OutboxMessage.id == mid)).one()
                    return mid, row[0], row[1], row[2]
        return None


def finish(rt: Runtime, mid: int, attempt: int, outcome: Outcome, now: datetime, *, max_attempts: int,
           delay: Callable[[int, float | None], float]) -> str:
    """Record the attempt and the message's new state (unless another process took the message over)."""
    state, values = outcome.state, {}
    if state == "sent":
        values = {"state": "sent", "sent_at": now, "last_error": outcome.error}
    elif state == "retry" and attempt >= max_attempts:
        state, values = "dead", {"state": "dead", "last_error": f"gave up after {attempt} attempts: {outcome.error}"}
    elif state == "retry":
        values = {"state": "pending", "last_error": outcome.error,
                  "next_attempt_at": now + timedelta(seconds=delay(attempt, outcome.retry_after))}
    else:
        values = {"state": "dead", "last_error": outcome.error}
    with rt.catalog.session() as session:
        session.add(OutboxAttempt(message_id=mid, at=now, status_code=outcome.status_code, error=outcome.error,
                                  seconds=round(outcome.seconds, 4)))
        done = session.execute(update(OutboxMessage).where(
            OutboxMessage.id == mid, OutboxMessage.state == "sending", OutboxMessage.attempts == attempt
        ).values(**values).execution_options(synchronize_session=False))
        session.commit()
    if done.rowcount != 1:
        log.warning("outbox: message %s was taken over by another process; its outcome stands", mid)
        return "lost_lease"
    return state


def deliver_round(rt: Runtime, destination: str, *, now: datetime | None, limit: int, lease: float,
                  send: Callable[[str, dict], Outcome], max_attempts: int, delay: Callable[[int, float | None], float],
                  after: Callable[[str, Outcome, dict], None] | None = None) -> dict:
    """One delivery round of a channel: reclaim stale leases, then claim, send and record up to ``limit`` due
    messages. ``send(key, payload)`` makes one attempt; anything it raises is recorded as a retry, never lost.
    ``after(state, outcome, payload)`` sees each finished attempt. Counts {attempted, sent, retry, dead, reclaimed}.
    ``now`` fixes the clock (tests)."""
    fixed = utc(now) if now is not None else None
    clock = (lambda: fixed) if fixed is not None else (lambda: datetime.now(timezone.utc))
    counts = {"attempted": 0, "sent": 0, "retry": 0, "dead": 0, "reclaimed": reclaim_stale(rt, destination, clock())}
    for _ in range(max(0, limit)):
        claimed = claim(rt, destination, clock(), lease)
        if claimed is None:
            break
        mid, attempt, key, payload = claimed
        try:
            outcome = send(key, payload)
        except Exception as exc:  # anything unexpected: recorded and retried, never lost
            log.exception("%s outbox: message %s failed unexpectedly", destination, mid)
            outcome = Outcome("retry", None, f"{type(exc).__name__}: {exc}", 0.0)
        state = finish(rt, mid, attempt, outcome, clock(), max_attempts=max_attempts, delay=delay)
        if after is not None:
            after(state, outcome, payload)
        counts["attempted"] += 1
        if state in counts:
            counts[state] += 1
    return counts


def snippet(resp) -> str:
    """The start of an answer's body, on one line (a JSON error body readable, Vietnamese unescaped)."""
    import json

    try:
        text = resp.text
    except Exception:
        text = ""
    if "json" in resp.headers.get("Content-Type", ""):
        try:
            text = json.dumps(resp.json(), ensure_ascii=False)
        except ValueError:
            pass
    text = " ".join(text.split())
    return (text[:300] + "…") if len(text) > 300 else (text or resp.reason_phrase or "")


def retry_after(resp) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def failure(resp, seconds: float) -> Outcome:
    """A non-2xx answer: retried when the receiver may get better (408/425/429, 5xx), else dead."""
    code = resp.status_code
    text = f"HTTP {code}: {snippet(resp)}"
    if code in RETRYABLE_4XX or code >= 500:
        return Outcome("retry", code, text, seconds, retry_after(resp))
    return Outcome("dead", code, text, seconds)


def messages(rt: Runtime, destination: str, *, state: str | None = None, limit: int = 50, offset: int = 0,
             describe: Callable[[dict], dict] = lambda payload: {}) -> dict:
    """A channel's messages, newest first, each with its attempts; ``describe`` adds the channel's own fields."""
    with rt.catalog.session() as session:
        mine = OutboxMessage.destination == destination
        q = select(OutboxMessage).where(mine)
        count = select(func.count()).select_from(OutboxMessage).where(mine)
        if state:
            q, count = q.where(OutboxMessage.state == state), count.where(OutboxMessage.state == state)
        rows = session.scalars(q.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
        attempts: dict[int, list] = {r.id: [] for r in rows}
        if rows:
            for a in session.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id.in_(list(attempts)))
                                     .order_by(OutboxAttempt.id)):
                attempts[a.message_id].append({"at": utc(a.at).isoformat(), "status_code": a.status_code,
                                               "error": a.error, "seconds": a.seconds})
        totals = dict(session.execute(select(OutboxMessage.state, func.count()).where(mine)
                                      .group_by(OutboxMessage.state)).all())
        return {"total": session.scalar(count), "by_state": totals, "items": [{
            "id": r.id, "destination": r.destination, "idempotency_key": r.idempotency_key, "state": r.state,
            **describe(r.payload or {}),
            "attempts": r.attempts,
            "next_attempt_at": utc(r.next_attempt_at).isoformat() if r.state in ("pending", "sending") else None,
            "last_error": r.last_error, "created_at": utc(r.created_at).isoformat(),
            "sent_at": utc(r.sent_at).isoformat() if r.sent_at else None, "history": attempts[r.id],
        } for r in rows]}
