"""Metrics and logs on the production path: Celery workers in processes of their own, Redis, PostgreSQL, S3.

The worker's prefork children write their metrics to SOHOA_METRICS_DIR and the API's /metrics sums them; the
worker's JSON log lines carry the upload's request id and batch id, which travelled in the task headers.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.helpers import staff, wait_for_batch
from tests.s3server import _free_port as free_port
from tests.s3server import s3_server  # noqa: F401
from tests.test_ops import value
from tests.test_production import prod_settings, start_worker, stop  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_worker_metrics_and_ids_reach_the_api_and_the_logs(prod_settings, pg_fresh_url, tmp_path, scans):  # noqa: F811
    port = free_port()
    # a database of its own: in the session's one, another test may have digitized these scans already
    settings = prod_settings.model_copy(update={"metrics_dir": tmp_path / "metrics", "log_format": "json",
                                                "metrics_port": port, "database_url": pg_fresh_url})
    worker = start_worker(settings, tmp_path, "observed", concurrency=2)
    try:
        with staff(TestClient(create_app(settings))) as client:
            before = client.get("/metrics").text  # this test process's own HTTP counts include earlier tests'
            r = client.post("/api/v1/batches", headers={"X-Request-ID": "desk-7-upload"},
                            files=[("files", (p.name, p.read_bytes())) for p in (scans["jpeg"], scans["tiff"])])
            batch_id = r.json()["id"]
            assert wait_for_batch(client, batch_id)["state"] == "done"
            # a page is counted just after its row commits, so another worker can finish the batch in between:
            # wait for the count the way a scraper would see it a moment later
            deadline = time.monotonic() + 60
            while value(text := client.get("/metrics").text, "sohoa_pages_total", status="ok") < 4 \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
        own = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text  # the worker host's own exporter
    finally:
        stop(worker)
    assert value(text, "sohoa_pages_total", status="ok") == 4  # counted by two prefork children, summed here
    assert value(own, "sohoa_pages_total", status="ok") == 4 and "sohoa_queue_depth" in own
    assert value(text, "sohoa_task_duration_seconds_count", kind="assembly") == 2
    assert value(text, "sohoa_queue_wait_seconds_count", kind="ocr_page") == 4
    assert value(text, "sohoa_queue_wait_seconds_count", kind="process_file") == 2
    posted = {"method": "POST", "route": "/api/v1/batches", "status": "202"}
    assert value(text, "sohoa_http_requests_total", **posted) - value(before, "sohoa_http_requests_total", **posted) == 1
    assert value(text, "sohoa_queue_depth", queue="sohoa", state="waiting") == 0  # read from Redis itself
    assert ("sohoa_queue_depth" in text) and 'state="unacked"' in text
    files = [p.name for p in (tmp_path / "metrics").iterdir()]
    assert files and all(n.split("_")[0] in ("counter", "histogram") and n.endswith(".db") for n in files), files
    assert len({n.split("_", 1)[1] for n in files}) >= 2  # one set of files per process (host-pid): nobody shares

    lines = [json.loads(line) for line in (tmp_path / "observed.log").read_text().splitlines() if line.startswith("{")]
    started = [x for x in lines if "queue_wait_s" in x]
    assert {x["task"] for x in started} >= {"sohoa.process_file", "sohoa.ocr_page", "sohoa.assemble"}
    assert all(x.get("request_id") == "desk-7-upload" and x.get("batch_id") == batch_id for x in started), started[:3]
