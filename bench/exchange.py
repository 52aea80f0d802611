"""Exchange throughput: signed documents sent between two local sohoa instances, validated on receipt, answered 01.

Usage: .venv/bin/python bench/exchange.py [--docs 1000] [--workers 2] [--senders 4] [--work DIR] [--out FILE]

Two instances (bench/exchange_nodes.py) run as uvicorn processes with ``--workers`` workers each, their own
SQLite catalogue and object store, agency keys from the test PKI (bench/testpki: OCSP and TSA on 127.0.0.1, in
a process of its own) and address books pointing at each other. ``--docs`` distinct 2-page Decree 30 decisions
are signed (PAdES B-B, the personal key) and put in the sender's catalogue beforehand — that is the input, not
the measured path. Then every document is posted to the sender's ``/api/v1/exchange/outbox`` by ``--senders``
threads; each is signed into an envelope, delivered by the sender's outbox threads to the receiver's inbox,
which checks the schema, the envelope signature against the anchors and the address book, every PDF
signature (``signing.validate.Validator``, revocation fetched from the test PKI), stores the document and
answers a signed 01 that the sender verifies and records.

Figures:
  documents per minute end to end  N / (last 01 recorded at the sender − first POST)
  delivery latency p50/p95          POST accepted → 01 recorded at the sender, per document: for the burst (all N
                                    posted at once, so mostly queueing) and for ``--paced`` more sent afterwards at
                                    the target rate, one every 0.5 s
  CPU per document                  both instances' process trees, all workers, over the run, divided by N; split
                                    into signing (envelope + status message), validation (envelope and status
                                    signatures, PDF signatures) and transport (the rest: HTTP, XML, catalogue, store),
                                    the first two measured by running the same calls in this process on a sample
A table is printed, with the ratio against the target of 120 documents per minute, and everything is written to
bench/results/exchange.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))  # before bench/, whose signing.py would shadow the signing package

import psutil  # noqa: E402

from bench.exchange_nodes import Node, introduce, seed_document  # noqa: E402
from bench.testpki.samples import PASSPHRASE_ENV, decree30_pdf  # noqa: E402

TARGET_PER_MINUTE = 120.0
CORES = os.cpu_count() or 1
A, B = "000.00.00.H41", "000.00.01.H41"
SAMPLE = 20  # documents whose signing and validation are re-run in this process to split the CPU


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _cpu_self() -> float:
    t = os.times()
    return t.user + t.system


def keyring(pki, chain: list[Path], folder: Path) -> Path:
    """The agency key (sender's envelopes), the personal key (the documents' signatures, the receiver's
    answers): both PKCS#12 over the test PKI, with the intermediate to embed."""
    folder.mkdir(parents=True, exist_ok=True)
    chain_line = f'chain = ["{chain[0]}"]' if chain else ""
    text = "".join(f'''[signers.{sid}]
role = "{role}"
pkcs12 = "{pki.p12(label)}"
passphrase_env = "{PASSPHRASE_ENV}"
{chain_line}

''' for sid, label, role in (("van-thu", "agency", "agency"), ("chu-tich", "personal", "personal")))
    path = folder / "keyring.toml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare(node: Node, n: int) -> tuple[list[str], float]:
    """Sign ``n`` distinct decisions and put them in the sender's catalogue; (document ids, CPU s per signature)."""
    from ingest.runtime import Runtime
    from ingest.signatures import sign_pdf, signer_spec

    rt = Runtime(node.settings())
    try:
        spec = signer_spec(rt, "chu-tich")
        base = decree30_pdf(2)
        ids, cpu = [], 0.0
        for i in range(n):
            pdf = base + f"% sohoa bench document {i}\n".encode()  # distinct bytes, still a PDF
            before = _cpu_self()
            signed = sign_pdf(rt, pdf, spec, role="personal", level="B-B", appearance="none")
            cpu += _cpu_self() - before
            ids.append(seed_document(node, signed, number=f"{i + 1}/QĐ-UBND", subject=f"Văn bản thử số {i + 1}", rt=rt))
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{n} documents signed", flush=True)
        return ids, cpu / max(1, n)
    finally:
        rt.close()


