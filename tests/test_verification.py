"""Verification codes, the public /verify page, upload-to-verify and share links — what a stranger holding a
QR code, a typed code, a file or a link can learn, and nothing more."""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from ingest import signatures, verification
from ingest.settings import Settings
from ingest.verification import ALPHABET, CodeError, new_code, parse_code
from storage.catalog import Document, DocumentVersion, Result, Tombstone
from tests.signing_helpers import decree30_pdf
from tests.helpers import staff

HOLDER_ID = "001090012345"
HOLDER = "Trần Văn Cường"


# --- codes --------------------------------------------------------------------------------------------------


def test_codes_are_grouped_random_and_read_forgivingly():
    code = new_code()
    assert len(code) == 19 and [len(g) for g in code.split("-")] == [4, 4, 4, 4]
    assert len({new_code() for _ in range(500)}) == 500
    assert parse_code(code) == code
    assert parse_code(" " + code.lower().replace("-", " ") + "\n") == code
    if "0" in code:  # O typed for zero, l or I for one
        assert parse_code(code.replace("0", "O")) == code
    if "1" in code:
        assert parse_code(code.replace("1", "l")) == code


def test_every_single_typo_fails_the_check():
    raw = new_code().replace("-", "")
    for i in range(len(raw)):
        for ch in ALPHABET:
            if ch != raw[i]:
                with pytest.raises(CodeError) as err:
                    parse_code(raw[:i] + ch + raw[i + 1:])
                assert err.value.reason == "check"


@pytest.mark.parametrize("text, reason", [("", "empty"), ("ABCD-EFGH", "length"), ("ABCD-EFGH-JKMN-PQRS-T", "length"),
                                          ("ABCD-EFGH-JKMN-PQRU", "characters"), ("ABCD-EFGH-JKMN-PQR#", "characters")])
def test_truncated_and_foreign_codes_say_what_is_wrong(text, reason):
    with pytest.raises(CodeError) as err:
        parse_code(text)
    assert err.value.reason == reason and str(err.value)


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture
def app_client(tmp_path):
    client, app = _client(Settings(data_dir=tmp_path / "var"))
    with client:
        yield client, app.state.rt


def _client(settings: Settings):
    from api.app import create_app
    from api.routes import reuse_public

    app = create_app(settings)
    if not any(getattr(r, "path", "") == "/verify/{code}" for r in app.routes):
        app.include_router(reuse_public.router)
    return staff(TestClient(app)), app


def store_document(rt, pdf: bytes, *, doc_type: str = "giay_chung_nhan", versions: bool = False) -> str:
    stored = rt.store.put_bytes(pdf, "application/pdf")
    with rt.catalog.session() as s:
        doc = Document(source_sha256=("e" * 63) + doc_type[0], pdf_sha256=stored.sha256, pdf_size=stored.size,
                       filename="giay-chung-nhan.jpg", mime="image/jpeg", page_count=1, doc_type=doc_type,
                       fields={"fields": {"agency": {"value": "UBND phường Bến Nghé"}}})
        s.add(doc)
        s.flush()
        if versions:
            s.add(DocumentVersion(document_id=doc.id, number=1, kind="digitized", pdf_sha256=stored.sha256,
                                  pdf_size=stored.size))
        s.commit()
        return doc.id


def make_result(rt, document_id: str, *, code: str | None = None, disclosed=("type", "number"), status="valid",
                expires: date | None = None) -> str:
    with rt.catalog.session() as s:
        res = Result(document_id=document_id, holder_id=HOLDER_ID, holder_kind="personal_id", holder_name=HOLDER,
                     doc_type="giay_chung_nhan", number="125/GCN-UBND", issued=date(2026, 11, 25), expires=expires,
                     status=status, verify_code=code or new_code(), disclosed=list(disclosed))
        s.add(res)
        s.commit()
        return res.verify_code


def _count_queries(rt):
    """Statements touching what a verification would read (the app's own background work, such as seeding the
    type model at start, is not the request's doing)."""
    seen = []

    def record(_conn, _cursor, statement, *_a, **_k):
        if any(t in statement for t in ("results", "certified_copies", "documents")):
            seen.append(statement)

    event.listen(rt.catalog.engine, "before_cursor_execute", record)
    return seen


# --- /verify ------------------------------------------------------------------------------------------------


