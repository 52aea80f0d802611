"""Prometheus metrics of the pipeline, signatures and portal deliveries, counted where the work is done.

Why prometheus_client's multiprocess mode: the work happens in Celery worker processes (prefork children, in
containers of their own) while Prometheus scrapes one address, the API. With ``SOHOA_METRICS_DIR`` set, every
process that calls ``enable_multiprocess`` (the Celery worker at start-up, ``sohoa serve``) keeps its values in
files of that directory, named by host and pid so replicas of a scaled service never share a file, and the
API's ``/metrics`` sums every file it finds there. Counters and histograms survive a worker's restart that
way (Prometheus copes with the resets of a process that starts anew anyway). The directory is a volume
shared by the API and the workers of one host (``docker-compose.yml``). Counting from the catalogue instead
would cost a scan of growing tables at every scrape, and per-worker ports would need Prometheus to discover
every replica; the queue depth alone is read live at scrape time (``QueueCollector``), since it is a fact of the
broker, not of any process.

Without the directory (the embedded mode, tests) the values live in this process's memory; the embedded
runner records pages in its parent process, so nothing is lost there either.
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)

TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 900)

PAGES = Counter("sohoa_pages_total", "Pages recognised, by outcome (ok, blank, ocr_failed, failed)", ["status"],
                registry=REGISTRY)
TASK_SECONDS = Histogram("sohoa_task_duration_seconds", "Time one unit of work took, by kind", ["kind"],
                         buckets=TASK_BUCKETS, registry=REGISTRY)
QUEUE_WAIT = Histogram("sohoa_queue_wait_seconds", "Time a Celery task waited in the queue before a worker took it",
                       ["kind"], buckets=TASK_BUCKETS + (1800, 3600), registry=REGISTRY)
SIGNATURES = Counter("sohoa_signatures_total", "Signature and certified-copy requests finished, by action and outcome",
                     ["action", "outcome"], registry=REGISTRY)
FAILURES = Counter("sohoa_failures_total", "Failures by kind (page, assembly, signature, portal, task:<name>)", ["kind"],
                   registry=REGISTRY)
HTTP_REQUESTS = Counter("sohoa_http_requests_total", "HTTP requests by method, route template and status",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_SECONDS = Histogram("sohoa_http_request_duration_seconds", "HTTP request time by method and route template",
                         ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
                         registry=REGISTRY)

_multiprocess_dir: Path | None = None


def enable_multiprocess(directory: Path) -> None:
    """Keep this process's values (and its forked children's) in files of ``directory`` from now on.

    Process-wide and for good: call it once, at the start of a process that does nothing else (a worker, the
    server), before any value is counted. Files are named ``<type>_<host>-<pid>.db``."""
    global _multiprocess_dir
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    host = socket.gethostname().replace("_", "-")
    values.ValueClass = values.MultiProcessValue(lambda: f"{host}-{os.getpid()}")
    for metric in (PAGES, TASK_SECONDS, QUEUE_WAIT, SIGNATURES, FAILURES, HTTP_REQUESTS, HTTP_SECONDS):
        metric._metrics.clear()  # children made before the switch would keep counting in memory
    _multiprocess_dir = directory


def multiprocess_active() -> bool:
    return _multiprocess_dir is not None


@contextmanager
def timed(kind: str):
    """Observe the block's duration as ``sohoa_task_duration_seconds{kind=…}``; count it as a failure if it raises."""
    started = time.monotonic()
    try:
        yield
    except Exception:
        FAILURES.labels(kind).inc()
        raise
    finally:
        TASK_SECONDS.labels(kind).observe(time.monotonic() - started)


def page_recorded(status: str, seconds: float) -> None:
    PAGES.labels(status).inc()
    TASK_SECONDS.labels("page_ocr").observe(seconds)
    if status in ("failed", "ocr_failed"):
        FAILURES.labels("page").inc()


class QueueCollector:
    """``sohoa_queue_depth{state}`` read when Prometheus scrapes: the broker's queue, or the embedded runner's."""

    def __init__(self, broker_url: str, queue: str = "sohoa", pending=None):
        self.broker_url, self.queue, self.pending = broker_url, queue, pending

    def collect(self):
        family = GaugeMetricFamily("sohoa_queue_depth", "Work waiting: tasks in the broker's queue (waiting) and taken "
                                   "but not yet acknowledged (unacked); the embedded runner's pages and batches",
                                   labels=["queue", "state"])
        try:
            for state, n in self.depth().items():
                family.add_metric([self.queue, state], n)
        except Exception:  # a broker that is down must not break the whole scrape: the gauge is just absent
            pass
        yield family

    def depth(self) -> dict[str, int]:
        if not self.broker_url:
            return dict(self.pending()) if self.pending else {}
        if not self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            return {}
        import redis

        client = redis.Redis.from_url(self.broker_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            # kombu's Redis transport: one list per priority step ("sohoa", "sohoa\x06\x163", …) and a hash of unacked
            waiting = sum(client.llen(k) for k in client.scan_iter(match=self.queue + "*", count=100)
                          if client.type(k) == b"list")
            return {"waiting": waiting, "unacked": client.hlen("unacked")}
        finally:
            client.close()


def exposition(directory: Path | None = None, extra=()) -> bytes:
    """The text Prometheus reads: the files of every process in ``directory`` (``SOHOA_METRICS_DIR``), plus this
    process's in-memory values when it does not write there itself (its HTTP requests; its work too when there is
    no directory at all), plus ``extra`` collectors read live."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry()
    directory = _multiprocess_dir or (Path(directory) if directory else None)
    if directory is not None and directory.is_dir():
        MultiProcessCollector(registry, path=str(directory))
    if _multiprocess_dir is None:
        registry.register(_OwnCollector(with_work=directory is None))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


def serve(directory: Path, port: int, broker_url: str = "") -> None:
    """Serve ``directory``'s metrics (and the queue depth) on ``port`` from a thread: a worker host without an API."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    if broker_url:
        registry.register(QueueCollector(broker_url))
    start_http_server(port, registry=registry)


class _OwnCollector:
    """This process's in-memory values: HTTP always; the work too unless the workers' files already hold it."""

    def __init__(self, with_work: bool):
        self.metrics = [HTTP_REQUESTS, HTTP_SECONDS] + ([PAGES, TASK_SECONDS, QUEUE_WAIT, SIGNATURES, FAILURES]
                                                        if with_work else [])

    def collect(self):
        for metric in self.metrics:
            yield from metric.collect()
