"""Delivering the exchange outbox: envelopes to other agencies' inboxes, status messages to their senders.

Each message is posted to the agency's current address-book endpoint (``/api/v1/exchange/inbox`` or
``/api/v1/exchange/status``) under ``ingest.outbox``'s discipline: one Idempotency-Key for every retry,
exponential backoff with jitter from ``SOHOA_EXCHANGE_RETRY_BASE_SECONDS`` (capped at an hour), every attempt
recorded, a crashed worker's message reclaimed after its lease. An envelope's answer (01, 02 with reasons,
14/16 to a recall) is recorded by ``ingest.exchange.record_answer``; a refusal that is not an answer (a 4xx
without a status, an agency gone from the address book) leaves the message dead for a person to look at.
Runs as the Celery task ``sohoa.exchange_deliver`` or, embedded, as a thread woken when something is queued.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from ingest import address_book, exchange, outbox
from ingest.runtime import Runtime
from storage import audit
from storage.exchange_store import ExchangeSent

log = logging.getLogger(__name__)

DESTINATION = exchange.DESTINATION
BACKOFF_CAP = 3600.0  # an agency's instance down for hours is tried at least hourly
MAX_ATTEMPTS = 60  # about two days at the cap: then a person must look (the message is "dead")


def _client(rt: Runtime):
    import httpx

    import ssl

    s = rt.settings
    verify = ssl.create_default_context(cafile=str(s.exchange_ca_bundle)) if s.exchange_ca_bundle else True
    return httpx.Client(timeout=s.exchange_timeout_seconds, follow_redirects=False, verify=verify)


def _deliver_one(rt: Runtime, client, key: str, payload: dict) -> outbox.Outcome:
    import httpx

    to = payload["to"]
    with rt.catalog.session() as session:
        entry = address_book.lookup(session, to)
        endpoint = entry.endpoint if entry else None
    if endpoint is None:
        return outbox.Outcome("dead", None, f"agency {to} is not (or no longer) in the address book", 0.0)
    path = "/api/v1/exchange/inbox" if payload["kind"] == "envelope" else "/api/v1/exchange/status"
    body = rt.store.get_bytes(payload["object"])
    headers = {"Content-Type": "application/xml; charset=utf-8", "Idempotency-Key": key,
               "User-Agent": "sohoa-exchange/1"}
    timeout = rt.settings.exchange_timeout_seconds
    started = time.monotonic()
    try:
        resp = client.post(endpoint + path, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return outbox.Outcome("retry", None, f"no answer within {timeout:g} s (timeout)", time.monotonic() - started)
    except httpx.HTTPError as exc:
        return outbox.Outcome("retry", None, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    seconds = time.monotonic() - started
    code = resp.status_code
    if payload["kind"] == "status":
        return outbox.Outcome("sent", code, None, seconds) if 200 <= code < 300 else outbox.failure(resp, seconds)
    try:
        answer = resp.json() if "json" in resp.headers.get("Content-Type", "") else {}
    except ValueError:
        answer = {}
    if code == 200 or (code == 422 and answer.get("code") == "02"):
        problem = exchange.record_answer(rt, payload, answer)
        if problem:
            return outbox.Outcome("dead", code, problem, seconds)
        return outbox.Outcome("sent", code, None if code == 200 else f"rejected (02): {'; '.join(answer.get('reasons') or [])}"[:2000], seconds)
    return outbox.failure(resp, seconds)


def _mark_dead(rt: Runtime, payload: dict, error: str | None) -> None:
    if payload.get("kind") != "envelope":
        return
    with rt.catalog.session() as session:
        row = session.get(ExchangeSent, payload.get("sent_id"))
        if row is not None and row.state == "queued":
            row.state = "dead"
            audit.append(session, "exchange.undeliverable", subject=f"envelope:{row.envelope_id}",
                         detail={"to": row.to_agency, "error": error})
            session.commit()


def backoff(rt: Runtime, attempts: int, retry_after: float | None, rng=None) -> float:
    base = max(0.01, float(rt.settings.exchange_retry_base_seconds))
    return outbox.backoff(attempts, retry_after, rng, base=base, cap=max(base, BACKOFF_CAP))


def deliver_due(rt: Runtime, *, now: datetime | None = None, limit: int = 100, client=None, rng=None) -> dict:
    """Send up to ``limit`` due exchange messages; counts {attempted, sent, retry, dead, reclaimed}."""
    own = client is None
    client = client or _client(rt)

    def after(state, outcome, payload):
        if state == "dead":
            _mark_dead(rt, payload, outcome.error)

    try:
        return outbox.deliver_round(rt, DESTINATION, now=now, limit=limit,
                                    lease=outbox.lease_seconds(rt.settings.exchange_timeout_seconds),
                                    send=lambda key, payload: _deliver_one(rt, client, key, payload),
                                    max_attempts=MAX_ATTEMPTS, delay=lambda n, after: backoff(rt, n, after, rng),
                                    after=after)
    finally:
        if own:
            client.close()


def run_periodically(rt: Runtime, stop: threading.Event, interval: float | None = None) -> None:
    """The embedded mode's beat for exchange deliveries: every ``interval`` seconds, or at once when woken."""
    interval = float(interval if interval is not None else rt.settings.exchange_interval_seconds or 0)
    if interval <= 0:
        return
    while not stop.is_set():
        exchange._wake.wait(interval)
        exchange._wake.clear()
        if stop.is_set():
            return
        try:
            counts = deliver_due(rt)
            if counts["attempted"] or counts["reclaimed"]:
                log.info("exchange outbox: %s", counts)
            if counts["attempted"] >= 100:
                exchange._wake.set()  # more may be waiting: go on without sleeping
        except Exception:
            log.exception("exchange delivery round failed; the next round tries again")


def deliveries(rt: Runtime, *, state: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """The exchange outbox itself: each envelope or status message on its way, with every attempt."""
    return outbox.messages(rt, DESTINATION, state=state, limit=limit, offset=offset, describe=lambda p: {
        "kind": p.get("kind"), "to": p.get("to"), "envelope_id": p.get("envelope_id"), "code": p.get("code")})


def retry_dead(rt: Runtime, message_id: int) -> None:
    """Put a dead delivery back in the queue (after someone fixed the address book or the other side)."""
    from storage.catalog import OutboxMessage

    with rt.catalog.session() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.destination != DESTINATION:
            raise LookupError(f"no exchange delivery {message_id}")
        if row.state != "dead":
            raise exchange.ExchangeRefused(f"exchange delivery {message_id} is {row.state}, not dead")
        row.state, row.next_attempt_at, row.attempts = "pending", datetime.now(timezone.utc), 0
        payload = row.payload or {}
        sent_row = session.get(ExchangeSent, payload.get("sent_id")) if payload.get("kind") == "envelope" else None
        if sent_row is not None and sent_row.state == "dead":
            sent_row.state = "queued"
        audit.append(session, "exchange.retry", subject=f"envelope:{payload.get('envelope_id')}",
                     detail={"message_id": message_id})
        session.commit()
    exchange.wake()
