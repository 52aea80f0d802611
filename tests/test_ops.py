"""Operations: Prometheus metrics, JSON logs with request and batch ids, in the embedded mode.

The production side (metrics summed over Celery worker processes, ids carried through task headers) is in
tests/test_ops_production.py; ``sohoa doctor`` in tests/test_doctor.py; the compose file in tests/test_compose.py.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from ingest import logs
from ingest.settings import Settings
from tests.helpers import staff, wait_for_batch


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def json_logs():
    """Route sohoa's log lines to a buffer as JSON for one test, then take the handler away again."""
    buf = io.StringIO()
    logs.configure("json", "INFO", stream=buf)
    yield lambda: [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_sohoa", False)]:
        root.removeHandler(h)


def test_metrics_count_pages_documents_and_requests_by_route(tmp_path, scans):
    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "var", jobs=1)))) as client:
        before = client.get("/metrics").text
        r = client.post("/api/v1/batches", files=[("files", (p.name, p.read_bytes())) for p in (scans["jpeg"], scans["tiff"])])
        batch_id = r.json()["id"]
        assert wait_for_batch(client, batch_id)["state"] == "done"
        after = client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = after.text
    assert value(text, "sohoa_pages_total", status="ok") - value(before, "sohoa_pages_total", status="ok") == 4
    assert value(text, "sohoa_task_duration_seconds_count", kind="page_ocr") >= 4
    assert value(text, "sohoa_task_duration_seconds_count", kind="assembly") - \
        value(before, "sohoa_task_duration_seconds_count", kind="assembly") == 2
    # requests are labelled by route template: no id ever becomes a label value
    assert value(text, "sohoa_http_requests_total", method="POST", route="/api/v1/batches", status="202") >= 1
    assert value(text, "sohoa_http_request_duration_seconds_count", method="GET", route="/api/v1/batches/{batch_id}") >= 1
    assert batch_id not in text
    # the embedded runner's pending work is the queue depth: nothing left once the batch is done
    assert value(text, "sohoa_queue_depth", queue="sohoa", state="pages") == 0
    assert ("sohoa_queue_depth", (("queue", "sohoa"), ("state", "batches"))) in samples(text)


def test_metrics_are_served_only_to_the_networks_configured(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", metrics_networks="10.0.0.0/8, 127.0.0.1/32")
    app = create_app(settings)
    with TestClient(app, client=("10.1.2.3", 40000)) as inside:
        assert inside.get("/metrics").status_code == 200
    with TestClient(app, client=("203.0.113.7", 40000)) as outside:
        r = outside.get("/metrics")
        assert r.status_code == 403 and "SOHOA_METRICS_NETWORKS" in r.json()["detail"]
    with pytest.raises(ValueError, match="not a network"):
        create_app(Settings(data_dir=tmp_path / "var2", metrics_networks="10.0.0.0/8,intranet"))


def test_request_id_is_echoed_and_names_the_log_lines(tmp_path, scans, json_logs):
    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "var", jobs=1)))) as client:
        r = client.get("/api/v1/health", headers={"X-Request-ID": "scanner-3.req-0042"})
        assert r.headers["x-request-id"] == "scanner-3.req-0042"
        made = client.get("/api/v1/health", headers={"X-Request-ID": 'bad"id\nwith newline'}).headers["x-request-id"]
        assert len(made) == 32 and "\n" not in made  # a fresh id, not the caller's text
        up = client.post("/api/v1/batches", files=[("files", (scans["jpeg"].name, scans["jpeg"].read_bytes()))],
                         headers={"X-Request-ID": "upload-1"})
        batch_id = up.json()["id"]
        wait_for_batch(client, batch_id)
    lines = json_logs()
    http = [x for x in lines if x["logger"] == "sohoa.http"]
    first = next(x for x in http if x.get("request_id") == "scanner-3.req-0042")
    assert first["route"] == "/api/v1/health" and first["status"] == 200 and first["level"] == "INFO"
    assert any(x.get("request_id") == made for x in http)
    assert any(x.get("request_id") == "upload-1" and x["route"] == "/api/v1/batches" and x["status"] == 202 for x in http)
    assert all(x.get(k) is not None for x in lines for k in ("request_id", "batch_id", "task") if k in x)  # no nulls
    # the runner's lines name the batch they are about
    assert any(x.get("batch_id") == batch_id and x["logger"] == "ingest.runner" for x in lines), lines[-5:]


def test_text_logs_by_default_and_a_bad_format_is_refused():
    assert Settings().log_format == "text"
    buf = io.StringIO()
    logs.configure("text", "INFO", stream=buf)
    try:
        with logs.context(batch_id="b-1"):
            logging.getLogger("ingest.pipeline").info("hello")
        line = buf.getvalue().strip()
        assert line.endswith("INFO ingest.pipeline [batch_id=b-1]: hello")
    finally:
        root = logging.getLogger()
        for h in [h for h in root.handlers if getattr(h, "_sohoa", False)]:
            root.removeHandler(h)
    with pytest.raises(ValueError, match="text or json"):
        logs.configure("xml")
    with pytest.raises(ValueError):
        Settings(log_format="xml")