def split_cpu(sender: Node, receiver: Node, doc_ids: list[str]) -> dict:
    """The receiver's and sender's cryptographic work, re-run here on a sample: CPU seconds per document."""
    from ingest import envelope as E
    from ingest.exchange import header_from_document
    from ingest.runtime import Runtime
    from signing.keys import load_keyring, open_signer
    from signing.trust import load_anchors
    from signing.validate import Validator
    from storage.catalog import Document

    ring = load_keyring(sender.keyring)
    a_key, b_key = open_signer(ring[sender.signer]), open_signer(ring[receiver.signer])
    anchors = load_anchors(sender.pki.trust_bundle)
    validator = Validator(sender.pki.trust_bundle, online=True)
    rt = Runtime(sender.settings())
    t = {"envelope_sign": 0.0, "status_sign": 0.0, "envelope_verify": 0.0, "status_verify": 0.0, "pdf_validate": 0.0}
    try:
        sample = doc_ids[:SAMPLE]
        for doc_id in sample:
            with rt.catalog.session() as s:
                doc = s.get(Document, doc_id)
                fields, sha = header_from_document(doc), doc.pdf_sha256
            pdf = rt.store.get_bytes(sha)
            h = E.Header(sender=E.Organ(A), to=[E.Organ(B)], document_id=f"{A},{doc_id}", **fields)
            c0 = _cpu_self()
            data = E.write_envelope(E.Envelope(h, [E.Attachment("qd.pdf", "application/pdf", pdf, "document")]), a_key)
            c1 = _cpu_self()
            E.verify(E.parse(data), anchors, a_key.signing_cert.dump())
            c2 = _cpu_self()
            report = validator.validate(pdf)
            assert report.verdict == "TOTAL_PASSED", report.summary
            c3 = _cpu_self()
            st = E.write_status(E.Status(h.message_id, E.Organ(B), E.Organ(A), "01"), b_key)
            c4 = _cpu_self()
            E.verify(E.parse(st), anchors, b_key.signing_cert.dump())
            c5 = _cpu_self()
            for k, v in zip(t, (c1 - c0, c4 - c3, c2 - c1, c5 - c4, c3 - c2)):
                t[k] += v
    finally:
        rt.close()
    return {k: v / len(sample) for k, v in t.items()}


