"""Reuse: dossiers received without gaps, results registered to their holder, reused by reference."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from ingest import receipt
from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Dossier

AGENCY = "000.00.12.H01"


def _rt(tmp_path, url: str | None = None) -> Runtime:
    return Runtime(Settings(data_dir=tmp_path / "var", database_url=url or ""))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_200_dossiers_from_8_threads_get_unique_gapless_codes(tmp_path, backend, request):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    rt = _rt(tmp_path, url)
    try:
        receipt.add_agency(rt, AGENCY, "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm")
        day = date(2026, 12, 1)
        codes, errors = [], []
        lock = threading.Lock()

        def clerk(n: int) -> None:
            for i in range(25):
                try:
                    row = receipt.receive(rt, AGENCY, procedure="Cấp giấy phép xây dựng", holder_id="001204012345",
                                          holder_name="Trần Thị Bình", days=15, on=day)
                    with lock:
                        codes.append(row.code)
                except Exception as exc:  # noqa: BLE001 - the test reports every failure
                    with lock:
                        errors.append(repr(exc))

        threads = [threading.Thread(target=clerk, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        assert len(codes) == 200 == len(set(codes))
        numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
        assert numbers == list(range(1, 201))  # no gap
        assert all(c.startswith(f"{AGENCY}-261201-") for c in codes)
        with rt.catalog.session() as s:
            assert s.query(Dossier).filter(Dossier.agency_id == AGENCY).count() == 200
    finally:
        rt.close()


def test_receipt_errors_and_sheet_codes(tmp_path):
    rt = _rt(tmp_path)
    try:
        with pytest.raises(receipt.ReceiptError, match="not known"):
            receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345")
        receipt.add_agency(rt, AGENCY, "Trung tâm")
        for bad in ("12345", "00120401234X", "999204012345", ""):
            with pytest.raises(receipt.ReceiptError):
                receipt.receive(rt, AGENCY, procedure="x", holder_id=bad)
        assert receipt.holder_kind("0101234567-001") == ("0101234567001", "tax_code")
        day = date(2026, 12, 2)
        with rt.catalog.session() as s:  # a separator sheet already named the day's first code
            s.add(Dossier(code=f"{AGENCY}-261202-0001", agency_id=AGENCY, received=day, sequence=1))
            s.commit()
        row = receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345", on=day)
        assert row.code.endswith("-0002")
        with pytest.raises(receipt.ReceiptError, match="before"):
            receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345", on=day, due=date(2026, 11, 1))
    finally:
        rt.close()


# --- results and reuse through the API --------------------------------------------------------------------

from datetime import timedelta  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from storage.catalog import Document  # noqa: E402
from tests.helpers import staff  # noqa: E402

CITIZEN = "001204012345"
OTHER = "079305000111"


def stored_document(rt, doc_type: str = "giay_chung_nhan", fields: dict | None = None) -> str:
    """A visible document row with a (tiny) PDF, as assembly would leave it."""
    from tests.signing_helpers import decree30_pdf

    obj = rt.store.put_bytes(decree30_pdf(), content_type="application/pdf")
    doc = Document(source_sha256=obj.sha256, pdf_sha256=obj.sha256, pdf_size=obj.size, filename="gcn.pdf",
                   mime="application/pdf", page_count=1, doc_type=doc_type, needs_review=False,
                   fields={"type": doc_type, "fields": fields or {}})
    with rt.catalog.session() as s:
        s.add(doc)
        s.commit()
        return doc.id


@pytest.fixture
def api(tmp_path):
    with staff(TestClient(create_app(Settings(data_dir=tmp_path / "var")))) as c:
        yield c


def _result(api, holder=CITIZEN, **body) -> dict:
    doc_id = stored_document(api.app.state.rt, fields={"certificate_number": {"value": "GCN-0123"}})
    r = api.post("/api/v1/results", json={"document_id": doc_id, "holder_id": holder, **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_reuse_by_reference_and_refusals(api):
    assert api.post("/api/v1/agencies", json={"id": AGENCY, "name": "Trung tâm Phục vụ hành chính công"}).status_code == 201
    r = api.post("/api/v1/dossiers", json={"agency_id": AGENCY, "procedure": "Cấp giấy phép kinh doanh",
                                           "holder_id": CITIZEN, "holder_name": "Trần Thị Bình", "days": 10})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.headers["location"] == f"/api/v1/dossiers/{code}" and r.json()["due"]

    good = _result(api, issued="2025-01-10", expires=(date.today() + timedelta(days=300)).isoformat())
    old = _result(api, issued="2019-01-10", expires="2024-01-10")
    found = api.get("/api/v1/reuse", params={"holder": CITIZEN, "type": "giay_chung_nhan"}).json()["items"]
    assert [x["id"] for x in found] == [good["id"], old["id"]]  # newest first
    assert found[0]["reusable"] and not found[1]["reusable"] and "expired on 10/01/2024" in found[1]["refused_because"]

    ok = api.post(f"/api/v1/dossiers/{code}/results", json={"result_id": good["id"], "by": "Lê Văn Cường"})
    assert ok.status_code == 201, ok.text
    expired = api.post(f"/api/v1/dossiers/{code}/results", json={"result_id": old["id"]})
    assert expired.status_code == 409 and "expired" in expired.json()["detail"]
    dossier = api.get(f"/api/v1/dossiers/{code}").json()
    assert [x["id"] for x in dossier["attached_results"]] == [good["id"]]
    assert dossier["attached_results"][0]["attached_by"].startswith("user:")  # the logged-in clerk, not a claim

    newer = _result(api)
    assert api.patch(f"/api/v1/results/{good['id']}", json={"status": "replaced"}).status_code == 409  # says by what
    r = api.patch(f"/api/v1/results/{good['id']}", json={"status": "replaced", "replaced_by": newer["id"]})
    assert r.status_code == 200 and not r.json()["reusable"]
    refused = api.post(f"/api/v1/dossiers/{code}/results", json={"result_id": good["id"]})
    assert refused.status_code == 409 and newer["id"] in refused.json()["detail"]
    api.patch(f"/api/v1/results/{newer['id']}", json={"status": "revoked", "reason": "cấp sai đối tượng"})
    refused = api.post(f"/api/v1/dossiers/{code}/results", json={"result_id": newer["id"]})
    assert refused.status_code == 409 and "cấp sai đối tượng" in refused.json()["detail"]

    someone_else = _result(api, holder=OTHER)
    wrong = api.post(f"/api/v1/dossiers/{code}/results", json={"result_id": someone_else["id"]})
    assert wrong.status_code == 409 and "another holder" in wrong.json()["detail"]


def test_bad_holder_and_unknown_things(api):
    doc_id = stored_document(api.app.state.rt)
    for bad in ("12345", "abc", "999204012345"):
        r = api.post("/api/v1/results", json={"document_id": doc_id, "holder_id": bad})
        assert r.status_code == 422, (bad, r.text)
        assert api.get("/api/v1/reuse", params={"holder": bad}).status_code == 422
    assert api.post("/api/v1/results", json={"document_id": doc_id}).status_code == 409  # names no holder
    assert api.post("/api/v1/results", json={"document_id": "nope", "holder_id": CITIZEN}).status_code == 404
    assert api.get("/api/v1/reuse", params={"holder": OTHER}).json()["items"] == []  # unknown holder: none
    assert api.get("/api/v1/dossiers/nope").status_code == 404
    assert api.post("/api/v1/dossiers/nope/results", json={"result_id": "x"}).status_code == 404
    r = api.post("/api/v1/dossiers", json={"agency_id": "bad id!", "procedure": "x", "holder_id": CITIZEN})
    assert r.status_code == 422


def test_a_citizen_sees_only_their_own_results(api):
    from datetime import datetime, timedelta, timezone

    import jwt

    from ingest import identity
    from tests.helpers import bearer

    mine = _result(api, holder=CITIZEN)
    _result(api, holder=OTHER)
    rt = api.app.state.rt
    me = api.get("/api/v1/citizens/me/results", headers=bearer(rt, ["citizen"], citizen_id=CITIZEN))
    assert me.status_code == 200 and [x["id"] for x in me.json()["items"]] == [mine["id"]]
    assert api.get("/api/v1/citizens/me/results", headers={"Authorization": ""}).status_code == 401
    user = next(u for u in identity.list_users(rt) if u.citizen_id == CITIZEN)
    claims = {"sub": user.id, "ver": 0, "typ": "access", "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
    forged = jwt.encode(claims, b"another key", algorithm="HS256")
    assert api.get("/api/v1/citizens/me/results", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = jwt.encode({**claims, "exp": datetime.now(timezone.utc) - timedelta(hours=1)}, identity._jwt_key(rt), algorithm="HS256")
    r = api.get("/api/v1/citizens/me/results", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    # a clerk is not a citizen: the door is the citizen's own
    assert api.get("/api/v1/citizens/me/results").status_code == 403


def test_cli_receive_register_reuse_verify_search(tmp_path, monkeypatch):
    import json as _json

    from typer.testing import CliRunner

    from api.cli import app as cli
    from ingest.settings import get_settings

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        rt = Runtime(get_settings())
        receipt.add_agency(rt, AGENCY, "Trung tâm")
        doc_id = stored_document(rt, fields={"subject": {"value": "Giấy chứng nhận đăng ký hộ kinh doanh"}})
        rt.close()
        run = CliRunner()
        r = run.invoke(cli, ["receive", "--agency", AGENCY, "--procedure", "Đăng ký hộ kinh doanh", "--holder", CITIZEN])
        assert r.exit_code == 0 and r.stdout.strip().startswith(f"{AGENCY}-"), r.output
        assert run.invoke(cli, ["receive", "--agency", AGENCY, "--procedure", "x", "--holder", "12"]).exit_code == 2
        r = run.invoke(cli, ["register-result", doc_id, "--holder", CITIZEN, "--expires", "2030-01-01"])
        assert r.exit_code == 0, r.output
        code = _json.loads(r.stdout)["verify_code"]
        r = run.invoke(cli, ["reuse", CITIZEN])
        assert r.exit_code == 0 and _json.loads(r.stdout)[0]["reusable"]
        r = run.invoke(cli, ["verify", code])  # genuine needs a signature: this PDF is unsigned
        assert r.exit_code == 1 and _json.loads(r.stdout)["genuine"] is False
        assert run.invoke(cli, ["verify", "ABCD-EFGH"]).exit_code == 2  # not a code sohoa could issue
        r = run.invoke(cli, ["search", "giay chung nhan", "--json"])
        assert r.exit_code == 0, r.output
        assert _json.loads(r.stdout)["hits"][0]["document_id"] == doc_id
        assert run.invoke(cli, ["search", "x" * 5000]).exit_code == 2
    finally:
        get_settings.cache_clear()
