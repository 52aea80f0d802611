"""The pages without a browser: login and session cookie, CSRF, refusals and bad input shown as pages (never a
500 or problem+json), and the message catalogues complete in both languages."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest import identity
from ingest.settings import Settings
from tests.helpers import TEST_AGENCY

PASSWORD = "mật khẩu đủ dài 2026"
WEB = Path(__file__).resolve().parent.parent / "api" / "web"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("web") / "var", portal_interval_seconds=0, retrain_interval_hours=0)
    with TestClient(create_app(settings), base_url="http://testserver") as c:
        rt = c.app.state.rt
        identity.create_user(rt, "clerk", PASSWORD, ["clerk"], agency_id=TEST_AGENCY)
        identity.create_user(rt, "auditor", PASSWORD, ["auditor"], agency_id=TEST_AGENCY)
        identity.create_user(rt, "admin", PASSWORD, ["agency_admin"], agency_id=TEST_AGENCY)
        yield c


def _login(client, username: str) -> str:
    client.cookies.clear()
    r = client.post("/web/login", data={"username": username, "password": PASSWORD, "next": "/web/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = client.get("/web/upload" if username == "clerk" else "/web/audit")
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    return m.group(1) if m else ""


def test_not_logged_in_goes_to_the_login_page_and_back(client):
    client.cookies.clear()
    r = client.get("/web/review?offset=0", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login?next=%2Fweb%2Freview%3Foffset%3D0"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and '<html lang="vi">' in page.text and 'value="/web/review?offset=0"' in page.text
    assert 'for="username"' in page.text and 'for="password"' in page.text


def test_wrong_password_is_a_page_and_next_cannot_leave_the_site(client):
    client.cookies.clear()
    r = client.post("/web/login", data={"username": "clerk", "password": "sai mật khẩu rồi"})
    assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in r.text
    r = client.post("/web/login", data={"username": "clerk", "password": PASSWORD, "next": "//evil.example/x"},
                    follow_redirects=False)
    assert r.headers["location"] == "/web/"
    r = client.post("/web/login", data={"username": "clerk", "password": PASSWORD},
                    headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")


def test_wrong_role_is_a_403_page_in_the_chosen_language(client):
    _login(client, "clerk")
    r = client.get("/web/audit")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "Không có quyền truy cập" in r.text
    client.get("/web/lang/en?next=/web/audit", follow_redirects=False)
    client.cookies.set("sohoa_lang", "en")
    r = client.get("/web/audit")
    assert r.status_code == 403 and "Access refused" in r.text and '<html lang="en">' in r.text
    client.cookies.delete("sohoa_lang")


def test_posts_without_the_forms_token_are_refused(client):
    _login(client, "clerk")
    r = client.post("/web/upload", files={"files": ("a.jpg", b"x", "image/jpeg")}, data={"csrf": "forged"})
    assert r.status_code == 403 and "Biểu mẫu đã hết hạn" in r.text
    r = client.post("/web/logout", data={})
    assert r.status_code == 403


def test_bad_input_is_a_message_on_the_page(client):
    csrf = _login(client, "clerk")
    assert csrf
    r = client.post("/web/upload", data={"csrf": csrf})
    assert r.status_code == 422 and "Hãy chọn ít nhất một tệp" in r.text
    r = client.post("/web/upload", data={"csrf": csrf}, files={"files": ("empty.jpg", b"", "image/jpeg")})
    assert r.status_code == 422 and "Không có tệp nào dùng được" in r.text and "empty.jpg" in r.text
    r = client.get("/web/search", params={"q": "x", "from": "2026-13-40"})
    assert r.status_code == 422 and "Không tìm được" in r.text
    r = client.get("/web/documents/nonexistent")
    assert r.status_code == 404 and "Không tìm thấy" in r.text
    r = client.get("/web/batches/nonexistent")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get("/web/review", params={"offset": "minus one"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    csrf = _login(client, "auditor")
    r = client.get("/web/audit", params={"date_from": "yesterday"})
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    _login(client, "admin")
    r = client.get("/web/dashboard", params={"from": "2020-01", "to": "2026-12"})
    assert r.status_code == 422 and "tối đa 36 tháng" in r.text
    assert client.get("/web/dashboard.csv", params={"from": "garbage"}).status_code == 422


def test_public_verification_pages(client):
    client.cookies.clear()
    r = client.get("/web/verify", params={"code": "ABCD-EFGH"})
    assert r.status_code == 422 and "Mã xác minh không hợp lệ" in r.text
    r = client.post("/web/verify", files={"file": ("x.pdf", b"", "application/pdf")})
    assert r.status_code == 422 and "tệp rỗng" in r.text
    r = client.post("/web/verify", files={"file": ("x.pdf", b"%PDF-1.4 nothing", "application/pdf")})
    assert r.status_code == 200 and "Tệp không có trong kho lưu trữ" in r.text
    r = client.get("/verify/ABCD-EFGH", headers={"Accept": "text/html"})
    assert r.status_code == 422 and "Mã xác minh không hợp lệ" in r.text
    assert client.get("/static/htmx.min.js").status_code == 200  # vendored, no CDN


def test_a_stale_cookie_is_no_login_and_the_cookie_never_writes_through_the_api(client):
    client.cookies.clear()
    client.cookies.set("sohoa_session", "not-a-token")
    assert client.get("/web/verify").status_code == 200  # public pages stay reachable
    assert client.get("/web/review", follow_redirects=False).status_code == 303
    _login(client, "clerk")
    assert client.get("/api/v1/review").status_code == 200  # reading through the API with the cookie
    assert client.patch("/api/v1/documents/x", json={"type": "khac"}).status_code == 401  # writing: no
    client.cookies.clear()


def test_catalogues_have_the_same_keys_every_template_key_and_nfc():
    vi = json.loads((WEB / "messages" / "vi.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "messages" / "en.json").read_text(encoding="utf-8"))
    assert vi.keys() == en.keys()
    assert all(unicodedata.is_normalized("NFC", v) for v in vi.values())
    used = set()
    for path in list((WEB / "templates").glob("*.html")) + list(WEB.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""(?<![\w.])t\(["']([a-z0-9_.]+[a-z0-9_])["']\s*[,)]""", text))
        used |= set(re.findall(r'\("([a-z_]+\.[a-z_.]+)", \{', text))
        used |= set(re.findall(r'"(nav\.[a-z]+)"', text))
    missing = sorted(k for k in used if k not in vi)
    assert not missing, missing
