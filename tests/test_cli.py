"""`sohoa digitize`, `sohoa watch` and the three doors giving the same documents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from ingest.runner import EmbeddedRunner
from ingest.runtime import Runtime
from ingest.settings import Settings
from ingest.watch import FolderWatcher
from storage.catalog import Document, ScanPage
from tests import badfiles
from tests.helpers import staff

SOHOA = [sys.executable, "-m", "api.cli"]


def run_cli(args, data_dir: Path, **kw):
    env = {**os.environ, "SOHOA_DATA_DIR": str(data_dir), "SOHOA_JOBS": "2"}
    return subprocess.run(SOHOA + args, capture_output=True, text=True, env=env, timeout=600, **kw)


def test_digitize_writes_pdfs_and_reports(tmp_path, scans):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(scans["jpeg"], folder)
    shutil.copy(scans["pdf"], folder)
    out = tmp_path / "out"
    r = run_cli(["digitize", str(folder), "--out", str(out)], tmp_path / "var")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["ket-qua.json", "ket-qua.pdf", "quyet-dinh.json", "quyet-dinh.pdf"]
    import json

    record = json.loads((out / "quyet-dinh.json").read_text(encoding="utf-8"))
    assert record["type"] == "quyet_dinh" and record["page_count"] == 1
    number = record["metadata"]["fields"]["number_symbol"]
    assert "/QĐ-" in number["value"] and number["page"] == 1 and len(number["box"]) == 4
    assert "3/3" in r.stderr  # the progress bar counted every page


def test_digitize_bad_input_exits_non_zero_with_the_reason(tmp_path, scans):
    bad = badfiles.encrypted_pdf(tmp_path)
    r = run_cli(["digitize", str(bad)], tmp_path / "var")
    assert r.returncode == 1 and "encrypted" in r.stderr
    r = run_cli(["digitize", str(bad), str(scans["jpeg"])], tmp_path / "var")
    assert r.returncode == 1 and "encrypted" in r.stdout + r.stderr
    r = run_cli(["digitize", str(tmp_path / "missing.jpg")], tmp_path / "var")
    assert r.returncode == 2 and "no such file" in r.stderr


def _watcher(rt, folder, settle=0.3):
    return FolderWatcher(rt, EmbeddedRunner(rt), folder, settle_s=settle, interval_s=0.1)


def test_watch_waits_for_a_file_to_settle_then_files_it(rt, scans, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    w = _watcher(rt, drop, settle=0.5)
    partial = drop / "scan.jpg"
    data = scans["jpeg"].read_bytes()
    partial.write_bytes(data[:1000])  # the scanner is still writing
    assert w.poll_once() == 0
    time.sleep(0.3)
    with open(partial, "ab") as f:
        f.write(data[1000:])
    assert w.poll_once() == 0  # it changed: the clock restarts
    time.sleep(0.6)
    assert w.poll_once() == 1
    assert (drop / "done" / "scan.jpg").read_bytes() == data
    assert not any((drop / ".processing").iterdir())


def test_watch_moves_bad_files_to_failed_with_the_reason(rt, scans, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    w = _watcher(rt, drop, settle=0.1)
    badfiles.encrypted_pdf(drop)
    shutil.copy(scans["jpeg"], drop)
    time.sleep(0.05)
    w.poll_once()
    time.sleep(0.2)
    assert w.poll_once() == 2
    assert (drop / "done" / "quyet-dinh.jpg").exists()
    assert "encrypted" in (drop / "failed" / "encrypted.pdf.error.txt").read_text()
    assert (drop / "failed" / "encrypted.pdf").exists()


def test_watch_survives_a_restart_without_losing_or_repeating_a_file(tmp_path, scans):
    drop = tmp_path / "drop"
    drop.mkdir()
    settings = Settings(data_dir=tmp_path / "var", jobs=2)
    # first run: claims the file and records its batch, then "crashes" before finishing it
    rt1 = Runtime(settings)
    w1 = _watcher(rt1, drop)
    shutil.copy(scans["tiff"], drop)
    from ingest.intake import Incoming, intake

    claimed = drop / ".processing" / "ho-so.tif"
    os.rename(drop / "ho-so.tif", claimed)
    batch = intake(rt1, [Incoming(claimed, claimed.name)], source="watch")
    (drop / ".processing" / "ho-so.tif.batch").write_text(batch.id)
    rt1.close()
    # second run picks it up
    rt2 = Runtime(settings)
    w2 = _watcher(rt2, drop)
    assert w2.resume() == 1
    assert (drop / "done" / "ho-so.tif").exists()
    assert not any((drop / ".processing").iterdir())
    # a third start finds nothing to do, and the file became exactly one document
    assert _watcher(rt2, drop).resume() == 0
    with rt2.catalog.session() as s:
        assert len(s.scalars(select(Document)).all()) == 1
        assert len(s.scalars(select(ScanPage)).all()) == 3
    w1.runner.close(), w2.runner.close()
    rt2.close()


def test_three_doors_produce_the_same_documents(tmp_path, scans):
    """CLI, watched folder and API, each on its own store, give identical pages and text."""

    def pages(data_dir):
        rt = Runtime(Settings(data_dir=data_dir))
        with rt.catalog.session() as s:
            doc = s.scalars(select(Document)).one()
            rows = s.scalars(select(ScanPage).order_by(ScanPage.number)).all()
            out = (doc.page_count, doc.source_sha256, [(p.image_sha256, p.text, p.status) for p in rows])
        rt.close()
        return out

    # door 1: CLI
    assert run_cli(["digitize", str(scans["tiff"])], tmp_path / "cli").returncode == 0
    # door 2: watched folder
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(scans["tiff"], drop)
    r = run_cli(["watch", str(drop), "--once", "--settle", "0.2", "--interval", "0.1"], tmp_path / "watch")
    assert r.returncode == 0, r.stderr
    assert (drop / "done" / "ho-so.tif").exists()
    # door 3: API
    settings = Settings(data_dir=tmp_path / "api", jobs=2)
    with staff(TestClient(create_app(settings))) as client:
        body = client.post("/api/v1/batches", files=[("files", ("ho-so.tif", scans["tiff"].read_bytes()))]).json()
        deadline = time.monotonic() + 300
        while client.get(f"/api/v1/batches/{body['id']}").json()["state"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.3)
    a, b, c = pages(tmp_path / "cli"), pages(tmp_path / "watch"), pages(tmp_path / "api")
    assert a == b == c
    assert a[0] == 3


@pytest.mark.parametrize("cmd", [["config"], ["doctor"]])
def test_operator_commands(tmp_path, cmd):
    r = run_cli(cmd, tmp_path / "var")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SOHOA_DATA_DIR" in r.stdout or "tesseract" in r.stdout  # doctor: its table goes to stdout
