"""The embedded pipeline end to end: scans in, searchable PDFs in the object store out."""

from __future__ import annotations

import shutil
import subprocess

import pikepdf
import pytest
from sqlalchemy import func, select

from ingest.runtime import Runtime
from storage.catalog import Document, ScanPage
from storage.text import fold
from tests import badfiles
from tests.helpers import digitize, fake_tesseract, pdftotext, qpdf_check


def stored_pdf(rt, document_id, tmp_path):
    with rt.catalog.session() as s:
        doc = s.get(Document, document_id)
    return rt.store.copy_to(doc.pdf_sha256, tmp_path / f"{document_id}.pdf"), doc


def test_every_input_format_becomes_a_searchable_checked_pdf(rt, scans, tmp_path):
    paths = [scans["jpeg"], scans["png"], scans["tiff"], scans["pdf"]]
    status = digitize(rt, paths)
    assert status["state"] == "done", status
    assert status["pages_done"] == status["pages_total"] == 1 + 1 + 3 + 2
    for f in status["files"]:
        pdf_path, doc = stored_pdf(rt, f["document_id"], tmp_path)
        qpdf_check(pdf_path)
        with pikepdf.open(pdf_path) as pdf:
            assert len(pdf.pages) == f["pages_total"] == doc.page_count
            assert float(pdf.pdf_version) >= 1.4
            assert str(pdf.docinfo.get("/Title", "")) == doc.title
        text = pdftotext(pdf_path)
        assert "Số" in text or "CỘNG HÒA" in text or "Điều" in text, text[:300]
        # the original is kept byte for byte
        with rt.store.open(doc.source_sha256) as original:
            name = next(p for p in paths if p.name == f["filename"])
            assert original.read() == name.read_bytes()


def test_text_is_nfc_and_folded_for_search(rt, scans):
    status = digitize(rt, [scans["jpeg"]])
    with rt.catalog.session() as s:
        page = s.scalars(select(ScanPage)).one()
    import unicodedata

    assert page.text == unicodedata.normalize("NFC", page.text)
    assert page.text_folded == fold(page.text)
    assert "cong hoa xa hoi chu nghia viet nam" in page.text_folded
    assert status["files"][0]["state"] == "done"


def test_same_file_twice_is_one_document(rt, scans, tmp_path):
    copy = tmp_path / "copy-with-other-name.jpg"
    shutil.copy(scans["jpeg"], copy)
    first = digitize(rt, [scans["jpeg"]])
    second = digitize(rt, [copy, scans["jpeg"]])
    with rt.catalog.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1
        assert s.scalar(select(func.count()).select_from(ScanPage)) == 1
    assert {f["state"] for f in second["files"]} == {"duplicate"}
    assert {f["document_id"] for f in second["files"]} == {first["files"][0]["document_id"]}


def test_blank_back_side_is_flagged_and_not_ocrd(rt, scans):
    status = digitize(rt, [scans["blank"]])
    assert status["state"] == "done"
    with rt.catalog.session() as s:
        page = s.scalars(select(ScanPage)).one()
        doc = s.scalars(select(Document)).one()
    assert page.status == "blank" and page.text == "" and page.text_layer_sha256 is None
    assert any("blank" in w for w in doc.warnings)


def test_corrupt_file_in_a_good_batch_fails_alone(rt, scans, tmp_path):
    bad = badfiles.corrupt_tiff_page(tmp_path)
    status = digitize(rt, [scans["jpeg"], bad, scans["png"]])
    assert status["state"] == "partial"
    states = {f["filename"]: f for f in status["files"]}
    assert states["quyet-dinh.jpg"]["state"] == "done"
    assert states["cong-van.png"]["state"] == "done"
    assert states["two-pages.tif"]["state"] == "failed"
    assert "page 2" in states["two-pages.tif"]["error"]
    with rt.catalog.session() as s:
        docs = list(s.scalars(select(Document)))
    assert len(docs) == 2  # nothing partial of the broken TIFF is visible


@pytest.mark.parametrize(
    "make",
    [badfiles.zero_byte, badfiles.not_a_scan, badfiles.encrypted_pdf, badfiles.no_pages_pdf, badfiles.one_pixel, badfiles.decompression_bomb],
)
def test_hostile_file_beside_a_good_one_is_reported_and_leaves_nothing(rt, scans, tmp_path, make):
    bad = make(tmp_path)
    status = digitize(rt, [bad, scans["jpeg"]])
    bad_row = status["files"][0]
    assert bad_row["state"] == "failed" and bad_row["error"]
    assert bad_row["document_id"] is None and bad_row["sha256"] is None  # not even stored
    assert status["files"][1]["state"] == "done"
    with rt.catalog.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1


