"""Results delivered to the national portal through the outbox: retries with backoff, dead letters, a restart
in the middle, two workers at once — and a fake portal that dedupes by Idempotency-Key like the real one must."""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from ingest import portal
from ingest.runtime import Runtime
from ingest.settings import Settings
from ingest.verification import new_code
from storage.catalog import Document, OutboxAttempt, OutboxMessage, Result
from tests.helpers import staff

T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1)  # messages queued now are due


@pytest.fixture(autouse=True)
def _fresh_t0(monkeypatch):
    """T0 a minute after each test starts: a whole suite takes longer than a minute to reach these tests."""
    monkeypatch.setattr(sys.modules[__name__], "T0",
                        datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1))
TOKEN = "portal-test-token"


class FakePortal:
    """The national portal's receiving end on 127.0.0.1: records every request, stores each Idempotency-Key once
    (a repeat is 409), and can be told to fail the next requests (a status, or an answer too late)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.stored: dict[str, dict] = {}
        self.script: list[tuple] = []
        self.lock = threading.Lock()
        self.busy = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with fake.lock:
                    fake.busy += 1
                    fake.requests.append({"key": key, "auth": self.headers.get("Authorization"),
                                          "type": self.headers.get("Content-Type"), "body": json.loads(body)})
                    action = fake.script.pop(0) if fake.script else ("ok",)
                try:
                    if action[0] == "status":
                        return self._answer(action[1], {"error": action[2]}, action[3])
                    if action[0] == "hang":  # the answer comes after the client gave up; the portal still keeps it
                        time.sleep(action[1])
                    with fake.lock:
                        if key in fake.stored:
                            return self._answer(409, {"detail": "already have it"})
                        fake.stored[key] = json.loads(body)
                    self._answer(201, {"received": key})
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with fake.lock:
                        fake.busy -= 1

            def _answer(self, code, obj, headers=None):
                data = json.dumps(obj).encode()
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/ket-qua"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, n: int, status: int = 503, error: str = "bảo trì", headers: dict | None = None) -> None:
        self.script += [("status", status, error, headers or {})] * n

    def hang(self, n: int, seconds: float) -> None:
        self.script += [("hang", seconds)] * n

    def idle(self, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while self.busy and time.monotonic() < end:
            time.sleep(0.02)

    def results(self) -> list[str]:
        return [b["result"]["id"] for b in self.stored.values()]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_portal():
    p = FakePortal()
    yield p
    p.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def prt(request, tmp_path):
    url = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    runtime = Runtime(Settings(data_dir=tmp_path / "var", database_url=url))
    if url:  # the PostgreSQL database lives for the whole session: start from an empty outbox
        with runtime.catalog.session() as s:
            s.execute(delete(OutboxAttempt))
            s.execute(delete(OutboxMessage))
            s.commit()
    yield runtime
    runtime.close()


@pytest.fixture
def rt(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path / "var"))
    yield runtime
    runtime.close()


def make_results(rt, n: int = 1, status: str = "valid") -> list[str]:
    """``n`` results, each on its own stored document, queued for the portal in the same transaction."""
    ids = []
    with rt.catalog.session() as s:
        for i in range(n):
            stored = rt.store.put_bytes(b"%PDF-1.4 ket qua " + new_code().encode(), "application/pdf")
            doc = Document(source_sha256=stored.sha256, pdf_sha256=stored.sha256, filename=f"gcn-{i}.pdf",
                           mime="application/pdf", page_count=1, doc_type="giay_chung_nhan")
            s.add(doc)
            s.flush()
            res = Result(document_id=doc.id, holder_id=f"0010900{i:05d}", holder_kind="personal_id",
                         holder_name="Nguyễn Thị Bình", doc_type="giay_chung_nhan", number=f"{i + 1:03d}/GCN",
                         status=status, verify_code=new_code(), disclosed=["type"])
            s.add(res)
            s.flush()
            portal.enqueue_result(s, res)
            ids.append(res.id)
        s.commit()
    return ids


def deliver(rt, fake, now=None, **kw):
    now = now or T0
    return portal.deliver_due(rt, now=now, url=fake.url, token=TOKEN, **kw)


def _messages(rt) -> list[OutboxMessage]:
    with rt.catalog.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _attempts(rt, mid: int) -> list[OutboxAttempt]:
    with rt.catalog.session() as s:
        return list(s.scalars(select(OutboxAttempt).where(OutboxAttempt.message_id == mid).order_by(OutboxAttempt.id)))


def _utc(dt):
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def test_queueing_the_same_state_twice_is_one_message_and_a_revocation_is_another(prt):
    [rid] = make_results(prt)
    with prt.catalog.session() as s:
        res = s.get(Result, rid)
        again = portal.enqueue_result(s, res)
        s.commit()
    msgs = _messages(prt)
    assert len(msgs) == 1 and again.id == msgs[0].id
    body = msgs[0].payload
    assert body["schema"] == "sohoa.result/1" and body["event"] == "result.issued"
    assert body["idempotency_key"] == msgs[0].idempotency_key == f"result:{rid}:{body['result']['version']}"
    assert body["result"]["holder"] == {"id": "001090000000", "kind": "personal_id", "name": "Nguyễn Thị Bình"}
    assert body["result"]["verify_path"].startswith("/verify/")
    with prt.catalog.session() as s:
        res = s.get(Result, rid)
        res.status, res.status_reason = "revoked", "cấp nhầm"
        portal.enqueue_result(s, res)
        s.commit()
    msgs = _messages(prt)
    assert len(msgs) == 2 and msgs[1].payload["event"] == "result.revoked"
    assert msgs[0].idempotency_key != msgs[1].idempotency_key


def test_retries_with_backoff_until_the_portal_answers(rt, fake_portal):
    [rid] = make_results(rt)
    fake_portal.fail(2, 503)
    assert deliver(rt, fake_portal)["retry"] == 1
    [m] = _messages(rt)
    first_wait = (_utc(m.next_attempt_at) - T0).total_seconds()
    assert m.state == "pending" and m.attempts == 1 and "HTTP 503" in m.last_error and "bảo trì" in m.last_error
    assert portal.BACKOFF_BASE / 2 <= first_wait <= portal.BACKOFF_BASE
    assert deliver(rt, fake_portal)["attempted"] == 0  # not due yet: nothing is sent early
    t1 = T0 + timedelta(seconds=first_wait)
    assert deliver(rt, fake_portal, now=t1)["retry"] == 1
    [m] = _messages(rt)
    second_wait = (_utc(m.next_attempt_at) - t1).total_seconds()
    assert portal.BACKOFF_BASE <= second_wait <= 2 * portal.BACKOFF_BASE  # doubled (with jitter)
    counts = deliver(rt, fake_portal, now=t1 + timedelta(seconds=second_wait))
    assert counts["sent"] == 1
    [m] = _messages(rt)
    assert m.state == "sent" and m.sent_at is not None and m.attempts == 3
    assert [a.status_code for a in _attempts(rt, m.id)] == [503, 503, 201]
    keys = {r["key"] for r in fake_portal.requests}
    assert keys == {m.idempotency_key} and len(fake_portal.requests) == 3  # the same key on every retry
    assert all(r["auth"] == f"Bearer {TOKEN}" and r["type"].startswith("application/json") for r in fake_portal.requests)
    assert fake_portal.results() == [rid]


def test_backoff_is_capped_and_honours_retry_after():
    assert portal.backoff(40) <= portal.BACKOFF_CAP
    assert portal.backoff(1, retry_after=600) == 600
    assert portal.backoff(1, retry_after=10 ** 9) == portal.BACKOFF_CAP


def test_a_429_with_retry_after_waits_as_asked(rt, fake_portal):
    make_results(rt)
    fake_portal.fail(1, 429, "chậm lại", {"Retry-After": "900"})
    assert deliver(rt, fake_portal)["retry"] == 1
    [m] = _messages(rt)
    assert (_utc(m.next_attempt_at) - T0).total_seconds() == pytest.approx(900, abs=1)


def test_a_lost_answer_is_retried_and_the_portal_keeps_it_once(rt, fake_portal):
    [rid] = make_results(rt)
    fake_portal.hang(1, 1.5)  # the portal stores it but answers after the client's timeout
    counts = deliver(rt, fake_portal, timeout=0.4)
    assert counts["retry"] == 1
    [m] = _messages(rt)
    assert "timeout" in m.last_error
    fake_portal.idle()
    counts = deliver(rt, fake_portal, now=T0 + timedelta(hours=1), timeout=5)
    assert counts["sent"] == 1
    assert [a.status_code for a in _attempts(rt, m.id)] == [None, 409]
    assert fake_portal.results() == [rid]


def test_connection_refused_is_retried(rt):
    make_results(rt)
    counts = portal.deliver_due(rt, now=T0, url="http://127.0.0.1:9/none", timeout=2)
    assert counts["retry"] == 1
    [m] = _messages(rt)
    assert m.state == "pending" and "Connect" in m.last_error


def test_a_refusal_is_dead_lettered_with_the_reason_and_can_be_queued_again(rt, fake_portal):
    [rid] = make_results(rt)
    fake_portal.fail(1, 400, "thiếu số định danh")
    assert deliver(rt, fake_portal)["dead"] == 1
    [m] = _messages(rt)
    assert m.state == "dead" and "HTTP 400" in m.last_error and "thiếu số định danh" in m.last_error
    assert deliver(rt, fake_portal, now=T0 + timedelta(days=30))["attempted"] == 0  # dead stays dead
    portal.retry_dead(rt, m.id, now=T0)
    assert deliver(rt, fake_portal)["sent"] == 1
    assert fake_portal.results() == [rid]


class ProcessDied(BaseException):
    """The worker is killed after the portal took the request but before the answer was recorded."""


class DiesAfterSending(httpx.HTTPTransport):
    def handle_request(self, request):
        response = super().handle_request(request)
        response.read()
        raise ProcessDied()


def test_a_restart_mid_delivery_loses_nothing_and_sends_nothing_twice(prt, fake_portal):
    ids = make_results(prt, 3)
    dying = httpx.Client(transport=DiesAfterSending())
    with pytest.raises(ProcessDied):
        deliver(prt, fake_portal, client=dying)
    states = [m.state for m in _messages(prt)]
    assert states == ["sending", "pending", "pending"]
    assert len(fake_portal.stored) == 1  # the portal has the first one; sohoa does not know it yet

    restarted = Runtime(prt.settings)  # a new process on the same catalog
    try:
        assert deliver(restarted, fake_portal, now=T0 + timedelta(seconds=30))["sent"] == 2  # lease still running
        assert [m.state for m in _messages(restarted)] == ["sending", "sent", "sent"]
        later = T0 + timedelta(seconds=portal.lease_seconds(10) + 1)
        counts = deliver(restarted, fake_portal, now=later)
        assert counts["reclaimed"] == 1 and counts["sent"] == 1
        msgs = _messages(restarted)
        assert [m.state for m in msgs] == ["sent"] * 3
        history = _attempts(restarted, msgs[0].id)
        assert [a.status_code for a in history] == [None, 409] and "process stopped" in history[0].error
    finally:
        restarted.close()
    assert sorted(fake_portal.results()) == sorted(ids)  # each result exactly once at the portal
    assert len(fake_portal.requests) == 4


def test_two_workers_never_send_the_same_message(prt, fake_portal):
    ids = make_results(prt, 12)
    with ThreadPoolExecutor(4) as pool:
        totals = list(pool.map(lambda _i: deliver(prt, fake_portal), range(4)))
    assert sum(t["sent"] for t in totals) == 12
    assert len(fake_portal.requests) == 12  # no message was claimed twice: no 409 needed
    assert sorted(fake_portal.results()) == sorted(ids)
    with prt.catalog.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxAttempt)) == 12


def test_unconfigured_portal_is_a_clear_error(rt):
    with pytest.raises(portal.PortalNotConfigured):
        portal.deliver_due(rt)
    with pytest.raises(portal.PortalNotConfigured):
        portal.deliver_due(rt, url="ftp://portal.example")


def test_outbox_api_lists_messages_with_attempts(tmp_path, fake_portal):
    from api.app import create_app
    from api.routes import reuse_public

    app = create_app(Settings(data_dir=tmp_path / "var"))
    if not any(getattr(r, "path", "") == "/api/v1/outbox" for r in app.routes):
        app.include_router(reuse_public.router)
    with staff(TestClient(app)) as client:
        rt = app.state.rt
        [rid] = make_results(rt)
        fake_portal.fail(1, 503)
        deliver(rt, fake_portal)
        body = client.get("/api/v1/outbox").json()
        assert body["total"] == 1 and body["by_state"] == {"pending": 1}
        [item] = body["items"]
        assert item["result_id"] == rid and item["state"] == "pending" and item["event"] == "result.issued"
        assert [h["status_code"] for h in item["history"]] == [503]
        assert client.get("/api/v1/outbox?state=sent").json()["items"] == []
        r = client.post("/api/v1/outbox/deliver")
        assert r.status_code == 409 and "SOHOA_PORTAL_URL" in r.json()["detail"]
        assert client.post("/api/v1/outbox/999/retry").status_code == 404
        assert client.post(f"/api/v1/outbox/{item['id']}/retry").status_code == 409  # pending, not dead


def test_deliver_now_through_the_api_with_the_configured_portal(tmp_path, fake_portal):
    from api.app import create_app
    from api.routes import reuse_public

    settings = Settings(data_dir=tmp_path / "var", portal_url=fake_portal.url, portal_token=TOKEN,
                        portal_interval_seconds=0)
    app = create_app(settings)
    if not any(getattr(r, "path", "") == "/api/v1/outbox" for r in app.routes):
        app.include_router(reuse_public.router)
    with staff(TestClient(app)) as client:
        ids = make_results(app.state.rt, 2)
        r = client.post("/api/v1/outbox/deliver")
        assert r.status_code == 200 and r.json()["sent"] == 2
        assert client.get("/api/v1/outbox").json()["by_state"] == {"sent": 2}
    assert sorted(fake_portal.results()) == sorted(ids)
    assert {r["auth"] for r in fake_portal.requests} == {f"Bearer {TOKEN}"}


def test_the_embedded_timer_delivers_and_stops(tmp_path, fake_portal):
    rt = Runtime(Settings(data_dir=tmp_path / "var", portal_url=fake_portal.url))
    try:
        [rid] = make_results(rt)
        stop = threading.Event()
        worker = threading.Thread(target=portal.run_periodically, args=(rt, stop, 0.05))
        worker.start()
        end = time.monotonic() + 10
        while not fake_portal.stored and time.monotonic() < end:
            time.sleep(0.05)
        stop.set()
        worker.join(5)
        assert not worker.is_alive() and fake_portal.results() == [rid]
        portal.run_periodically(Runtime(Settings(data_dir=tmp_path / "v2", portal_interval_seconds=0)), stop)  # returns
    finally:
        rt.close()
