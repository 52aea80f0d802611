"""Who may do what, tested as a table: every endpoint × every role, plus ownership across agencies and citizens.

The table below is written independently of ``api/permissions.py``: a route added without a row here fails
``test_the_table_covers_every_endpoint``; a rule changed in one place and not the other fails the matrix test.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest import identity
from ingest.settings import Settings
from storage import audit
from storage.catalog import Document, Result
from tests.helpers import TEST_PASSWORD, bearer

AGENCY, OTHER_AGENCY = "000.00.12.H01", "000.00.31.H44"
CITIZEN_A, CITIZEN_B = "001204012345", "079305000111"
COLUMNS = ("anon", "clerk", "signer", "van_thu", "agency_admin", "citizen", "auditor")

# + allowed (the route runs: any status but 401/403), - refused (401 anonymous, 403 otherwise)
TABLE = """
GET    /                                                   + + + + + + +
GET    /api/v1/health                                      + + + + + + +
GET    /metrics                                            + + + + + + +
POST   /api/v1/auth/token                                  + + + + + + +
GET    /api/v1/auth/me                                     - + + + + + +
POST   /api/v1/users                                       - - - - + - -
GET    /api/v1/users                                       - - - - + - -
PATCH  /api/v1/users/{user_id}                             - - - - + - -
POST   /api/v1/api-keys                                    - - - - + - -
GET    /api/v1/api-keys                                    - - - - + - -
DELETE /api/v1/api-keys/{key_id}                           - - - - + - -
POST   /api/v1/batches                                     - + - - + - -
GET    /api/v1/batches/{batch_id}                          - + - - + - -
GET    /api/v1/documents                                   - + + + + - -
GET    /api/v1/documents/{document_id}                     - + + + + - -
GET    /api/v1/documents/{document_id}/text                - + + + + - -
GET    /api/v1/documents/{document_id}/pdf                 - + + + + + -
GET    /api/v1/documents/{document_id}/original            - + + + + - -
GET    /api/v1/documents/{document_id}/pages/{number}/image - + + + + - -
GET    /api/v1/documents/{document_id}/pages/{number}/words - + + + + - -
GET    /api/v1/review                                      - + - - + - -
PATCH  /api/v1/documents/{document_id}                     - + - - + - -
GET    /api/v1/documents/{document_id}/history             - + + + + - +
GET    /api/v1/search                                      - + + + + - -
POST   /api/v1/documents/{document_id}/sign                - - + + - - -
POST   /api/v1/documents/{document_id}/certified-copy      - - - + - - -
GET    /api/v1/sign-jobs/{job_id}                          - - + + + - -
GET    /api/v1/documents/{document_id}/versions            - + + + + - -
GET    /api/v1/documents/{document_id}/versions/{number}/pdf - + + + + - -
GET    /api/v1/documents/{document_id}/copies              - + + + + - -
GET    /api/v1/copies/{copy_id}/pdf                        - + + + + - -
GET    /api/v1/documents/{document_id}/validation          - + + + + - -
POST   /api/v1/validate                                    - + + + + - -
POST   /api/v1/agencies                                    - - - - + - -
GET    /api/v1/agencies                                    - + + + + - +
POST   /api/v1/dossiers                                    - + - - + - -
GET    /api/v1/dossiers/{code}                             - + + + + - -
PATCH  /api/v1/dossiers/{code}                             - + - - + - -
POST   /api/v1/dossiers/{code}/results                     - + - - + - -
POST   /api/v1/results                                     - + - + + - -
PATCH  /api/v1/results/{result_id}                         - - - + + - -
GET    /api/v1/reuse                                       - + + + + - -
GET    /api/v1/citizens/me/results                         - - - - - + -
POST   /api/v1/documents/{document_id}/share               - + - + + + -
DELETE /api/v1/shares/{token}                              - + - + + + -
GET    /verify/{code}                                      + + + + + + +
GET    /verify/{code}/qr.png                               + + + + + + +
POST   /api/v1/verify                                      + + + + + + +
GET    /share/{token}                                      + + + + + + +
GET    /api/v1/outbox                                      - - - + + - -
POST   /api/v1/outbox/deliver                              - - - + + - -
POST   /api/v1/outbox/{message_id}/retry                   - - - + + - -
POST   /api/v1/fixity                                      - - - - + - -
GET    /api/v1/fixity/{run_id}                             - - - - + - +
GET    /api/v1/dossiers/{code}/export                      - + - - + - -
POST   /api/v1/import                                      - - - - + - -
DELETE /api/v1/documents/{document_id}                     - - - - + - -
GET    /api/v1/exchange/identity                           + + + + + + +
GET    /api/v1/exchange/address-book                       - - - + + - -
POST   /api/v1/exchange/address-book                       - - - - + - -
GET    /api/v1/exchange/address-book/{agency_id}           - - - + + - -
DELETE /api/v1/exchange/address-book/{agency_id}           - - - - + - -
POST   /api/v1/exchange/outbox                             - - - + - - -
GET    /api/v1/exchange/outbox                             - - - + + - -
GET    /api/v1/exchange/outbox/{envelope_id}               - - - + + - -
POST   /api/v1/exchange/outbox/{envelope_id}/recall        - - - + - - -
GET    /api/v1/exchange/deliveries                         - - - + + - -
POST   /api/v1/exchange/deliveries/{message_id}/retry      - - - + + - -
POST   /api/v1/exchange/deliver                            - - - + + - -
POST   /api/v1/exchange/inbox                              + + + + + + +
GET    /api/v1/exchange/inbox                              - + - + + - -
GET    /api/v1/exchange/inbox/{received_id}                - + - + + - -
GET    /api/v1/exchange/inbox/{received_id}/attachments/{number} - + - + + - -
POST   /api/v1/exchange/inbox/{received_id}/status         - + - + - - -
POST   /api/v1/exchange/status                             + + + + + + +
GET    /api/v1/audit                                       - - - - - - +
GET    /api/v1/audit/verify                                - - - - - - +
GET    /api/v1/audit/export                                - - - - - - +
GET    /web/                                               - + + + + + +
GET    /web/login                                          + + + + + + +
POST   /web/login                                          + + + + + + +
POST   /web/logout                                         - + + + + + +
GET    /web/lang/{locale}                                  + + + + + + +
GET    /web/upload                                         - + - - + - -
POST   /web/upload                                         - + - - + - -
GET    /web/batches/{batch_id}                             - + - - + - -
GET    /web/batches/{batch_id}/progress                    - + - - + - -
GET    /web/review                                         - + - - + - -
GET    /web/documents/{document_id}                        - + + + + - -
POST   /web/documents/{document_id}/correct                - + - - + - -
POST   /web/documents/{document_id}/split                  - + - - + - -
GET    /web/search                                         - + + + + - -
GET    /web/dossiers/{code}                                - + + + + - -
GET    /web/sign                                           - - + + - - -
GET    /web/sign/{document_id}                             - - + + - - -
GET    /web/sign/{document_id}/preview.png                 - - + + - - -
POST   /web/sign/{document_id}                             - - + + - - -
GET    /web/sign-jobs/{job_id}                             - - + + + - -
GET    /web/sign-jobs/{job_id}/state                       - - + + + - -
GET    /web/me                                             - - - - - + -
POST   /web/documents/{document_id}/share                  - + - + + + -
POST   /web/shares/{token}/revoke                          - + - + + + -
GET    /web/verify                                         + + + + + + +
POST   /web/verify                                         + + + + + + +
GET    /web/audit                                          - - - - - - +
GET    /web/audit/verify                                   - - - - - - +
GET    /web/dashboard                                      - - - - + - -
GET    /web/dashboard.csv                                  - - - - + - -
"""


def _rows():
    for line in TABLE.strip().splitlines():
        method, path, *marks = line.split()
        assert len(marks) == len(COLUMNS), line
        yield method, path, dict(zip(COLUMNS, (m == "+" for m in marks)))


ROWS = list(_rows())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("roles") / "var", portal_interval_seconds=0)
    with TestClient(create_app(settings)) as client:
        rt = client.app.state.rt
        headers = {"anon": {}}
        for role in COLUMNS[1:-2]:
            headers[role] = bearer(rt, [role], agency=AGENCY, username=f"only-{role}")
        headers["auditor"] = bearer(rt, ["auditor"], agency=AGENCY, username="only-auditor")
        headers["citizen"] = bearer(rt, ["citizen"], citizen_id=CITIZEN_A)
        yield client, headers


def _concrete(path: str) -> str:
    return re.sub(r"\{number\}", "1", re.sub(r"\{(\w+)\}", "nonexistent", path))


def test_the_table_covers_every_endpoint(world):
    from fastapi.routing import APIRoute

    client, _ = world
    routes = {"GET /"} | {f"{m.upper()} {p}" for p, ops in client.app.openapi()["paths"].items() for m in ops}
    def flat(routes):  # the pages are not in the OpenAPI schema: walk the routers themselves
        for r in routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):
                yield from flat(r.original_router.routes)

    routes |= {f"{m} {r.path}" for r in flat(client.app.routes) for m in r.methods - {"HEAD"}}
    table = {f"{m} {p}" for m, p, _ in ROWS}
    assert routes - table == set(), "endpoints without a row in the role table"
    assert table - routes == set(), "rows for endpoints that do not exist"


@pytest.mark.parametrize("method, path, allowed", ROWS, ids=[f"{m} {p}" for m, p, _ in ROWS])
def test_role_matrix(world, method, path, allowed):
    client, headers = world
    for role, ok in allowed.items():
        kwargs = {"json": {}} if method in ("POST", "PATCH") and path not in ("/api/v1/auth/token",) else {}
        if method == "DELETE" and path == "/api/v1/documents/{document_id}":
            kwargs = {"json": {}}  # no reason given: 422 for those allowed
        if path.startswith("/web/"):
            kwargs = {"data": {}} if method == "POST" else {}
        r = client.request(method, _concrete(path), headers=headers[role], follow_redirects=False, **kwargs)
        if path.startswith("/web/"):  # a page: not logged in goes to the login page, a refusal is a page
            if ok:
                assert not (r.status_code == 303 and r.headers["location"].startswith("/web/login?")) \
                    and not (r.status_code == 403 and "csrf" not in r.text), f"{role} was refused {method} {path}: {r.status_code}"
            elif role == "anon":
                assert r.status_code == 303 and r.headers["location"].startswith("/web/login?next="), (role, method, path, r.status_code)
            else:
                assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), (role, method, path, r.status_code)
            continue
        if ok:
            assert r.status_code not in (401, 403), f"{role} was refused {method} {path}: {r.status_code} {r.text[:200]}"
        else:
            expected = 401 if role == "anon" else 403
            assert r.status_code == expected, f"{role} got {r.status_code} on {method} {path}, expected {expected}"
            assert r.headers["content-type"].startswith("application/problem+json")


def _doc(rt, agency: str | None) -> str:
    from tests.signing_helpers import decree30_pdf

    obj = rt.store.put_bytes(decree30_pdf(), content_type="application/pdf")
    doc = Document(source_sha256=obj.sha256 + (agency or "")[:0], pdf_sha256=obj.sha256, pdf_size=obj.size,
                   filename="x.pdf", mime="application/pdf", page_count=1, doc_type="cong_van", needs_review=False,
                   fields={"type": "cong_van", "fields": {}}, agency_id=agency)
    with rt.catalog.session() as s:
        s.add(doc)
        s.commit()
        return doc.id


def test_an_agency_cannot_read_another_agencys_internal_documents(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "var"))) as client:
        rt = client.app.state.rt
        mine, theirs = _doc(rt, AGENCY), _doc(rt, OTHER_AGENCY)
        me = bearer(rt, ["clerk"], agency=AGENCY)
        assert client.get(f"/api/v1/documents/{mine}", headers=me).status_code == 200
        r = client.get(f"/api/v1/documents/{theirs}", headers=me)
        assert r.status_code == 403 and "another agency" in r.json()["detail"]
        assert client.get(f"/api/v1/documents/{theirs}/pdf", headers=me).status_code == 403
        listed = {d["id"] for d in client.get("/api/v1/documents", headers=me).json()["items"]}
        assert mine in listed and theirs not in listed
        # ... but a registered result of the other agency is there to be reused (read, never changed)
        with rt.catalog.session() as s:
            s.add(Result(document_id=theirs, holder_id=CITIZEN_A, holder_kind="personal_id", doc_type="cong_van",
                         agency_id=OTHER_AGENCY, verify_code="TESTCODE01"))
            s.commit()
        assert client.get(f"/api/v1/documents/{theirs}/pdf", headers=me).status_code == 200
        assert client.patch(f"/api/v1/documents/{theirs}", headers=me, json={"type": "quyet_dinh"}).status_code == 403
        # a dossier for another agency is not this clerk's to receive
        r = client.post("/api/v1/dossiers", headers=me, json={"agency_id": OTHER_AGENCY, "procedure": "x", "holder_id": CITIZEN_A})
        assert r.status_code == 403


def test_a_citizen_sees_only_their_own_results(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "var"))) as client:
        rt = client.app.state.rt
        staff = bearer(rt, ["clerk"], agency=AGENCY)
        docs = {}
        for holder in (CITIZEN_A, CITIZEN_B):
            docs[holder] = _doc(rt, AGENCY)
            assert client.post("/api/v1/results", headers=staff,
                               json={"document_id": docs[holder], "holder_id": holder}).status_code == 201
        a, b = bearer(rt, ["citizen"], citizen_id=CITIZEN_A), bearer(rt, ["citizen"], citizen_id=CITIZEN_B)
        mine = client.get("/api/v1/citizens/me/results", headers=a).json()
        assert mine["holder"] == CITIZEN_A and [r["holder_id"] for r in mine["items"]] == [CITIZEN_A]
        assert client.get(f"/api/v1/documents/{docs[CITIZEN_A]}/pdf", headers=a).status_code == 200
        r = client.get(f"/api/v1/documents/{docs[CITIZEN_B]}/pdf", headers=a)
        assert r.status_code == 403 and "not one of your results" in r.json()["detail"]
        assert client.post(f"/api/v1/documents/{docs[CITIZEN_B]}/share", headers=a, json={"hours": 1}).status_code == 403
        link = client.post(f"/api/v1/documents/{docs[CITIZEN_B]}/share", headers=b, json={"hours": 1})
        assert link.status_code == 201
        assert client.delete(f"/api/v1/shares/{link.json()['token']}", headers=a).status_code == 403
        assert client.get("/api/v1/reuse", headers=a, params={"holder": CITIZEN_B}).status_code == 403
        seen = [e.action for e in audit.entries(rt.catalog, audit.AuditQuery(action="citizen."))]
        assert "citizen.results" in seen


def test_login_tokens_keys_and_the_rate_limit(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "var", login_max_failures=3))) as client:
        rt = client.app.state.rt
        identity.create_user(rt, "vanthu", TEST_PASSWORD, ["van_thu"], agency_id=AGENCY)
        r = client.post("/api/v1/auth/token", data={"username": "vanthu", "password": TEST_PASSWORD})
        assert r.status_code == 200 and r.json()["token_type"] == "bearer"
        token = r.json()["access_token"]
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["roles"] == ["van_thu"] and me["agency_id"] == AGENCY
        assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
        for _ in range(3):
            assert client.post("/api/v1/auth/token", data={"username": "vanthu", "password": "wrong password"}).status_code == 401
        r = client.post("/api/v1/auth/token", data={"username": "vanthu", "password": TEST_PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert len(audit.entries(rt.catalog, audit.AuditQuery(action="login.failure"))) == 3
        # a new password cuts off the token issued before it
        user = next(u for u in identity.list_users(rt) if u.username == "vanthu")
        identity.update_user(rt, user.id, password="một mật khẩu mới dài")
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        # machines: an API key with its roles, until revoked
        admin = bearer(rt, ["agency_admin"], agency=AGENCY)
        made = client.post("/api/v1/api-keys", headers=admin, json={"name": "máy quét 3", "roles": ["clerk"]})
        assert made.status_code == 201
        key = made.json()["key"]
        assert client.get("/api/v1/review", headers={"X-API-Key": key}).status_code == 200
        assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 403
        assert "key" not in client.get("/api/v1/api-keys", headers=admin).json()["items"][0]
        assert client.delete(f"/api/v1/api-keys/{made.json()['id']}", headers=admin).status_code == 204
        assert client.get("/api/v1/review", headers={"X-API-Key": key}).status_code == 401
        assert client.post("/api/v1/api-keys", headers=admin, json={"name": "x", "roles": ["citizen"]}).status_code == 422
        assert audit.verify(rt.catalog).intact


def test_search_finds_only_what_the_caller_may_read(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "var"))) as client:
        rt = client.app.state.rt
        mine, theirs, reusable = _doc(rt, AGENCY), _doc(rt, OTHER_AGENCY), _doc(rt, OTHER_AGENCY)
        with rt.catalog.session() as s:
            s.add(Result(document_id=reusable, holder_id=CITIZEN_A, holder_kind="personal_id", doc_type="cong_van",
                         agency_id=OTHER_AGENCY, verify_code="TESTCODE02"))
            s.commit()
        found = {h["document_id"] for h in client.get("/api/v1/search", headers=bearer(rt, ["clerk"], agency=AGENCY))
                 .json()["hits"]}
        assert found == {mine, reusable}
        found = {h["document_id"] for h in client.get("/api/v1/search", headers=bearer(rt, ["clerk"], agency=OTHER_AGENCY))
                 .json()["hits"]}
        assert found == {theirs, reusable}
