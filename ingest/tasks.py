"""Celery wrappers around ``ingest.pipeline`` — nothing else lives here (what every task carries and reports,
through Celery's signals, is ``ingest.task_context``).

Production runs these on workers fed by Redis. ``acks_late`` plus content-keyed, idempotent steps mean a
worker killed mid-batch loses nothing: its unacknowledged task is redelivered and finds finished work done.
The last page of a file to finish enqueues assembly; assembly twice is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery

from ingest import logs, metrics, pipeline
from ingest import task_context  # noqa: F401 - connects the signal receivers (ids, queue wait, failures)
from ingest.runtime import runtime_for
from ingest.settings import Settings, get_settings
from ocr import one_thread_per_process

log = logging.getLogger(__name__)

app = Celery("sohoa")


def configure(s: Settings) -> None:
    """Point the Celery app at ``s``'s broker (workers: from the environment; the API: its own settings)."""
    app.conf.update(
        broker_url=s.broker_url or "memory://",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        # A dead worker's unacknowledged tasks return to the queue after the visibility timeout; sweep for
        # them often enough that recovery takes about that long, not the 100 s kombu defaults to.
        broker_transport_options={
            "visibility_timeout": s.broker_visibility_timeout,
            "unacked_restore_interval": max(1, min(10, s.broker_visibility_timeout // 3)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        task_default_queue="sohoa",
        worker_hijack_root_logger=False,
        task_always_eager=False,
    )


configure(get_settings())


def schedule(s: Settings) -> None:
    """Periodic work for ``celery beat``: the type model retrained from clerks' corrections, long-term
    signatures renewed before their last timestamp expires, every object re-hashed, results sent to the portal,
    envelopes and status messages delivered to other agencies."""
    beat = {}
    if s.retrain_interval_hours > 0:
        beat["retrain-type-model"] = {"task": "sohoa.retrain", "schedule": timedelta(hours=s.retrain_interval_hours)}
    if s.renew_interval_hours > 0:
        beat["renew-long-term-signatures"] = {"task": "sohoa.renew_signatures",
                                              "schedule": timedelta(hours=s.renew_interval_hours)}
    if s.fixity_interval_hours > 0:
        beat["fixity-check"] = {"task": "sohoa.fixity", "schedule": timedelta(hours=s.fixity_interval_hours)}
    if s.portal_url and s.portal_interval_seconds > 0:
        beat["portal-deliver"] = {"task": "sohoa.portal_deliver", "schedule": timedelta(seconds=s.portal_interval_seconds)}
    if s.agency_id and s.exchange_interval_seconds > 0:
        beat["exchange-deliver"] = {"task": "sohoa.exchange_deliver",
                                    "schedule": timedelta(seconds=s.exchange_interval_seconds)}
    app.conf.beat_schedule = beat


schedule(get_settings())


one_thread_per_process()  # in the worker's main process, before its pool forks (see ocr.one_thread_per_process)


def _rt():
    return runtime_for(get_settings())


@app.task(name="sohoa.process_file", bind=True, max_retries=5)
def process_file(self, batch_file_id: str) -> int:
    """Fan a file out into one task per page still to do."""
    rt = _rt()
    if logs.batch_id.get() is None:  # queued by something that did not know the batch
        logs.batch_id.set(pipeline.batch_of(rt, batch_file_id))
    todo = pipeline.start_file(rt, batch_file_id)
    for n in todo:
        ocr_page.delay(batch_file_id, n)
    if not todo:
        assemble.delay(batch_file_id)
    return len(todo)


@app.task(name="sohoa.ocr_page", bind=True, max_retries=3)
def ocr_page(self, batch_file_id: str, number: int) -> str:
    rt = _rt()
    sha, kind, mime = pipeline.file_job(rt, batch_file_id)
    if not pipeline.page_done(rt, sha, number):
        pipeline.record_page(rt, pipeline.ocr_page(rt, sha, kind, mime, number))
    if pipeline.pages_complete(rt, batch_file_id):
        assemble.delay(batch_file_id)
    return f"{sha[:12]}:{number}"


@app.task(name="sohoa.assemble", bind=True, max_retries=3)
def assemble(self, batch_file_id: str) -> str | None:
    rt = _rt()
    try:
        return pipeline.assemble(rt, batch_file_id)
    except Exception as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=5 * (self.request.retries + 1))
        pipeline.fail_file(rt, batch_file_id, f"could not assemble the PDF: {exc}")
        raise


@app.task(name="sohoa.retrain", bind=True, max_retries=0)
def retrain(self, force: bool = False) -> dict | None:
    """Retrain the type model when clerks corrected types since the last one (``force``: retrain anyway)."""
    from ingest import typemodel

    rt = _rt()
    with metrics.timed("retrain"):
        row = typemodel.retrain(rt) if force else typemodel.retrain_if_due(rt, rt.settings.retrain_interval_hours)
    if row is None:
        log.info("type model: no new corrections, or the active model is recent; nothing retrained")
        return None
    log.info("type model %s trained: %s samples, %s corrections, held-out accuracy %s", row.id, row.samples, row.corrections, row.accuracy)
    return typemodel.model_summary(row)


@app.task(name="sohoa.sign", bind=True, max_retries=0)
def sign(self, job_id: str, secret: str | None = None) -> str:
    """Run one signature or certified-copy request; the outcome is on its ``SignJob`` row.

    A PIN given with the request travels in ``secret``: callers send it with ``kwargsrepr`` masked so it never
    appears in Celery's logs or events, and it is not written to the catalog."""
    from ingest import signatures

    return signatures.run_job(_rt(), job_id, secret=secret).state


@app.task(name="sohoa.renew_signatures", bind=True, max_retries=0)
def renew_signatures(self) -> list[str]:
    """Give long-term documents fresh revocation data and a new document timestamp before it is too late."""
    from ingest import signatures

    with metrics.timed("renewal"):
        renewed = signatures.renew_due(_rt())
    log.info("long-term signatures: %d document(s) renewed", len(renewed))
    return renewed


@app.task(name="sohoa.fixity", bind=True, max_retries=0)
def fixity(self, quarantine: bool = True) -> dict:
    """Re-hash every stored object; changed ones are quarantined, every check is an ``ObjectCheck`` row."""
    from storage.fixity import run_fixity

    rt = _rt()
    with metrics.timed("fixity"):
        report = run_fixity(rt.catalog, rt.store, quarantine=quarantine)
    (log.error if report.bad else log.info)("fixity: %d object(s), %d ok, %d changed, %d missing", report.checked,
                                            report.ok, report.changed, report.missing)
    return {k: v for k, v in report.as_dict().items() if k != "bad"} | {"bad": [f.sha256 for f in report.bad][:100]}


@app.task(name="sohoa.portal_deliver", bind=True, max_retries=0)
def portal_deliver(self, limit: int = 200) -> dict:
    """Deliver due outbox messages to the national portal; claims are atomic, so overlapping runs are safe."""
    from ingest import portal

    try:
        return portal.deliver_due(_rt(), limit=limit)
    except portal.PortalNotConfigured as exc:
        log.info("portal outbox: %s", exc)
        return {"configured": False}


@app.task(name="sohoa.exchange_deliver", bind=True, max_retries=0)
def exchange_deliver(self, limit: int = 200) -> dict:
    """Deliver due envelopes and status messages to other agencies; claims are atomic, so overlapping runs are safe."""
    from ingest import exchange_delivery

    return exchange_delivery.deliver_due(_rt(), limit=limit)
