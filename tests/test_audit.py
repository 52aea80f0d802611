"""The audit trail: a hash chain that any edit, removal or reordering breaks, appended without forks."""

from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import delete, update

from storage import audit
from storage.catalog import Catalog


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(f"sqlite:///{tmp_path / 'audit.db'}")
    yield cat
    cat.dispose()


def _fill(cat, n=5):
    for i in range(n):
        audit.record(cat, "document.upload", actor=f"user:u{i}", agency_id="000.00.00.H01",
                     subject=f"document:d{i}", detail={"name": f"hồ sơ {i}", "pages": i})


def test_a_written_chain_verifies_and_exports(catalog):
    _fill(catalog)
    report = audit.verify(catalog)
    assert report.intact and report.entries == 5 and report.head_seq == 5
    out = io.StringIO()
    assert audit.export_jsonl(catalog, out) == 5
    again = audit.verify_jsonl(out.getvalue().splitlines())
    assert again.intact and again.head_hash == report.head_hash


def test_details_are_stored_as_nfc(catalog):
    e = audit.record(catalog, "search", detail={"q": "thu\u0309 tu\u0323c"})
    assert e.detail["q"] == "thủ tục"
    assert audit.verify(catalog).intact


@pytest.mark.parametrize("tamper, kind", [
    (lambda s: s.execute(update(audit.AuditEntry).where(audit.AuditEntry.seq == 3)
                         .values(detail={"name": "hồ sơ khác", "pages": 2})), "edited"),
    (lambda s: s.execute(update(audit.AuditEntry).where(audit.AuditEntry.seq == 2).values(actor="user:someone")), "edited"),
    (lambda s: s.execute(delete(audit.AuditEntry).where(audit.AuditEntry.seq == 3)), "missing"),
    (lambda s: s.execute(delete(audit.AuditEntry).where(audit.AuditEntry.seq == 5)), "head"),
])
def test_tampering_is_detected(catalog, tamper, kind):
    _fill(catalog)
    with catalog.session() as s:
        tamper(s)
        s.commit()
    report = audit.verify(catalog)
    assert not report.intact
    assert kind in {p.kind for p in report.problems}


def test_swapping_two_entries_is_detected(catalog):
    _fill(catalog)
    with catalog.session() as s:
        a, b = s.get(audit.AuditEntry, 2), s.get(audit.AuditEntry, 3)
        fields = ("at", "actor", "agency_id", "action", "subject", "detail", "prev_hash", "hash")
        va, vb = {f: getattr(a, f) for f in fields}, {f: getattr(b, f) for f in fields}
        for f in fields:
            setattr(a, f, vb[f])
            setattr(b, f, va[f])
        s.commit()
    assert {"broken-link"} <= {p.kind for p in audit.verify(catalog).problems}


def test_rehashed_forgery_still_breaks_the_next_link(catalog):
    _fill(catalog)
    with catalog.session() as s:
        e = s.get(audit.AuditEntry, 2)
        e.detail = {"name": "giả mạo"}
        e.hash = audit.entry_hash(e.prev_hash, e.seq, audit._iso(e.at), e.actor, e.agency_id, e.action, e.subject, e.detail)
        s.commit()
    problems = audit.verify(catalog).problems
    assert [p.seq for p in problems] == [3] and problems[0].kind == "broken-link"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_appends_never_fork_the_chain(tmp_path, request, backend):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'c.db'}"
    cat = Catalog(url)
    before = audit.verify(cat).entries
    errors = []

    def work(k):
        try:
            for i in range(25):
                audit.record(cat, "verification", actor=f"public:{k}", detail={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = audit.verify(cat)
    assert report.intact, report.problems[:3]
    assert report.entries - before >= 200
    cat.dispose()


def test_query_filters_and_pages(catalog):
    _fill(catalog, 4)
    audit.record(catalog, "exchange.send", actor="user:v", subject="document:d1")
    assert [e.seq for e in audit.entries(catalog, audit.AuditQuery(subject="document:d1"))] == [2, 5]
    assert [e.action for e in audit.entries(catalog, audit.AuditQuery(action="exchange."))] == ["exchange.send"]
    assert [e.seq for e in audit.entries(catalog, audit.AuditQuery(after_seq=3), limit=1)] == [4]


def test_cli_audit_verify_catches_tampering_and_checks_exports(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path / "var")
    cat = Catalog(settings.catalog_url)
    _fill(cat, 6)
    env = {**os.environ, "SOHOA_DATA_DIR": str(settings.data_dir)}

    def sohoa(*args):
        done = subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, env=env, timeout=120)
        done.out = done.stdout + done.stderr  # messages go to stderr, --json to stdout
        return done

    ok = sohoa("audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.out
    export = tmp_path / "audit.jsonl"
    assert sohoa("audit", "export", str(export)).returncode == 0
    assert sohoa("audit", "verify", "--file", str(export)).returncode == 0
    lines = export.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["detail"]["pages"] = 99
    lines[2] = json.dumps(edited, ensure_ascii=False)
    (tmp_path / "edited.jsonl").write_text("\n".join(lines) + "\n")
    bad = sohoa("audit", "verify", "--file", str(tmp_path / "edited.jsonl"))
    assert bad.returncode == 1 and "entry 3" in bad.out

    with cat.session() as s:  # someone edits the database directly
        s.execute(update(audit.AuditEntry).where(audit.AuditEntry.seq == 4).values(action="document.view"))
        s.execute(delete(audit.AuditEntry).where(audit.AuditEntry.seq == 2))
        s.commit()
    tampered = sohoa("audit", "verify")
    assert tampered.returncode == 1 and "TAMPERED" in tampered.out
    assert "entry 4: edited" in tampered.out and "entry 3: missing" in tampered.out
    report = json.loads(sohoa("audit", "verify", "--json").stdout)
    assert not report["intact"] and {p["seq"] for p in report["problems"]} == {3, 4}
    cat.dispose()