def test_verify_shows_only_what_the_holder_agreed_to(app_client):
    client, rt = app_client
    code = make_result(rt, store_document(rt, decree30_pdf()))
    r = client.get(f"/verify/{code.lower()}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["code"] == code and body["kind"] == "result"
    assert body["current"] is True and body["status"] == "valid"
    assert body["what"]["type"] == "giay_chung_nhan" and body["what"]["type_name"] == "Giấy chứng nhận"
    assert body["what"]["number"] == "125/GCN-UBND" and body["disclosed"] == ["number"]
    for secret in (HOLDER_ID, HOLDER, "2026-11-25", "Bến Nghé"):  # not agreed: not shown, anywhere
        assert secret not in r.text
    # an unsigned PDF is not "genuine", and the answer says why
    assert body["genuine"] is False and body["genuine_reason"] in ("validation_unavailable", "no_signature")

    wide = make_result(rt, store_document(rt, b"%PDF-1.4 other"), disclosed=("holder_name", "holder_id", "issued", "agency"))
    body = client.get(f"/verify/{wide}").json()
    assert body["holder"] == {"holder_name": HOLDER, "holder_id": HOLDER_ID}
    assert body["what"]["issued"] == "2026-11-25" and body["what"]["agency"] == "UBND phường Bến Nghé"


def test_verify_html_page_for_a_phone(app_client):
    client, rt = app_client
    code = make_result(rt, store_document(rt, decree30_pdf()), status="revoked")
    r = client.get(f"/verify/{code}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Xác minh văn bản" in r.text and "Đã bị thu hồi" in r.text and "125/GCN-UBND" in r.text
    assert HOLDER_ID not in r.text and HOLDER not in r.text
    bad = client.get("/verify/ABCD-EFGH", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Mã xác minh không hợp lệ" in bad.text


def test_status_expired_and_revoked_are_not_current(app_client):
    client, rt = app_client
    doc = store_document(rt, decree30_pdf())
    expired = client.get(f"/verify/{make_result(rt, doc, expires=date(2020, 1, 1))}").json()
    assert expired["current"] is False and expired["status"] == "expired" and expired["status_name"] == "Hết hạn"
    revoked = client.get(f"/verify/{make_result(rt, doc, status='revoked')}").json()
    assert revoked["current"] is False and revoked["status"] == "revoked"


def test_forged_truncated_and_mistyped_codes_never_reach_the_catalog(app_client):
    client, rt = app_client
    code = make_result(rt, store_document(rt, decree30_pdf()))
    queries = _count_queries(rt)
    wrong_check = code[:-1] + next(c for c in ALPHABET if c != code[-1])
    for text, reason in ((code[:-5], "length"), (wrong_check, "check"), ("HELLO-WORLD", "length"), ("PAYU-0000-0000-0000", "characters"),
                         ("x" * 300, "length")):
        r = client.get(f"/verify/{text}")
        assert r.status_code == 422, text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["reason"] == reason
    assert queries == []  # refused before any lookup
    unknown = new_code()  # well-formed, never issued
    r = client.get(f"/verify/{unknown}")
    assert r.status_code == 404 and r.json()["title"] == "Not Found"


def test_a_deleted_document_is_not_genuine(app_client):
    client, rt = app_client
    doc = store_document(rt, decree30_pdf())
    code = make_result(rt, doc)
    with rt.catalog.session() as s:
        s.add(Tombstone(document_id=doc, sha256s=[], by="lưu trữ", reason="hết thời hạn lưu trữ"))
        s.commit()
    body = client.get(f"/verify/{code}").json()
    assert body["genuine"] is False and body["genuine_reason"] == "document_deleted"


def test_qr_png_of_a_code(app_client):
    client, rt = app_client
    code = new_code()
    r = client.get(f"/verify/{code}/qr.png")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert client.get("/verify/nope/qr.png").status_code == 422


# --- upload to verify ---------------------------------------------------------------------------------------


def test_upload_of_an_archived_and_of_an_unknown_file(app_client):
    client, rt = app_client
    pdf = decree30_pdf()
    doc = store_document(rt, pdf, versions=True)
    make_result(rt, doc)
    r = client.post("/api/v1/verify", files={"file": ("gcn.pdf", pdf, "application/pdf")})
    assert r.status_code == 200
    body = r.json()
    assert body["in_archive"] is True and "trùng khớp" in body["message"]
    [m] = body["matches"]
    assert m["kind"] == "document_version" and m["document_id"] == doc and m["version"] == 1 and m["newest_version"]
    assert m["results"][0]["status"] == "valid" and m["results"][0]["number"] == "125/GCN-UBND"
    assert HOLDER_ID not in r.text
    assert "signature_verdict" in body  # the bytes' own verdict is always part of the answer

    other = client.post("/api/v1/verify", files={"file": ("x.pdf", decree30_pdf(2), "application/pdf")}).json()
    assert other["in_archive"] is False and other["matches"] == [] and "không có trong kho" in other["message"]
    assert other["signature_reason"]  # e.g. validation_unavailable here, a verdict with trust anchors

    junk = client.post("/api/v1/verify", files={"file": ("x.bin", b"not a pdf", "application/octet-stream")}).json()
    assert junk["in_archive"] is False and junk["signature_verdict"] is None
    assert client.post("/api/v1/verify", files={"file": ("e.pdf", b"", "application/pdf")}).status_code == 422


# --- share links --------------------------------------------------------------------------------------------


def test_share_link_serves_the_pdf_until_it_expires(app_client):
    client, rt = app_client
    pdf = decree30_pdf()
    doc = store_document(rt, pdf)
    r = client.post(f"/api/v1/documents/{doc}/share", json={"hours": 2, "by": "công dân"})
    assert r.status_code == 201
    link = r.json()
    assert r.headers["location"] == link["url"] and len(link["token"]) >= 40
    got = client.get(link["url"])
    assert got.status_code == 200 and got.content == pdf and got.headers["content-type"] == "application/pdf"
    assert got.headers["referrer-policy"] == "no-referrer"

    later = datetime.now(timezone.utc) + timedelta(hours=3)
    with pytest.raises(verification.ShareError) as err:
        verification.open_share(rt, link["token"], now=later)
    assert err.value.status == 410 and "expired" in err.value.title

    old = verification.create_share(rt, doc, 1, now=datetime.now(timezone.utc) - timedelta(hours=2))
    r = client.get(f"/share/{old.token}")
    assert r.status_code == 410 and r.json()["title"] == "Share link expired"


def test_share_link_revoked_unknown_deleted_and_bad_requests(app_client):
    client, rt = app_client
    doc = store_document(rt, decree30_pdf())
    token = client.post(f"/api/v1/documents/{doc}/share", json={"hours": 24}).json()["token"]
    assert client.delete(f"/api/v1/shares/{token}").status_code == 204
    r = client.get(f"/share/{token}")
    assert r.status_code == 410 and r.json()["title"] == "Share link revoked"
    assert client.get("/share/" + "A" * 43).status_code == 404
    assert client.get("/share/..%2F..%2Fetc").status_code == 404
    assert client.delete("/api/v1/shares/" + "B" * 43).status_code == 404

    token = client.post(f"/api/v1/documents/{doc}/share", json={"hours": 24}).json()["token"]
    with rt.catalog.session() as s:
        s.get(Document, doc).state = "deleted"
        s.commit()
    r = client.get(f"/share/{token}", headers={"Accept": "text/html"})
    assert r.status_code == 410 and "Không còn truy cập được" in r.text

    assert client.post("/api/v1/documents/nope/share", json={"hours": 1}).status_code == 404
    assert client.post(f"/api/v1/documents/{store_document(rt, b'%PDF x')}/share", json={"hours": 0}).status_code == 422
    capped = client.post(f"/api/v1/documents/{store_document(rt, b'%PDF y')}/share", json={"hours": 10_000}).json()
    assert capped["capped_to_hours"] == verification.MAX_SHARE_HOURS
    expires = datetime.fromisoformat(capped["expires_at"])
    assert expires - datetime.now(timezone.utc) <= timedelta(days=30)


# --- a signed result carrying its QR code -------------------------------------------------------------------




def test_a_signed_result_with_its_qr_code_is_genuine(srt, tmp_path):
    import zxingcpp
    from PIL import Image

    code = new_code()
    url = verification.verify_url(srt, code)
    stamped = verification.stamp_qr(decree30_pdf(), url, code)
    spec = signatures.signer_spec(srt, "chu-tich")
    signed = signatures.sign_file(srt, stamped, spec, role="personal", level="B-LT")
    with pytest.raises(ValueError):  # a stamp after a signature would break it
        verification.stamp_qr(signed, url, code)

    (tmp_path / "signed.pdf").write_bytes(signed)
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-f", "1", "-l", "1", "-singlefile", str(tmp_path / "signed.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    found = [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert url in found  # the signed copy carries the QR code
    text = subprocess.run(["pdftotext", str(tmp_path / "signed.pdf"), "-"], capture_output=True, text=True).stdout
    assert code[:9] in text and code[10:] in text

    make_result(srt, store_document(srt, signed), code=code)
    info = verification.verify_by_code(srt, code)
    assert info["genuine"] is True and info["current"] is True and info["genuine_reason"] == "signature_valid"
    assert info["signatures"][0]["indication"] == "PASSED"

    up = verification.verify_upload(srt, signed)
    assert up["in_archive"] is True and up["signature_verdict"] == "TOTAL_PASSED"
    stranger = signatures.sign_file(srt, decree30_pdf(), spec, role="personal", level="B-B")
    up = verification.verify_upload(srt, stranger)
    assert up["in_archive"] is False and up["signature_verdict"] == "TOTAL_PASSED"  # valid, but not ours


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_qr_stamp_lands_upright_in_the_bottom_right_corner_as_shown(rotate, tmp_path):
    import io

    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(decree30_pdf())))
    writer.pages[0].rotate(rotate)
    buf = io.BytesIO()
    writer.write(buf)
    original = buf.getvalue()
    code = new_code()
    stamped = verification.stamp_qr(original, "https://sohoa.example.vn/verify/" + code, code)
    assert stamped.startswith(original)  # an incremental update: the original bytes are kept as they were
    (tmp_path / "s.pdf").write_bytes(stamped)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "s.pdf"), str(tmp_path / "p")],
                   check=True, timeout=60)
    image = Image.open(tmp_path / "p.png")
    [found] = zxingcpp.read_barcodes(image)
    assert found.text.endswith(code)
    top_left = found.position.top_left
    assert top_left.x > 0.85 * image.width and top_left.y > 0.85 * image.height  # bottom-right, finder upright
    assert found.position.top_left.x < found.position.top_right.x
