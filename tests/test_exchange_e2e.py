"""Three sohoa instances on 127.0.0.1, each its own process, data directory, agency key and address book,
exchanging real signed documents: statuses flowing back, rejections with reasons, hostile input, replays,
recall and update, and a receiving instance killed while deliveries are on their way."""

from __future__ import annotations

import time

import httpx
import pytest

from bench.exchange_nodes import Node, introduce, seed_document, sign_decision
from ingest import envelope as E
from ingest.runtime import Runtime
from signing.keys import load_keyring, open_signer
from storage import audit
from tests.signing_helpers import PASSPHRASE_ENV, decree30_pdf, flip_byte_in_signed_range, write_keyring

A, B, C = "000.00.00.H41", "000.00.01.H41", "000.00.02.H41"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def ring(pki, tmp_path_factory):
    import os

    os.environ[PASSPHRASE_ENV] = pki.passphrase.decode()
    return write_keyring(pki, tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def nodes(pki, ring, tmp_path_factory):
    """A (the provincial people's committee, signing with the agency key), B and C (two departments; the test
    PKI has one agency certificate, so they sign with the two personal ones — distinct keys is what matters)."""
    work = tmp_path_factory.mktemp("exchange")
    a = Node(A, "Ủy ban nhân dân tỉnh Thử Nghiệm", "van-thu", work / "a", ring, pki)
    b = Node(B, "Sở Nội vụ", "chu-tich", work / "b", ring, pki)
    c = Node(C, "Sở Tư pháp", "chu-tich-ec", work / "c", ring, pki)
    everyone = [a, b, c]
    try:
        for n in everyone:
            n.start()
        for n in everyone:
            n.wait_ready()
        introduce(everyone)
        yield {A: a, B: b, C: c}
    finally:
        for n in everyone:
            n.stop()


@pytest.fixture(scope="module")
def signed_pdf(nodes):
    return sign_decision(nodes[A], decree30_pdf(2))


@pytest.fixture(scope="module")
def keys(ring):
    return load_keyring(ring)


def _until(probe, what: str, timeout: float = 60.0):
    """Poll ``probe`` until it returns something truthy (deliveries are asynchronous by design)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _send(node: Node, doc_id: str, to: list[str], **body) -> str:
    with node.client() as c:
        r = c.post("/api/v1/exchange/outbox", json={"document_id": doc_id, "to": to, **body})
    assert r.status_code == 202, r.text
    return r.json()["envelope_id"]


def _sent(node: Node, envelope_id: str) -> dict:
    with node.client() as c:
        return {r["to"]: r for r in c.get(f"/api/v1/exchange/outbox/{envelope_id}").json()["recipients"]}


def _answered(node: Node, envelope_id: str, to: list[str], codes=("01",)) -> dict:
    def probe():
        rows = _sent(node, envelope_id)
        return rows if all(rows[t]["status"] in codes for t in to) else None
    return _until(probe, f"{envelope_id} answered {codes} by {to}")


def _inbox(node: Node, envelope_id: str) -> list[dict]:
    with node.client() as c:
        return [r for r in c.get("/api/v1/exchange/inbox", params={"limit": 500}).json()["items"]
                if r["envelope_id"] == envelope_id]


def _status(node: Node, received_id: str, code: str) -> httpx.Response:
    with node.client() as c:
        return c.post(f"/api/v1/exchange/inbox/{received_id}/status", json={"code": code})


def _audit(node: Node) -> list[str]:
    rt = Runtime(node.settings())
    try:
        return [e.action for e in audit.entries(rt.catalog, audit.AuditQuery(action="exchange."), limit=10000)]
    finally:
        rt.close()


def test_a_document_sent_to_two_agencies_arrives_and_its_statuses_flow_back(nodes, signed_pdf):
    a, b, c = nodes[A], nodes[B], nodes[C]
    doc = seed_document(a, signed_pdf)
    eid = _send(a, doc, [B, C], priority=1, header={"signer_competence": "KT. CHỦ TỊCH", "due": "2026-12-15"})
    rows = _answered(a, eid, [B, C])
    assert {rows[B]["state"], rows[C]["state"]} == {"delivered"}  # one delivery per recipient, both answered

    [got] = _inbox(b, eid)
    assert got["state"] == "arrived" and got["authenticated"] and got["from"] == A
    h = got["header"]
    assert (h["code_number"], h["code_notation"], h["priority"], h["due"]) == ("125", "QĐ-UBND", 1, "2026-12-15")
    assert h["signer"] == {"competence": "KT. CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH", "name": "Nguyễn Văn An"}
    with b.client() as cl:  # stored like any other document: its record and its signed PDF, byte for byte
        assert cl.get(f"/api/v1/documents/{got['document_id']}").json()["title"] == "Về việc công bố danh mục"
        assert cl.get(f"/api/v1/documents/{got['document_id']}/pdf").content == signed_pdf
        assert cl.get(f"/api/v1/exchange/inbox/{got['id']}/attachments/1").content == signed_pdf
        assert cl.get(f"/api/v1/exchange/inbox/{got['id']}/attachments/2").status_code == 404

    for code in ("03", "04", "05", "06"):
        r = _status(b, got["id"], code)
        assert r.status_code == 200 and r.json()["status"] == code, r.text
    done = _answered(a, eid, [B], codes=("06",))
    assert [s["code"] for s in done[B]["statuses"]] == ["01", "03", "04", "05", "06"]
    assert all(s["signed"] for s in done[B]["statuses"])
    assert done[C]["status"] == "01"  # C's own history is C's

    # out of order, backwards, or past the end: 409 with what is allowed
    [at_c] = _inbox(c, eid)
    r = _status(c, at_c["id"], "05")
    assert r.status_code == 409 and "can move to 03" in r.json()["detail"]
    assert _status(b, got["id"], "06").status_code == 409
    r = _status(b, "f" * 32, "03")
    assert r.status_code == 404 and "no received document" in r.json()["detail"]
    assert _status(b, got["id"], "07").status_code == 422

    sent_log, recv_log = _audit(a), _audit(b)
    assert "exchange.send" in sent_log and sent_log.count("exchange.status") >= 6  # 01 ×2, 03…06
    assert "exchange.receive" in recv_log and recv_log.count("exchange.status") == 4


def test_a_tampered_document_is_rejected_02_with_the_reasons_and_kept(nodes, signed_pdf):
    a, b = nodes[A], nodes[B]
    doc = seed_document(a, flip_byte_in_signed_range(signed_pdf), subject="Bản bị sửa")
    eid = _send(a, doc, [B])
    rows = _answered(a, eid, [B], codes=("02",))
    assert rows[B]["state"] == "rejected"
    [st] = rows[B]["statuses"]
    assert st["signed"] and any("TOTAL_FAILED" in r for r in st["reasons"]), st
    [kept] = _inbox(b, eid)
    assert kept["state"] == "rejected" and kept["document_id"] is None and kept["reasons"] == st["reasons"]
    assert "exchange.reject" in _audit(b)


def _envelope(keys, signed_pdf, sender=A, to=B, signer="van-thu", **kw) -> bytes:
    h = E.Header(sender=E.Organ(sender), to=[E.Organ(to)], document_id=f"{sender},test", subject="Thử", **kw)
    return E.write_envelope(E.Envelope(h, [E.Attachment("qd.pdf", "application/pdf", signed_pdf, "document")]),
                            open_signer(keys[signer]))


def _post_inbox(node: Node, data: bytes) -> httpx.Response:
    with node.client() as c:
        return c.post("/api/v1/exchange/inbox", content=data, headers={"Content-Type": "application/xml"})


def test_hostile_and_unauthenticated_envelopes_are_answered_02_never_500(nodes, keys, signed_pdf):
    from tests.test_exchange_envelope import BILLION_LAUGHS, XXE

    b = nodes[B]
    cases = {
        "not XML": (b"%PDF-1.7\n...", "not XML"),
        "billion laughs": (BILLION_LAUGHS, "DTD or entities"),
        "external entity": (XXE, "DTD or entities"),
        "wrong schema": (b"<?xml version='1.0'?><edXML xmlns='urn:sohoa:edxml:1' version='1'/>", "edXML schema"),
        "untrusted signer": (_envelope(keys, signed_pdf, signer="untrusted"), "does not chain to a trusted anchor"),
        "sender's key not the listed one": (_envelope(keys, signed_pdf, signer="chu-tich-ec"),
                                            "not signed with the certificate the address book holds"),
        "unknown sender": (_envelope(keys, signed_pdf, sender="000.99.99.Z99"), "not in this agency's address book"),
        "not for us": (_envelope(keys, signed_pdf, to=C), "not to this agency"),
    }
    for name, (data, why) in cases.items():
        r = _post_inbox(b, data)
        assert r.status_code == 422, (name, r.text)
        body = r.json()
        assert body["code"] == "02" and any(why in x for x in body["reasons"]), (name, body)
    tampered = _envelope(keys, signed_pdf).replace("Thử".encode(), "Thu".encode())
    r = _post_inbox(b, tampered)
    assert r.status_code == 422 and any("changed after it was signed" in x for x in r.json()["reasons"])
    # a declared size over the cap is refused before the body is read (a raw socket: clients will not lie)
    import socket

    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as sock:
        sock.sendall(b"POST /api/v1/exchange/inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                     b"Content-Length: 10000000000\r\n\r\n<edXML>")
        answer = b""
        while b"}" not in answer and (chunk := sock.recv(4096)):  # headers and body may come apart
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b"at most" in answer


def test_a_replayed_envelope_gets_the_same_answer_and_is_stored_once(nodes, keys, signed_pdf):
    b = nodes[B]
    data = _envelope(keys, signed_pdf)
    first, second = _post_inbox(b, data), _post_inbox(b, data)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["code"] == "01"
    eid = first.json()["envelope_id"]
    assert len(_inbox(b, eid)) == 1
    # the same id again with other content: not a replay, a conflict
    other = E.read_envelope(E.parse(data))
    other.header.subject = "Khác"
    clash = E.write_envelope(other, open_signer(keys["van-thu"]))
    r = _post_inbox(b, clash)
    assert r.status_code == 409 and "already sent a different envelope" in r.json()["detail"]
    assert len(_inbox(b, eid)) == 1


def test_a_status_about_an_unknown_document_is_refused(nodes, keys):
    a = nodes[A]
    st = E.Status("e" * 32, E.Organ(B), E.Organ(A), "03")
    with a.client() as c:
        r = c.post("/api/v1/exchange/status", content=E.write_status(st, open_signer(keys["chu-tich"])))
        assert r.status_code == 404 and "no envelope" in r.json()["detail"]
        forged = c.post("/api/v1/exchange/status", content=E.write_status(st, open_signer(keys["untrusted"])))
        assert forged.status_code == 422 and "trusted anchor" in forged.json()["detail"]
        assert c.post("/api/v1/exchange/status", content=b"not xml").status_code == 422


def test_recall_freezes_a_document_in_progress_and_is_refused_once_completed(nodes, signed_pdf):
    a, b = nodes[A], nodes[B]
    doc = seed_document(a, signed_pdf, subject="Sẽ thu hồi")
    eid = _send(a, doc, [B])
    _answered(a, eid, [B])
    [got] = _inbox(b, eid)
    assert _status(b, got["id"], "03").status_code == 200
    with a.client() as c:
        r = c.post(f"/api/v1/exchange/outbox/{eid}/recall")
    assert r.status_code == 202, r.text
    rows = _answered(a, eid, [B], codes=("14",))
    assert rows[B]["state"] == "recalled" and "13" in [s["code"] for s in rows[B]["statuses"]]
    [frozen] = _inbox(b, eid)
    assert frozen["state"] == "recalled" and frozen["recalled_document_id"] == got["document_id"]
    with b.client() as c:
        assert c.get(f"/api/v1/documents/{got['document_id']}").status_code == 200  # the record remains
        gone = c.get(f"/api/v1/documents/{got['document_id']}/pdf")
        assert gone.status_code == 410 and "recalled" in gone.json()["detail"]
        assert c.get(f"/api/v1/exchange/inbox/{got['id']}/attachments/1").status_code == 410
    r = _status(b, got["id"], "04")
    assert r.status_code == 409 and "recalled" in r.json()["detail"]
    assert "exchange.recall" in _audit(a) and "exchange.recall" in _audit(b)

    done_doc = seed_document(a, signed_pdf, subject="Đã xong")
    eid2 = _send(a, done_doc, [B])
    _answered(a, eid2, [B])
    [got2] = _inbox(b, eid2)
    for code in ("03", "04", "05", "06"):
        assert _status(b, got2["id"], code).status_code == 200
    _answered(a, eid2, [B], codes=("06",))
    with a.client() as c:
        assert c.post(f"/api/v1/exchange/outbox/{eid2}/recall").status_code == 202
    rows = _answered(a, eid2, [B], codes=("16",))
    assert any("already completed" in r for s in rows[B]["statuses"] if s["code"] == "16" for r in s["reasons"])
    [kept] = _inbox(b, eid2)
    assert kept["state"] == "arrived" and kept["status"] == "06"


def test_update_and_replace_add_versions_and_keep_the_prior_ones(nodes, signed_pdf):
    a, b = nodes[A], nodes[B]
    doc = seed_document(a, signed_pdf, subject="Bản đầu")
    eid = _send(a, doc, [B])
    _answered(a, eid, [B])
    [first] = _inbox(b, eid)
    newer = sign_decision(a, decree30_pdf(1))
    doc2 = seed_document(a, newer, subject="Bản cập nhật")
    eid2 = _send(a, doc2, [B], business_type=2, ref_envelope_id=eid)
    _answered(a, eid2, [B])
    [update] = _inbox(b, eid2)
    assert update["document_id"] == first["document_id"]
    with b.client() as c:
        versions = c.get(f"/api/v1/documents/{first['document_id']}/versions").json()["items"]
        assert [v["kind"] for v in versions] == ["received", "received"]
        assert c.get(f"/api/v1/documents/{first['document_id']}/versions/1/pdf").content == signed_pdf
        assert c.get(f"/api/v1/documents/{first['document_id']}/pdf").content == newer
    third = sign_decision(a, decree30_pdf(2))
    doc3 = seed_document(a, third, subject="Bản thay thế")
    eid3 = _send(a, doc3, [B], business_type=3, ref_envelope_id=eid2)
    _answered(a, eid3, [B])
    [replaced] = _inbox(b, eid2)
    assert replaced["state"] == "replaced" and _status(b, replaced["id"], "03").status_code == 409
    with b.client() as c:
        versions = c.get(f"/api/v1/documents/{first['document_id']}/versions").json()["items"]
        assert len(versions) == 3 and c.get(f"/api/v1/documents/{first['document_id']}/pdf").content == third
    with a.client() as c:  # an update of an envelope never sent to that agency
        r = c.post("/api/v1/exchange/outbox", json={"document_id": doc2, "to": [C], "business_type": 2,
                                                    "ref_envelope_id": eid})
        assert r.status_code == 404 and "was not sent to" in r.json()["detail"]


def test_bad_send_requests_are_4xx_with_a_message(nodes, signed_pdf):
    a = nodes[A]
    doc = seed_document(a, signed_pdf)
    unsigned = seed_document(a, decree30_pdf(1))
    with a.client() as c:
        for body, code, why in [
            ({"document_id": "0" * 32, "to": [B]}, 404, "no document"),
            ({"document_id": doc, "to": ["000.77.77.X77"]}, 404, "not in the address book"),
            ({"document_id": doc, "to": ["not an id!"]}, 422, "not an agency identifier"),
            ({"document_id": doc, "to": [A]}, 422, "this agency itself"),
            ({"document_id": unsigned, "to": [B]}, 409, "carries no signature"),
            ({"document_id": doc, "to": [B], "business_type": 3}, 422, "ref_envelope_id"),
        ]:
            r = c.post("/api/v1/exchange/outbox", json=body)
            assert r.status_code == code and why in r.json()["detail"], (body, r.text)
        assert c.post("/api/v1/exchange/outbox/0123456789abcdef0123456789abcdef/recall").status_code == 404
        bad = c.post("/api/v1/exchange/address-book", json={"id": "X1", "endpoint": "ftp://x", "certificate_pem": "x"})
        assert bad.status_code == 422 and "http" in bad.json()["detail"]
        bad = c.post("/api/v1/exchange/address-book", json={"id": "X1", "endpoint": "http://x", "certificate_pem": "x"})
        assert bad.status_code == 422 and "certificate" in bad.json()["detail"]


def test_a_receiver_killed_while_deliveries_are_under_way_gets_each_document_exactly_once(nodes, signed_pdf):
    a, b = nodes[A], nodes[B]
    docs = [seed_document(a, signed_pdf, subject=f"Văn bản {i}") for i in range(6)]
    b.kill()  # down before anything is sent: the sender can only retry
    first = [_send(a, d, [B]) for d in docs[:3]]
    with a.client() as c:
        _until(lambda: all(r["attempts"] >= 1 for r in _outbox_rows(c, first)), "a failed attempt for each")
    b.start()
    b.wait_ready()
    rest = [_send(a, d, [B]) for d in docs[3:]]
    _until(lambda: _inbox(b, rest[0]), "the first post-restart delivery to arrive", 60)
    b.kill()  # in the middle of the second wave: some arrived, some on their way, answers possibly lost
    b.start()
    b.wait_ready()
    for eid in first + rest:
        _answered(a, eid, [B], codes=("01",))
        assert len(_inbox(b, eid)) == 1
    with a.client() as c:
        rows = _outbox_rows(c, first)
    assert all(r["state"] == "sent" and r["attempts"] >= 2 for r in rows)  # retried until it was back
    assert all(any(h["error"] for h in r["history"]) for r in rows)  # each failure recorded
    rt = Runtime(b.settings())
    try:
        from sqlalchemy import func, select

        from storage.exchange_store import ExchangeReceived

        with rt.catalog.session() as s:
            n = s.scalar(select(func.count()).select_from(ExchangeReceived).where(
                ExchangeReceived.envelope_id.in_(first + rest), ExchangeReceived.state == "arrived"))
        assert n == 6
    finally:
        rt.close()


def _outbox_rows(client, envelope_ids: list[str]) -> list[dict]:
    r = client.get("/api/v1/exchange/deliveries", params={"limit": 500})
    assert r.status_code == 200, r.text
    return [m for m in r.json()["items"] if m["envelope_id"] in envelope_ids and m["kind"] == "envelope"]
