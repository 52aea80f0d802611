"""What every Celery task carries and reports, through Celery's signals: the ids its log lines name (the
request that queued it, the batch), when it was queued and so how long it waited, and its failure.

Connected by importing this module (``ingest.tasks`` does); the publisher side runs in whichever process
queues a task (the API, a worker fanning out pages), the rest in the worker that runs it. The queue wait
compares wall clocks of two machines when publisher and worker differ: keep them NTP-synchronised.
"""

from __future__ import annotations

import logging
import time

from celery import signals

from ingest import logs, metrics
from ingest.settings import get_settings

log = logging.getLogger("ingest.tasks")

HEADER_QUEUED, HEADER_REQUEST, HEADER_BATCH = "sohoa_queued_at", "sohoa_request_id", "sohoa_batch_id"


@signals.setup_logging.connect
def _logging(**_kwargs) -> None:
    """Celery leaves logging alone when this signal has a receiver: sohoa's one setup formats its lines too."""
    logs.configure_from(get_settings())


@signals.worker_init.connect
def _worker_metrics(**_kwargs) -> None:
    """In the worker's main process, before the pool forks: children write their metrics to the shared directory."""
    s = get_settings()
    if s.metrics_dir:
        metrics.enable_multiprocess(s.metrics_dir)
        if s.metrics_port:
            metrics.serve(s.metrics_dir, s.metrics_port, s.broker_url)


@signals.before_task_publish.connect
def _stamp(headers=None, **_kwargs) -> None:
    if headers is not None:
        headers.setdefault(HEADER_QUEUED, time.time())
        headers.setdefault(HEADER_REQUEST, logs.request_id.get())
        headers.setdefault(HEADER_BATCH, logs.batch_id.get())


def _header(task, name: str):
    value = getattr(task.request, name, None)
    return value if value is not None else (getattr(task.request, "headers", None) or {}).get(name)


@signals.task_prerun.connect
def _started(task=None, **_kwargs) -> None:
    logs.request_id.set(_header(task, HEADER_REQUEST))
    logs.batch_id.set(_header(task, HEADER_BATCH))
    logs.task.set(task.name)
    queued = _header(task, HEADER_QUEUED)
    if queued is not None:
        wait = max(0.0, time.time() - float(queued))
        metrics.QUEUE_WAIT.labels(task.name.removeprefix("sohoa.")).observe(wait)
        log.info("task %s started after %.3f s in the queue", task.name, wait, extra={"queue_wait_s": round(wait, 3)})


@signals.task_postrun.connect
def _finished(**_kwargs) -> None:
    for var in (logs.request_id, logs.batch_id, logs.task):
        var.set(None)


@signals.task_failure.connect
def _failed(sender=None, **_kwargs) -> None:
    metrics.FAILURES.labels(f"task:{getattr(sender, 'name', 'unknown')}").inc()