def run(args, work: Path) -> dict:
    from bench.signing import _quiet_logs, pki_process
    from ingest.runtime import Runtime
    from storage.exchange_store import ExchangeSent

    _quiet_logs()
    with pki_process(work / "pki") as (pki, chain):
        os.environ[PASSPHRASE_ENV] = pki.passphrase.decode()
        ring = keyring(pki, chain, work / "keys")
        extra = {"SOHOA_EXCHANGE_INTERVAL_SECONDS": "1"}
        a = Node(A, "Ủy ban nhân dân tỉnh Thử Nghiệm", "van-thu", work / "a", ring, pki, workers=args.workers,
                 extra_env=extra)
        b = Node(B, "Sở Nội vụ", "chu-tich", work / "b", ring, pki, workers=args.workers, extra_env=extra)
        print(f"signing {args.docs + args.paced} two-page decisions for the sender's catalogue ...", flush=True)
        all_ids, pdf_sign_cpu = prepare(a, args.docs + args.paced)
        doc_ids, paced_ids = all_ids[:args.docs], all_ids[args.docs:]
        try:
            for n in (a, b):
                n.start()
            for n in (a, b):
                n.wait_ready()
            introduce([a, b])
            # one document through first: workers open keys, schemas and connections before the clock starts
            warm = seed_document(a, _signed_one(a))
            with a.client() as c:
                eid = c.post("/api/v1/exchange/outbox", json={"document_id": warm, "to": [B]}).json()["envelope_id"]
            rt_a = Runtime(a.settings())
            _wait_all(rt_a, [eid], 120)

            cpu0 = _tree_cpu(a.proc.pid) + _tree_cpu(b.proc.pid)
            started = time.perf_counter()
            t0 = datetime.now(timezone.utc)
            print(f"sending {args.docs} documents from {A} to {B} ({args.workers} workers each, "
                  f"{args.senders} clients posting) ...", flush=True)
            envelope_ids: list[str] = []
            with ThreadPoolExecutor(args.senders) as pool, a.client() as c:
                def post(doc_id):
                    r = c.post("/api/v1/exchange/outbox", json={"document_id": doc_id, "to": [B]})
                    r.raise_for_status()
                    return r.json()["envelope_id"]
                envelope_ids = list(pool.map(post, doc_ids))
            posted = time.perf_counter() - started
            print(f"  all posted in {posted:.1f} s; waiting for every 01 ...", flush=True)
            _wait_all(rt_a, envelope_ids, 120 + args.docs)
            elapsed = time.perf_counter() - started
            cpu = _tree_cpu(a.proc.pid) + _tree_cpu(b.proc.pid) - cpu0
            with rt_a.catalog.session() as s:
                rows = list(s.query(ExchangeSent).filter(ExchangeSent.envelope_id.in_(envelope_ids)))
            paced_rows = []
            if paced_ids:
                gap = 60.0 / TARGET_PER_MINUTE
                print(f"sending {len(paced_ids)} more, one every {gap:.1f} s (the target rate), for their latency ...",
                      flush=True)
                paced_envelopes = []
                with a.client() as c:
                    t_next = time.perf_counter()
                    for doc_id in paced_ids:
                        time.sleep(max(0.0, t_next - time.perf_counter()))
                        t_next += gap
                        r = c.post("/api/v1/exchange/outbox", json={"document_id": doc_id, "to": [B]})
                        r.raise_for_status()
                        paced_envelopes.append(r.json()["envelope_id"])
                _wait_all(rt_a, paced_envelopes, 120 + len(paced_envelopes))
                with rt_a.catalog.session() as s:
                    paced_rows = list(s.query(ExchangeSent).filter(ExchangeSent.envelope_id.in_(paced_envelopes)))
            rt_a.close()
            rt_b = Runtime(b.settings())
            from sqlalchemy import func, select

            from storage.exchange_store import ExchangeReceived
            with rt_b.catalog.session() as s:
                arrived = s.scalar(select(func.count()).select_from(ExchangeReceived).where(
                    ExchangeReceived.state == "arrived", ExchangeReceived.envelope_id.in_(envelope_ids)))
            rt_b.close()
            print("re-running the cryptographic steps on a sample to split the CPU ...", flush=True)
            split = split_cpu(a, b, doc_ids)
        finally:
            for n in (a, b):
                n.stop()

    def utc(dt):
        return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt

    def spread(rows_):
        lat = sorted((utc(r.updated_at) - utc(r.created_at)).total_seconds() for r in rows_)
        return {"p50": round(statistics.median(lat), 3), "p95": round(lat[int(0.95 * (len(lat) - 1))], 3),
                "max": round(lat[-1], 3)} if lat else None

    first = min(utc(r.created_at) for r in rows)
    last = max(utc(r.updated_at) for r in rows)
    span = (last - t0).total_seconds()
    per_minute = len(rows) / span * 60 if span > 0 else 0.0
    cpu_doc = cpu / len(rows)
    signing = split["envelope_sign"] + split["status_sign"]
    validation = split["envelope_verify"] + split["status_verify"] + split["pdf_validate"]
    report = {
        "bench": "exchange",
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": CORES, "python": platform.python_version(), "platform": platform.platform()},
        "docs": len(rows), "workers_per_instance": args.workers, "posting_clients": args.senders,
        "delivered_01": sum(r.status == "01" for r in rows), "arrived_at_receiver": arrived,
        "documents_per_minute": round(per_minute, 1),
        "target_per_minute": TARGET_PER_MINUTE, "ratio_to_target": round(per_minute / TARGET_PER_MINUTE, 2),
        "seconds": {"end_to_end": round(span, 2), "posting": round(posted, 2), "wall": round(elapsed, 2),
                    "first_queued_after_start": round((first - t0).total_seconds(), 3)},
        "latency_seconds": spread(rows),
        "latency_seconds_at_target_rate": spread(paced_rows),
        "paced_docs": len(paced_rows), "paced_delivered_01": sum(r.status == "01" for r in paced_rows),
        "cpu_seconds_per_document": {
            "total_both_instances": round(cpu_doc, 4),
            "signing": round(signing, 4), "validation": round(validation, 4),
            "transport": round(max(0.0, cpu_doc - signing - validation), 4),
            "detail": {k: round(v, 4) for k, v in split.items()},
            "pdf_signature_before_sending": round(pdf_sign_cpu, 4),
        },
        "cpu_bound_ceiling_per_minute": round(CORES * 60 / cpu_doc, 1) if cpu_doc else None,
        "method": {
            "input": "distinct 2-page Decree 30 decisions, PAdES B-B by the personal key, signed before the clock starts",
            "path": "POST /outbox → envelope signed (agency key) → outbox thread → POST receiver /inbox → schema, "
                    "envelope signature (anchors + address book, OCSP online soft-fail), every PDF signature "
                    "(Validator, OCSP online) → stored → signed 01 → verified and recorded by the sender",
            "latency": "ExchangeSent.created_at (queued) to its updated_at (01 recorded), per document; latency_seconds "
                       "is the burst (every document posted at once: mostly time waiting in the queue), "
                       "latency_seconds_at_target_rate the paced documents posted one every 0.5 s after it",
            "cpu_split": f"signing and validation re-run in the bench process on {SAMPLE} documents; transport = the "
                         "instances' measured CPU per document minus those",
            "pki": "the test PKI's OCSP responder and TSA run in a process of their own, not counted",
        },
    }
    return report


