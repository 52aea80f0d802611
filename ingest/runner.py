"""Who runs the pipeline: in this process (embedded default) or Celery workers (production).

Both run the same ``ingest.pipeline`` steps. The embedded runner spreads pages over one single-threaded
Tesseract process per core and writes the catalog from the parent process only (SQLite likes one writer).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import select

from ingest import logs, pipeline
from ingest.runtime import Runtime, runtime_for
from ingest.settings import Settings
from ocr import one_thread_per_process
from storage.catalog import Batch, BatchFile, SignJob

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (batch_file_id, pages just finished)


def _page_job(settings_json: str, source_sha: str, kind: str, mime: str, number: int) -> pipeline.PageRecord:
    rt = runtime_for(Settings.model_validate_json(settings_json))
    return pipeline.ocr_page(rt, source_sha, kind, mime, number)


class EmbeddedRunner:
    """Runs batches in-process: ``run`` blocks (CLI), ``submit`` queues for a background thread (API, watch)."""

    def __init__(self, rt: Runtime, jobs: int | None = None):
        self.rt = rt
        self.jobs = jobs or rt.settings.worker_count
        self._pool: ProcessPoolExecutor | None = None
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._signing = None
        self._pages_in_flight = 0

    @property
    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closing.is_set():
                raise RuntimeError("the runner is closing")  # never fork a new pool behind close()
            if self._pool is None:
                one_thread_per_process()  # before forking: the workers inherit it
                self._pool = ProcessPoolExecutor(self.jobs)
            return self._pool

    def submit(self, batch_id: str) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="sohoa-runner", daemon=True)
                self._thread.start()
        self._queue.put(batch_id)

    def _loop(self) -> None:
        while not self._closing.is_set():
            try:
                batch_id = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self.run(batch_id)
            except Exception:  # a runner thread must survive anything one batch does
                log.exception("batch %s failed unexpectedly", batch_id)
            finally:
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every submitted batch is finished."""
        self._queue.join()

    def submit_sign(self, job_id: str, secret: str | None = None) -> None:
        """Run a signature request on this process's signing thread (one at a time: tokens are serial)."""
        from concurrent.futures import ThreadPoolExecutor

        from ingest.signatures import run_job

        with self._lock:
            if self._signing is None:
                self._signing = ThreadPoolExecutor(1, thread_name_prefix="sohoa-sign")
            signing = self._signing
        signing.submit(run_job, self.rt, job_id, secret)

    def join_signing(self) -> None:
        with self._lock:
            signing, self._signing = self._signing, None
        if signing is not None:
            signing.shutdown(wait=True)

    def pending(self) -> dict[str, int]:
        """Work not finished yet, for ``sohoa_queue_depth``: pages handed to the pool, batches waiting their turn."""
        return {"pages": self._pages_in_flight, "batches": self._queue.unfinished_tasks}

    def run(self, batch_id: str, progress: Progress | None = None) -> None:
        with logs.context(batch_id=batch_id):
            started = time.monotonic()
            self._run(batch_id, progress)
            log.info("batch %s: the runner is through with it after %.1f s", batch_id, time.monotonic() - started)

    def _run(self, batch_id: str, progress: Progress | None = None) -> None:
        rt = self.rt
        with rt.catalog.session() as session:
            files = list(session.scalars(select(BatchFile.id).where(BatchFile.batch_id == batch_id)))
        settings_json = rt.settings.model_dump_json()
        remaining: dict[str, int] = {}
        futures: dict = {}
        retry: list[tuple[str, int, int]] = []
        for bf_id in files:
            todo = pipeline.start_file(rt, bf_id)
            sha, kind, mime = pipeline.file_job(rt, bf_id)
            remaining[bf_id] = len(todo)
            for n in todo:
                fut = self.pool.submit(_page_job, settings_json, sha, kind, mime, n)
                futures[fut] = (bf_id, n, 1)
            if not todo:
                self._assemble(bf_id)
        pending = set(futures)
        self._pages_in_flight += len(pending)
        try:
            while pending and not self._closing.is_set():
                finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                broken = False
                for fut in finished:
                    bf_id, n, attempt = futures.pop(fut)
                    self._pages_in_flight -= 1
                    try:
                        pipeline.record_page(rt, fut.result())
                    except Exception as exc:  # a worker process died (OOM, native crash): retry once, then report
                        broken = broken or isinstance(exc, BrokenProcessPool)
                        if attempt < 2:
                            retry.append((bf_id, n, attempt + 1))
                            continue
                        log.error("page %s of %s failed twice: %r", n, bf_id, exc)
                        sha, _kind, _mime = pipeline.file_job(rt, bf_id)
                        pipeline.record_page(rt, pipeline.PageRecord(sha, n, "failed", error=f"page worker died: {exc!r}"))
                    self._page_finished(bf_id, remaining, progress)
                if broken:
                    self._reset_pool()
                    for fut in pending:  # everything queued on the dead pool is lost with it: resubmit
                        retry.append(futures.pop(fut))
                        self._pages_in_flight -= 1
                    pending = set()
                for bf_id, n, attempt in retry:
                    sha, kind, mime = pipeline.file_job(rt, bf_id)
                    fut = self.pool.submit(_page_job, settings_json, sha, kind, mime, n)
                    futures[fut] = (bf_id, n, attempt)
                    pending.add(fut)
                    self._pages_in_flight += 1
                retry.clear()
        finally:
            self._pages_in_flight -= len(pending)  # left behind by close(): they resume on the next start

    def _page_finished(self, bf_id: str, remaining: dict[str, int], progress: Progress | None) -> None:
        remaining[bf_id] -= 1
        if progress:
            progress(bf_id, 1)
        if remaining[bf_id] == 0:
            self._assemble(bf_id)

    def _assemble(self, bf_id: str) -> None:
        try:
            pipeline.assemble(self.rt, bf_id)
        except Exception as exc:
            log.exception("assembling %s failed", bf_id)
            pipeline.fail_file(self.rt, bf_id, f"could not assemble the PDF: {exc}")

    def _reset_pool(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def resume_unfinished(self) -> int:
        """Queue batches a previous process left queued or running (their finished pages are kept)."""
        with self.rt.catalog.session() as session:
            ids = list(session.scalars(select(Batch.id).where(Batch.state.in_(("queued", "running"))).order_by(Batch.created_at)))
        for batch_id in ids:
            self.submit(batch_id)
        with self.rt.catalog.session() as session:  # signature requests too (a PIN given with one is gone)
            jobs = list(session.scalars(select(SignJob.id).where(SignJob.state.in_(("queued", "running")))
                                        .order_by(SignJob.created_at)))
        for job_id in jobs:
            self.submit_sign(job_id)
        return len(ids)

    def close(self) -> None:
        """Stop after the pages in flight; unfinished batches resume on the next start."""
        self._closing.set()
        self.join_signing()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _stop_pool(pool, timeout=30)
        if self._thread is not None:
            self._thread.join(timeout=30)


def _stop_pool(pool: ProcessPoolExecutor, timeout: float) -> None:
    """Shut the page workers down without ever hanging the caller: ``shutdown(wait=True)`` can wait forever when
    the pool's manager thread misses its wake-up (seen under load in the test suite); a worker still alive after
    ``timeout`` is terminated — its page is redone on the next start, as after a crash."""
    import time

    procs = list((getattr(pool, "_processes", None) or {}).values())  # private, but the only handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(0.1, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            log.warning("page worker %s did not stop within %.0f s; terminating it", p.pid, timeout)
            p.terminate()
            p.join(5)


class CeleryRunner:
    """Hands a batch to Celery workers; progress is read from the catalog like any other batch."""

    def __init__(self, rt: Runtime):
        from ingest.tasks import configure

        self.rt = rt
        configure(rt.settings)

    def submit(self, batch_id: str) -> None:
        from ingest.tasks import process_file

        with self.rt.catalog.session() as session:
            files = list(
                session.scalars(
                    select(BatchFile.id).where(BatchFile.batch_id == batch_id, BatchFile.state == "queued")
                )
            )
        with logs.context(batch_id=batch_id):  # the tasks carry it in their headers (ingest.tasks)
            for bf_id in files:
                process_file.delay(bf_id)

    def join(self) -> None:  # workers live elsewhere; callers poll the catalog
        return None

    def submit_sign(self, job_id: str, secret: str | None = None) -> None:
        from ingest.tasks import sign

        kwargs = {"secret": secret} if secret else {}
        sign.apply_async((job_id,), kwargs, kwargsrepr="{'secret': '***'}" if secret else None)

    def join_signing(self) -> None:
        return None

    def close(self) -> None:
        return None


def make_runner(rt: Runtime, jobs: int | None = None):
    return EmbeddedRunner(rt, jobs) if rt.settings.embedded else CeleryRunner(rt)