def test_truncated_jpeg_fails_with_the_reason_and_no_document(rt, tmp_path):
    status = digitize(rt, [badfiles.truncated_jpeg(tmp_path)])
    f = status["files"][0]
    assert status["state"] == "failed" and f["state"] == "failed"
    assert "truncated" in f["error"]
    with rt.catalog.session() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 0


@pytest.mark.parametrize("behaviour, message", [("crash", "crashed"), ("hang", "longer than")])
def test_tesseract_crash_or_timeout_on_a_page_keeps_the_page_image(tmp_path, scans, behaviour, message):
    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", jobs=1, tesseract_cmd=fake_tesseract(tmp_path, behaviour), tesseract_timeout=3)
    rt = Runtime(settings)
    status = digitize(rt, [scans["jpeg"]])
    assert status["state"] == "done"
    with rt.catalog.session() as s:
        page = s.scalars(select(ScanPage)).one()
        doc = s.scalars(select(Document)).one()
    assert page.status == "ocr_failed" and message in page.error
    assert page.image_sha256 and doc.page_count == 1
    assert any("text not recognised" in w for w in doc.warnings)
    rt.close()


def test_pdfa_output(tmp_path, scans):
    from ingest.settings import Settings

    rt = Runtime(Settings(data_dir=tmp_path / "var", jobs=2, pdfa=True))
    status = digitize(rt, [scans["png"]])
    path, doc = stored_pdf(rt, status["files"][0]["document_id"], tmp_path)
    assert doc.pdfa
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        assert "/OutputIntents" in pdf.Root
    qpdf_check(path)
    rt.close()


def test_page_images_keep_colour_at_200_dpi_and_are_upright(rt, tmp_path):
    from bench.synthetic import generate_page, write_scan

    page = next(p for seed in range(100, 200) if (p := generate_page(seed, tier="hard", kind="quyet_dinh")).rotation)
    path = write_scan([page], tmp_path / "rotated.jpg")
    status = digitize(rt, [path])
    with rt.catalog.session() as s:
        sp = s.scalars(select(ScanPage)).one()
    assert sp.rotation == page.rotation
    assert sp.height_px > sp.width_px  # upright A4 portrait
    assert abs(sp.dpi - 200) < 1
    pdf_path, _doc = stored_pdf(rt, status["files"][0]["document_id"], tmp_path)
    listing = subprocess.run(["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    row = listing.splitlines()[2].split()
    assert row[5] == "rgb" and int(row[12]) >= 199  # colour, x-ppi


def test_pdf_that_already_has_a_text_layer_is_recognised_again_not_doubled(rt, scans, tmp_path):
    from ingest.settings import Settings

    first = digitize(rt, [scans["pdf"]])
    searchable, _doc = stored_pdf(rt, first["files"][0]["document_id"], tmp_path)
    assert pdftotext(searchable).strip()  # it has a text layer
    rt2 = Runtime(Settings(data_dir=tmp_path / "again", jobs=2))
    second = digitize(rt2, [searchable])
    assert second["state"] == "done"
    again, _doc2 = stored_pdf(rt2, second["files"][0]["document_id"], tmp_path)
    old, new = pdftotext(searchable), pdftotext(again)
    assert abs(len(new) - len(old)) < 0.1 * len(old)  # the old invisible text was not kept beside the new
    with rt.catalog.session() as s1, rt2.catalog.session() as s2:
        t1 = [p.text for p in s1.scalars(select(ScanPage).order_by(ScanPage.number))]
        t2 = [p.text for p in s2.scalars(select(ScanPage).order_by(ScanPage.number))]
    from rapidfuzz.distance import Levenshtein

    assert all(Levenshtein.normalized_distance(a, b) < 0.05 for a, b in zip(t1, t2))
    rt2.close()


def test_documents_are_typed_and_their_fields_extracted(rt, tmp_path):
    from bench.synthetic import generate_page, write_scan

    page = generate_page(61, tier="office", kind="quyet_dinh")
    status = digitize(rt, [write_scan([page], tmp_path / "qd.jpg")])
    with rt.catalog.session() as s:
        doc = s.scalars(select(Document)).one()
    assert doc.doc_type == "quyet_dinh" and doc.type_confidence >= 0.9 and not doc.needs_review
    fields = doc.fields["fields"]
    assert fields["number_symbol"]["value"] == page.meta["number"]
    assert fields["issue_date"]["value"] == page.meta["issue_date"]
    pdf, _ = stored_pdf(rt, status["files"][0]["document_id"], tmp_path)
    with pikepdf.open(pdf) as p:
        assert str(p.docinfo["/Title"]).startswith(page.meta["subject"][:20])