def _signed_one(node: Node) -> bytes:
    from bench.exchange_nodes import sign_decision

    return sign_decision(node, decree30_pdf(2))


def _wait_all(rt, envelope_ids: list[str], timeout: float) -> None:
    from sqlalchemy import func, select

    from storage.exchange_store import ExchangeSent

    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        with rt.catalog.session() as s:
            done = s.scalar(select(func.count()).select_from(ExchangeSent).where(
                ExchangeSent.envelope_id.in_(envelope_ids), ExchangeSent.state.in_(("delivered", "rejected", "dead"))))
        if done >= len(envelope_ids):
            return
        if done // 100 != last // 100 and len(envelope_ids) > 1:
            print(f"  {done}/{len(envelope_ids)} answered", flush=True)
        last = done
        time.sleep(0.5)
    raise RuntimeError(f"only {last} of {len(envelope_ids)} documents were answered within {timeout:.0f} s")


def print_table(r: dict) -> None:
    c = r["cpu_seconds_per_document"]
    print()
    print(f"exchange bench: {r['docs']} documents, {r['workers_per_instance']} workers per instance, {CORES} cores")
    print(f"  answered 01                   {r['delivered_01']}/{r['docs']} (arrived at the receiver: {r['arrived_at_receiver']})")
    print(f"  documents per minute          {r['documents_per_minute']:.1f}  (target {TARGET_PER_MINUTE:.0f}: "
          f"ratio {r['ratio_to_target']:.2f})")
    for label, key in (("burst", "latency_seconds"), ("at 120/min", "latency_seconds_at_target_rate")):
        lat = r[key]
        if lat:
            print(f"  latency p50/p95/max {label:<11}{lat['p50']:.2f} / {lat['p95']:.2f} / {lat['max']:.2f} s")
    print(f"  CPU per document              {c['total_both_instances'] * 1000:.0f} ms: signing {c['signing'] * 1000:.0f}, "
          f"validation {c['validation'] * 1000:.0f}, transport {c['transport'] * 1000:.0f}")
    print("  of which                      " + ", ".join(f"{k} {v * 1000:.0f}" for k, v in c["detail"].items()) + " ms")
    print(f"  CPU-bound ceiling             {r['cpu_bound_ceiling_per_minute']} documents per minute")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000, help="documents to send (default 1000)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers per instance")
    ap.add_argument("--senders", type=int, default=4, help="threads posting to the sender's outbox")
    ap.add_argument("--paced", type=int, default=60, help="documents sent afterwards at the target rate, for latency")
    ap.add_argument("--work", type=Path, default=None, help="work directory (default: a fresh temporary one)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "exchange.json")
    args = ap.parse_args()
    if args.docs < SAMPLE:
        ap.error(f"--docs must be at least {SAMPLE}")
    work = args.work or Path(tempfile.mkdtemp(prefix="sohoa-bench-exchange-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(report)
    print(f"written {args.out}")
    return 0 if report["delivered_01"] == report["docs"] and report["paced_delivered_01"] == report["paced_docs"] else 1


if __name__ == "__main__":
    sys.exit(main())
