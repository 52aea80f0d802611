"""The exchange outbox's delivery discipline, in one process with a fixed clock: a worker that died holding a
delivery, backoff after failures, a dead letter put back, and the receiving side reached through its real
FastAPI app — the sender's delivery code runs unchanged against it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from api.app import create_app
from bench.exchange_nodes import seed_document
from ingest import address_book, exchange, exchange_delivery, outbox
from ingest.runtime import Runtime
from ingest.settings import Settings
from signing.keys import load_keyring, open_signer
from storage.catalog import OutboxAttempt, OutboxMessage
from storage.exchange_store import ExchangeReceived, ExchangeSent
from tests.signing_helpers import PASSPHRASE_ENV, decree30_pdf, write_keyring

A, B = "000.00.00.H41", "000.00.01.H41"
RECEIVER = "http://receiver.test"


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request, pki, tmp_path, monkeypatch):
    """Sender runtime A (on SQLite, then on PostgreSQL) and receiver app B (served in-process), each listing
    the other."""
    monkeypatch.setenv(PASSPHRASE_ENV, pki.passphrase.decode())
    ring = write_keyring(pki, tmp_path / "keys")
    common = dict(signing_keyring=ring, trust_anchors=pki.trust_bundle, tsa_url=pki.tsa_url,
                  exchange_interval_seconds=0, retrain_interval_hours=0, renew_interval_hours=0)
    sa = Settings(data_dir=tmp_path / "a", agency_id=A, agency_name="UBND tỉnh", exchange_signer="van-thu", **common)
    sb = Settings(data_dir=tmp_path / "b", agency_id=B, agency_name="Sở Nội vụ", exchange_signer="chu-tich", **common)
    keys = load_keyring(ring)
    pem = {k: address_book.to_pem(open_signer(keys[k]).signing_cert.dump()) for k in ("van-thu", "chu-tich")}
    if request.param == "postgresql":
        sa = sa.model_copy(update={"database_url": request.getfixturevalue("pg_url")})
    rt_a = Runtime(sa)
    if request.param == "postgresql":  # the database lives for the whole session: start from an empty exchange
        from storage.exchange_store import ExchangeAgency, ExchangeStatus

        with rt_a.catalog.session() as s:
            for model in (ExchangeStatus, ExchangeSent, ExchangeReceived, ExchangeAgency, OutboxAttempt, OutboxMessage):
                s.execute(delete(model))
            s.commit()
    address_book.put(rt_a, B, name="Sở Nội vụ", endpoint=RECEIVER, certificate_pem=pem["chu-tich"])
    with TestClient(create_app(sb), base_url=RECEIVER) as receiver:
        rt_b = receiver.app.state.rt
        address_book.put(rt_b, A, name="UBND tỉnh", endpoint="http://sender.test", certificate_pem=pem["van-thu"])
        yield rt_a, rt_b, receiver
    rt_a.close()


def _signed_doc(rt) -> str:
    from ingest.signatures import sign_pdf, signer_spec

    pdf = sign_pdf(rt, decree30_pdf(1), signer_spec(rt, "chu-tich"), role="personal", level="B-B", appearance="none")

    class _Node:  # seed_document only needs settings and a runtime
        pass

    return seed_document(_Node(), pdf, rt=rt)


def _rows(rt, model):
    with rt.catalog.session() as s:
        return list(s.scalars(select(model)))


def test_a_delivery_left_by_a_dead_worker_is_retried_after_its_lease_and_arrives_once(pair):
    rt_a, rt_b, receiver = pair
    out = exchange.send(rt_a, _signed_doc(rt_a), [B])
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    # a worker claims the delivery, posts it — the receiver stores it — and dies before recording the answer
    mid, attempt, key, payload = outbox.claim(rt_a, exchange.DESTINATION, now, outbox.lease_seconds(30))
    r = receiver.post("/api/v1/exchange/inbox", content=rt_a.store.get_bytes(payload["object"]))
    assert r.status_code == 200 and r.json()["code"] == "01"
    assert exchange_delivery.deliver_due(rt_a, now=now, client=receiver)["attempted"] == 0  # still leased to the dead one
    later = now + timedelta(seconds=outbox.lease_seconds(30) + 1)
    counts = exchange_delivery.deliver_due(rt_a, now=later, client=receiver)
    assert counts["reclaimed"] == 1 and counts["sent"] == 1
    [msg] = _rows(rt_a, OutboxMessage)
    assert msg.state == "sent" and msg.attempts == 2 and msg.idempotency_key == f"exchange:{out['envelope_id']}:{B}"
    errors = [a.error for a in _rows(rt_a, OutboxAttempt)]
    assert any("lease expired" in (e or "") for e in errors)
    [sent] = _rows(rt_a, ExchangeSent)
    assert sent.state == "delivered" and sent.status == "01"
    assert len(_rows(rt_b, ExchangeReceived)) == 1  # the replay found the first answer: stored once


def test_failures_back_off_exponentially_and_a_dead_letter_can_be_queued_again(pair):
    rt_a, _rt_b, _receiver = pair
    exchange.send(rt_a, _signed_doc(rt_a), [B])
    calls = []

    def down(request):
        calls.append(request)
        return httpx.Response(503, json={"title": "bảo trì"})

    client = httpx.Client(transport=httpx.MockTransport(down))
    t = datetime.now(timezone.utc) + timedelta(seconds=1)
    waits = []
    for _ in range(3):
        assert exchange_delivery.deliver_due(rt_a, now=t, client=client)["retry"] == 1
        [msg] = _rows(rt_a, OutboxMessage)
        due = outbox.utc(msg.next_attempt_at)
        waits.append((due - t).total_seconds())
        t = due
    base = rt_a.settings.exchange_retry_base_seconds
    assert base / 2 <= waits[0] <= base and base <= waits[1] <= 2 * base and 2 * base <= waits[2] <= 4 * base
    assert {r.headers["Idempotency-Key"] for r in calls} == {msg.idempotency_key}  # one key on every retry
    assert "HTTP 503" in msg.last_error and "bảo trì" in msg.last_error

    refuse = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(400, json={"detail": "không"})))
    assert exchange_delivery.deliver_due(rt_a, now=t, client=refuse)["dead"] == 1
    [sent] = _rows(rt_a, ExchangeSent)
    assert sent.state == "dead"
    exchange_delivery.retry_dead(rt_a, msg.id)
    [msg], [sent] = _rows(rt_a, OutboxMessage), _rows(rt_a, ExchangeSent)
    assert msg.state == "pending" and msg.attempts == 0 and sent.state == "queued"
    with pytest.raises(exchange.ExchangeRefused, match="not dead"):
        exchange_delivery.retry_dead(rt_a, msg.id)
    with pytest.raises(LookupError):
        exchange_delivery.retry_dead(rt_a, msg.id + 1000)


def test_an_agency_removed_from_the_address_book_is_not_delivered_to(pair):
    rt_a, _rt_b, receiver = pair
    exchange.send(rt_a, _signed_doc(rt_a), [B])
    address_book.remove(rt_a, B)
    counts = exchange_delivery.deliver_due(rt_a, now=datetime.now(timezone.utc) + timedelta(seconds=1), client=receiver)
    assert counts["dead"] == 1
    [msg] = _rows(rt_a, OutboxMessage)
    assert "not (or no longer) in the address book" in msg.last_error
    with pytest.raises(LookupError, match="not in the address book"):
        exchange.send(rt_a, _signed_doc(rt_a), [B])


def test_portal_and_exchange_never_take_each_others_messages(pair):
    rt_a, _rt_b, _receiver = pair
    exchange.send(rt_a, _signed_doc(rt_a), [B])
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert outbox.claim(rt_a, "portal", now, 300) is None
    assert outbox.claim(rt_a, exchange.DESTINATION, now, 300) is not None


def test_recalling_what_has_not_left_yet_withdraws_it_instead_of_racing_it(pair):
    rt_a, rt_b, receiver = pair
    out = exchange.send(rt_a, _signed_doc(rt_a), [B])
    answer = exchange.recall(rt_a, out["envelope_id"])
    assert answer["withdrawn"] == [B] and answer["envelope_id"] is None  # no recall envelope to send
    [msg] = _rows(rt_a, OutboxMessage)
    assert msg.state == "dead" and "recalled before it was delivered" in msg.last_error
    [sent] = _rows(rt_a, ExchangeSent)
    assert sent.state == "recalled" and sent.status == "13"
    assert exchange_delivery.deliver_due(rt_a, now=datetime.now(timezone.utc) + timedelta(seconds=1), client=receiver)["attempted"] == 0
    assert _rows(rt_b, ExchangeReceived) == []
    with pytest.raises(exchange.ExchangeRefused, match="no recipient left"):
        exchange.recall(rt_a, out["envelope_id"])


def _self_signed(folder) -> tuple:
    """A certificate for 127.0.0.1 and its key, PEM files: an https endpoint of our own."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "tls.pem", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_endpoints_are_verified_against_the_configured_ca_bundle(pair, tmp_path):
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    rt_a, _rt_b, _receiver = pair
    cert, key = _self_signed(tmp_path)

    class Busy(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b'{"title": "busy"}'
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pem = [r for r in address_book.entries(rt_a) if r.id == B][0].certificate_pem
        address_book.put(rt_a, B, name="Sở Nội vụ", endpoint=f"https://127.0.0.1:{server.server_port}",
                         certificate_pem=pem)
        exchange.send(rt_a, _signed_doc(rt_a), [B])
        t = datetime.now(timezone.utc) + timedelta(seconds=1)
        assert exchange_delivery.deliver_due(rt_a, now=t)["retry"] == 1  # the system's CAs do not know this server
        [msg] = _rows(rt_a, OutboxMessage)
        assert "certificate verify failed" in msg.last_error.lower()
        trusting = Runtime(rt_a.settings.model_copy(update={"exchange_ca_bundle": cert}))
        try:
            assert exchange_delivery.deliver_due(trusting, now=outbox.utc(msg.next_attempt_at))["retry"] == 1
            [msg] = _rows(trusting, OutboxMessage)
            assert msg.last_error.startswith("HTTP 503")  # TLS verified; the server's own answer is what failed
        finally:
            trusting.close()
    finally:
        server.shutdown()
        server.server_close()


def test_celery_registers_the_exchange_delivery_and_beat_schedules_it():
    from ingest import tasks
    from ingest.settings import get_settings

    assert "sohoa.exchange_deliver" in tasks.app.tasks
    try:
        tasks.schedule(Settings(agency_id=A, exchange_interval_seconds=7))
        assert tasks.app.conf.beat_schedule["exchange-deliver"] == {"task": "sohoa.exchange_deliver",
                                                                   "schedule": timedelta(seconds=7)}
        tasks.schedule(Settings(agency_id="", exchange_interval_seconds=7))
        assert "exchange-deliver" not in tasks.app.conf.beat_schedule  # no identity, nothing to deliver as
    finally:
        tasks.schedule(get_settings())


def test_the_acting_person_is_the_logged_in_admin(pki, tmp_path):
    from storage import audit
    from tests.helpers import bearer

    app = create_app(Settings(data_dir=tmp_path / "var", agency_id=A, exchange_interval_seconds=0,
                              retrain_interval_hours=0, renew_interval_hours=0))
    pem = pki.cert_pem("agency").read_text()
    with TestClient(app) as c:
        rt = c.app.state.rt
        admin = bearer(rt, ["agency_admin"], agency=A, username="admin-a")
        assert c.post("/api/v1/exchange/address-book", headers=admin,
                      json={"id": B, "endpoint": "http://b.test", "certificate_pem": pem}).status_code == 201
        assert c.delete(f"/api/v1/exchange/address-book/{B}").status_code == 401
        assert c.delete(f"/api/v1/exchange/address-book/{B}", headers=bearer(rt, ["van_thu"], agency=A)).status_code == 403
        assert c.delete(f"/api/v1/exchange/address-book/{B}", headers=admin).status_code == 204
        entries = audit.entries(rt.catalog, audit.AuditQuery(action="exchange."))
    assert [(e.action, e.actor, e.agency_id) for e in entries] == [
        ("exchange.address_book.put", "user:admin-a", A), ("exchange.address_book.remove", "user:admin-a", A)]


def test_an_empty_path_variable_means_unset_not_the_current_directory(monkeypatch):
    monkeypatch.setenv("SOHOA_EXCHANGE_CA_BUNDLE", "")
    monkeypatch.setenv("SOHOA_SIGNING_KEYRING", " ")
    s = Settings()
    assert s.exchange_ca_bundle is None and s.signing_keyring is None
