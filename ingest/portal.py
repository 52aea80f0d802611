"""Results synchronised to the national public-service portal through a transactional outbox.

``enqueue_result`` writes the message in the caller's transaction, beside the result row itself, so a
result is never committed without its message nor the other way round. Its idempotency key is
``result:<id>:<version>`` — the version a digest of what the portal is told — so queueing the same state
twice is one message, and a revocation or replacement is a new one.

``deliver_due`` sends what is due, one message at a time:

1. *Claim* with a compare-and-set ``UPDATE … SET state='sending' WHERE id=? AND state='pending'``: two workers
   (Celery beat firing twice, the embedded timer and a clerk's "deliver now") never send the same message.
   While ``sending``, ``next_attempt_at`` is the claim's lease; ``attempts`` (bumped by the claim) fences
   a late finisher out after its lease was taken over.
2. *POST* the payload as JSON to ``SOHOA_PORTAL_URL`` with ``Idempotency-Key`` (the same on every retry) and
   ``Authorization: Bearer SOHOA_PORTAL_TOKEN``.
3. *Record* the attempt (``OutboxAttempt``: time, HTTP status, error, seconds) and the outcome: 2xx or 409
   (the portal already has it) → ``sent``; 408/425/429, 5xx, timeout, connection error → ``pending`` again
   after an exponential backoff with jitter (at least ``Retry-After``), capped; any other 4xx → ``dead``
   with the reason (a person must look: ``retry_dead`` puts it back). After ``MAX_ATTEMPTS`` it is dead too.

Claiming, recording and backing off are ``ingest.outbox``'s, shared with the exchange between agencies.
A process that dies between 1 and 3 leaves the message ``sending``; once its lease is over the next round puts
it back to ``pending`` and sends it again with the same key. The portal dedupes by that key, so a message is
neither lost nor delivered twice.

Payload (schema ``sohoa.result/1``)::

    {"schema": "sohoa.result/1", "event": "result.issued" | "result.revoked" | "result.replaced",
     "idempotency_key": "result:<id>:<version>", "queued_at": ISO 8601,
     "result": {"id", "version", "type", "type_name", "number", "status", "status_reason", "replaced_by",
                "issued", "expires", "dossier_code", "agency": {"id", "name"},
                "holder": {"id", "kind", "name"},
                "document": {"id", "pages", "pdf_sha256", "title"},
                "certified_copy": {"id", "form", "notation", "agency", "pdf_sha256"} | null,
                "verify_code", "verify_path": "/verify/<code>"}}
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from datetime import datetime

from ingest import metrics, outbox
from ingest.outbox import Outcome
from ingest.runtime import Runtime
from storage.catalog import Agency, CertifiedCopy, Document, OutboxMessage, Result, utcnow

log = logging.getLogger(__name__)

SCHEMA = "sohoa.result/1"
DESTINATION = "portal"
BACKOFF_BASE = 30.0  # seconds before the first retry
BACKOFF_CAP = 6 * 3600.0  # never wait longer than this between attempts
MAX_ATTEMPTS = 25  # about four days of retries at the cap: then a person must look
EVENTS = {"valid": "result.issued", "revoked": "result.revoked", "replaced": "result.replaced"}


class PortalNotConfigured(Exception):
    """No portal address (``SOHOA_PORTAL_URL``), or not an http(s) URL."""


# --- queueing ----------------------------------------------------------------------------------------------


def result_payload(session, result: Result) -> dict:
    """What the portal is told about ``result`` (without the envelope's key and time)."""
    from ingest.doctypes import BY_CODE

    doc = session.get(Document, result.document_id)
    copy = session.get(CertifiedCopy, result.copy_id) if result.copy_id else None
    agency = session.get(Agency, result.agency_id) if result.agency_id else None
    kind = BY_CODE.get(result.doc_type or "")
    return {
        "id": result.id,
        "type": result.doc_type,
        "type_name": kind.name if kind else result.doc_type,
        "number": result.number,
        "status": result.status,
        "status_reason": result.status_reason,
        "replaced_by": result.replaced_by,
        "issued": result.issued.isoformat() if result.issued else None,
        "expires": result.expires.isoformat() if result.expires else None,
        "dossier_code": result.dossier_code,
        "agency": {"id": result.agency_id, "name": agency.name if agency else None},
        "holder": {"id": result.holder_id, "kind": result.holder_kind, "name": result.holder_name},
        "document": {"id": result.document_id, "pages": doc.page_count if doc else None,
                     "pdf_sha256": doc.pdf_sha256 if doc else None, "title": doc.title if doc else None},
        "certified_copy": ({"id": copy.id, "form": copy.form, "notation": copy.notation, "agency": copy.agency,
                            "pdf_sha256": copy.pdf_sha256} if copy else None),
        "verify_code": result.verify_code,
        "verify_path": f"/verify/{result.verify_code}",
    }


def _version(body: dict) -> str:
    """A digest of what the result says (not of the PDF's bytes, which renewals change): its version."""
    keep = {k: v for k, v in body.items() if k not in ("document", "certified_copy", "type_name")}
    keep["document"] = (body.get("document") or {}).get("id")
    keep["certified_copy"] = (body.get("certified_copy") or {}).get("id")
    canon = json.dumps(keep, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def enqueue_result(session, result: Result, *, version: str | int | None = None) -> OutboxMessage:
    """Queue ``result``'s current state for the portal, in the caller's transaction (the caller commits).

    The same state twice is one message (the unique idempotency key; ``INSERT … ON CONFLICT DO NOTHING`` even
    when two transactions race); the existing message is returned."""
    session.flush()  # the result's id and defaults
    body = result_payload(session, result)
    version = str(version if version is not None else getattr(result, "version", None) or _version(body))
    body["version"] = version
    key = f"result:{result.id}:{version}"
    payload = {"schema": SCHEMA, "event": EVENTS.get(result.status, f"result.{result.status}"),
               "idempotency_key": key, "queued_at": utcnow().isoformat(timespec="seconds"), "result": body}
    return outbox.enqueue(session, DESTINATION, key, payload)


# --- delivering --------------------------------------------------------------------------------------------


def _utc(dt: datetime | None) -> datetime:
    return outbox.utc(dt)


def _config(rt: Runtime, url: str | None, token: str | None, timeout: float | None) -> tuple[str, str, float]:
    import httpx

    s = rt.settings
    url = url if url is not None else (getattr(s, "portal_url", "") or "")
    if not url:
        raise PortalNotConfigured("the national portal is not configured: set SOHOA_PORTAL_URL")
    try:
        parsed = httpx.URL(url)
    except Exception as exc:
        raise PortalNotConfigured(f"SOHOA_PORTAL_URL is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise PortalNotConfigured("SOHOA_PORTAL_URL must be an http:// or https:// address")
    if token is None:
        secret = getattr(s, "portal_token", None)
        token = secret.get_secret_value() if hasattr(secret, "get_secret_value") else (secret or "")
    timeout = float(timeout if timeout is not None else getattr(s, "portal_timeout_seconds", 10.0) or 10.0)
    return url, token, timeout


lease_seconds = outbox.lease_seconds


def backoff(attempts: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: base·2ⁿ⁻¹ with jitter in [½, 1], capped."""
    return outbox.backoff(attempts, retry_after, rng, base=BACKOFF_BASE, cap=BACKOFF_CAP)


def reclaim_stale(rt: Runtime, now: datetime | None = None) -> int:
    """Messages left ``sending`` past their lease (their process died) go back to ``pending``, recorded."""
    return outbox.reclaim_stale(rt, DESTINATION, now)


def _send(client, url: str, token: str, key: str, payload: dict, timeout: float) -> Outcome:
    import httpx

    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key,
               "User-Agent": "sohoa-portal-sync/1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    started = time.monotonic()
    try:
        resp = client.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome("retry", None, f"no answer within {timeout:g} s (timeout)", time.monotonic() - started)
    except httpx.HTTPError as exc:
        return Outcome("retry", None, f"{type(exc).__name__}: {exc}", time.monotonic() - started)
    seconds = time.monotonic() - started
    code = resp.status_code
    if 200 <= code < 300:
        return Outcome("sent", code, None, seconds)
    if code == 409:
        return Outcome("sent", code, "the portal already had it (409)", seconds)
    return outbox.failure(resp, seconds)


def deliver_due(rt: Runtime, *, now: datetime | None = None, limit: int = 50, client=None, url: str | None = None,
                token: str | None = None, timeout: float | None = None, rng: random.Random | None = None) -> dict:
    """Send up to ``limit`` due messages; returns counts {sent, retry, dead, reclaimed, attempted}.

    ``now`` fixes the clock (tests); ``client`` is an ``httpx.Client`` to send with (default: a new one)."""
    import httpx

    url, token, timeout = _config(rt, url, token, timeout)
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def after(state, outcome, _payload):
        metrics.TASK_SECONDS.labels("portal_delivery").observe(outcome.seconds)
        if state in ("retry", "dead"):
            metrics.FAILURES.labels("portal").inc()

    try:
        return outbox.deliver_round(rt, DESTINATION, now=now, limit=limit, lease=lease_seconds(timeout),
                                    send=lambda key, payload: _send(client, url, token, key, payload, timeout),
                                    max_attempts=MAX_ATTEMPTS, delay=lambda n, after: backoff(n, after, rng),
                                    after=after)
    finally:
        if own:
            client.close()


def retry_dead(rt: Runtime, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Put a dead message back in the queue (after someone fixed what the portal refused)."""
    with rt.catalog.session() as session:
        row = session.get(OutboxMessage, message_id)
        if row is None or row.destination != DESTINATION:
            raise LookupError(f"no outbox message {message_id}")
        if row.state != "dead":
            raise ValueError(f"outbox message {message_id} is {row.state}, not dead")
        row.state, row.next_attempt_at, row.attempts = "pending", _utc(now), 0
        session.commit()
        return row


def messages(rt: Runtime, *, state: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """Outbox messages, newest first, each with its attempts (for the API)."""
    return outbox.messages(rt, DESTINATION, state=state, limit=limit, offset=offset, describe=lambda p: {
        "event": p.get("event"), "result_id": (p.get("result") or {}).get("id")})


def run_periodically(rt: Runtime, stop: threading.Event, interval: float | None = None) -> None:
    """The embedded mode's celery beat for the outbox: deliver what is due every ``interval`` seconds."""
    interval = float(interval if interval is not None else getattr(rt.settings, "portal_interval_seconds", 30.0) or 0)
    if interval <= 0:  # 0 = only on demand (POST /api/v1/outbox/deliver)
        return
    while not stop.wait(interval):
        try:
            counts = deliver_due(rt)
            if counts["attempted"] or counts["reclaimed"]:
                log.info("portal outbox: %s", counts)
        except PortalNotConfigured:
            return
        except Exception:
            log.exception("portal outbox round failed; the next round tries again")
