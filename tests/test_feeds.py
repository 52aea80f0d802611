"""A whole dossier through the feeder: one scan cut into documents, through the real pipeline and the API."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from bench.synthetic import SyntheticPage, generate_document, generate_page, write_scan
from ingest.separator import render_separator_sheet
from storage.catalog import Document, Dossier
from tests.helpers import digitize, wait_for_batch, staff

DOSSIER = "000.00.12.H01-241125-0007"


def separator(code: str | None) -> SyntheticPage:
    img = render_separator_sheet(code, dpi=300).convert("RGB")
    return SyntheticPage(img, 300, "", "separator", "clean", 0, 0.0, {"code": code})


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    """separator(dossier) · 2-page quyết định · blank back · công văn · separator(generic) · đơn đề nghị."""
    pages = ([separator(DOSSIER)] + generate_document(301, tier="office", pages=2)
             + [generate_page(302, "office", "blank"), generate_page(303, "clean", "cong_van"), separator(None),
                generate_page(304, "office", "don_de_nghi")])
    path = tmp_path_factory.mktemp("feed") / "ho-so.pdf"
    return write_scan(pages, path)


def test_a_feed_becomes_documents_with_its_split_recorded(rt, feed):
    status = digitize(rt, [feed])
    assert status["state"] == "done", status
    f = status["files"][0]
    split = f["split"]
    assert [s["pages"] for s in split["segments"]] == [[2, 3], [5], [7]]
    assert split["blank_pages"] == [4] and split["separator_pages"] == [1, 6]
    docs = f["documents"]
    assert [d["part"] for d in docs] == [1, 2, 3]
    assert [d["page_count"] for d in docs] == [2, 1, 1]
    assert [d["type"] for d in docs][1:] == ["cong_van", "don_de_nghi"]
    assert all(d["dossier"] == DOSSIER for d in docs)
    with rt.catalog.session() as s:
        dossier = s.get(Dossier, DOSSIER)
        assert dossier is not None and dossier.agency_id == "000.00.12.H01" and dossier.sequence == 7
        assert len(s.scalars(select(Document)).all()) == 3

    again = digitize(rt, [feed])  # the same feed again is the same documents
    assert again["files"][0]["state"] == "duplicate"
    assert [d["id"] for d in again["files"][0]["documents"]] == [d["id"] for d in docs]


def test_digitize_out_writes_each_document_and_the_split(tmp_path, feed, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from ingest.settings import get_settings

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["digitize", str(feed), "--out", str(out), "--jobs", "2"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == ["ho-so-01.pdf", "ho-so-02.pdf", "ho-so-03.pdf"]
    split = json.loads((out / "ho-so.split.json").read_text(encoding="utf-8"))
    assert split["blank_pages"] == [4] and [d["file"] for d in split["documents"]] == ["ho-so-01.pdf", "ho-so-02.pdf", "ho-so-03.pdf"]
    record = json.loads((out / "ho-so-02.json").read_text(encoding="utf-8"))
    assert record["type"] == "cong_van" and record["dossier"] == DOSSIER and record["source_pages"] == [5]
    number = record["metadata"]["fields"]["number_symbol"]
    assert number["value"] and number["page"] == 1 and len(number["box"]) == 4


def test_clerk_corrects_the_split_through_the_api(settings, feed):
    with staff(TestClient(create_app(settings))) as client:
        r = client.post("/api/v1/batches", files=[("files", ("ho-so.pdf", feed.read_bytes(), "application/pdf"))])
        done = wait_for_batch(client, r.json()["id"])
        first, second, third = (d["id"] for d in done["files"][0]["documents"])

        merged = client.patch(f"/api/v1/documents/{first}", json={"merge_next": True, "by": "clerk-2"})
        assert merged.status_code == 200, merged.text
        assert [d["page_count"] for d in merged.json()["documents"]] == [3]
        assert client.get(f"/api/v1/documents/{second}").json()["state"] == "superseded"
        assert client.get(f"/api/v1/documents/{third}").json()["part"] == 2
        listing = client.get("/api/v1/documents").json()
        assert listing["total"] == 2
        assert len(client.get(f"/api/v1/documents/{first}/pdf").content) > 0

        cut = client.patch(f"/api/v1/documents/{first}", json={"split_at": 3, "by": "clerk-2"})
        assert cut.status_code == 200, cut.text
        parts = cut.json()["documents"]
        assert [d["page_count"] for d in parts] == [2, 1] and parts[1]["type"] == "cong_van"
        assert client.get(f"/api/v1/documents/{third}").json()["part"] == 3
        detail = client.get(f"/api/v1/documents/{first}").json()
        assert detail["source_pages"] == [2, 3] and detail["split"]["corrected"]
        hist = [h["field"] for h in client.get(f"/api/v1/documents/{first}/history").json()["items"]]
        assert hist == ["split", "split"]

        bad = client.patch(f"/api/v1/documents/{parts[1]['id']}", json={"split_at": 2})
        assert bad.status_code == 422 and "split at page 2 to 1" in bad.json()["detail"]
        assert client.patch(f"/api/v1/documents/{second}", json={"merge_next": True}).status_code == 422
        both = client.patch(f"/api/v1/documents/{first}", json={"merge_next": True, "type": "khac"})
        assert both.status_code == 422

        found = client.get("/api/v1/documents", params={"q": DOSSIER}).json()
        assert found["total"] == 3  # the dossier code finds its documents: metadata is searchable


def test_duplex_feed_is_collated(rt, tmp_path):
    fronts = generate_document(311, tier="clean", pages=2) + [generate_page(312, "clean", "thong_bao")]
    backs = [generate_page(313 + i, "office", "blank") for i in range(3)]
    path = write_scan(fronts + backs[::-1], tmp_path / "duplex.tif")
    from ingest.intake import Incoming, intake
    from ingest.runner import EmbeddedRunner
    from ingest.status import batch_status

    batch = intake(rt, [Incoming(path, path.name)], source="cli", collate="duplex")
    runner = EmbeddedRunner(rt)
    try:
        runner.run(batch.id)
    finally:
        runner.close()
    f = batch_status(rt, batch.id)["files"][0]
    assert f["split"]["segments"][0]["pages"] == [1, 2] and f["split"]["segments"][1]["pages"] == [3]
    assert sorted(f["split"]["blank_pages"]) == [4, 5, 6]
    odd = write_scan(fronts, tmp_path / "odd.tif")
    from ingest.intake import IntakeError

    with pytest.raises(IntakeError) as exc:
        intake(rt, [Incoming(odd, odd.name)], source="cli", collate="duplex")
    assert "even number of pages" in exc.value.errors[0]["error"]


def test_the_hot_folder_cuts_the_same_feed_the_same_way(rt, feed, tmp_path):
    import shutil
    import time

    from ingest.runner import EmbeddedRunner
    from ingest.watch import FolderWatcher

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(feed, drop / "ho-so.pdf")
    watcher = FolderWatcher(rt, EmbeddedRunner(rt), drop, settle_s=0.1, interval_s=0.1)
    watcher.poll_once()
    time.sleep(0.2)
    assert watcher.poll_once() == 1
    assert (drop / "done" / "ho-so.pdf").exists()
    with rt.catalog.session() as s:
        docs = s.scalars(select(Document).where(Document.state == "visible").order_by(Document.part)).all()
        assert [d.page_count for d in docs] == [2, 1, 1] and {d.dossier_code for d in docs} == {DOSSIER}


def test_a_qr_code_that_is_no_separator_does_not_cut_a_document(rt, tmp_path):
    page = generate_page(321, "office", "giay_chung_nhan", qr=True)
    assert page.meta.get("qr")
    status = digitize(rt, [write_scan([page], tmp_path / "gcn.jpg")])
    f = status["files"][0]
    assert status["state"] == "done" and len(f["documents"]) == 1
    assert f["split"]["separator_pages"] == [] and f["documents"][0]["dossier"] is None
    with rt.catalog.session() as s:
        from storage.catalog import ScanPage

        codes = s.scalars(select(ScanPage)).one().signals["codes"]
    assert [c["text"] for c in codes] == [page.meta["qr"]] and codes[0]["role"] is None


def test_a_feed_of_only_blank_pages_lands_as_one_flagged_document(rt, tmp_path):
    path = write_scan([generate_page(331 + i, "office", "blank") for i in range(3)], tmp_path / "trang.tif")
    status = digitize(rt, [path])
    f = status["files"][0]
    assert status["state"] == "done" and len(f["documents"]) == 1
    assert f["documents"][0]["needs_review"] and f["split"]["blank_pages"] == [1, 2, 3]
