"""The catalog on SQLite and PostgreSQL: migrations, exactly-once page rows, diacritics-insensitive search."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, inspect, select

from ingest.pipeline import PageRecord, record_page
from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Catalog, Document, DocumentPage, ScanPage
from storage.search import find_documents
from storage.text import fold


@pytest.fixture(params=["sqlite", "postgresql"])
def rt(request, tmp_path):
    url = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    runtime = Runtime(Settings(data_dir=tmp_path / "var", database_url=url))
    yield runtime
    runtime.close()


def test_migrations_create_the_schema_and_are_repeatable(rt):
    tables = set(inspect(rt.catalog.engine).get_table_names())
    assert {"batches", "batch_files", "scan_pages", "documents", "document_pages", "alembic_version"} <= tables
    Catalog(rt.settings.catalog_url).dispose()  # upgrading an up-to-date schema is a no-op


def test_a_page_recorded_twice_concurrently_is_one_row(rt):
    sha = "a" * 64
    rec = PageRecord(sha, 1, "ok", text="Thủ tục hành chính")
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _i: record_page(rt, rec), range(8)))
    with rt.catalog.session() as s:
        assert s.scalar(select(func.count()).where(ScanPage.source_sha256 == sha)) == 1


def test_fold_removes_case_and_diacritics_including_d():
    assert fold("THỦ TỤC Hành Chính") == "thu tuc hanh chinh"
    assert fold("Đăng ký đất đai") == "dang ky dat dai"
    assert fold("Quye\u0302\u0301t  định") == "quyet dinh"  # NFD input folds the same


def test_search_finds_with_or_without_diacritics(rt):
    sha = "b" * 64
    record_page(rt, PageRecord(sha, 1, "ok", text="Về việc ban hành thủ tục hành chính"))
    with rt.catalog.session() as s, s.begin():
        page = s.scalars(select(ScanPage).where(ScanPage.source_sha256 == sha)).one()
        doc = Document(id="d" * 32, source_sha256=sha, pdf_sha256="c" * 64, filename="x.jpg", mime="image/jpeg", page_count=1)
        doc.pages = [DocumentPage(position=1, scan_page_id=page.id)]
        s.add(doc)
    with rt.catalog.session() as s:
        for q in ("thủ tục hành chính", "thu tuc hanh chinh", "THU TUC", "ban hanh"):
            docs, total = find_documents(s, q)
            assert total == 1 and docs[0].id == "d" * 32, q
        assert find_documents(s, "giấy phép")[1] == 0
        assert find_documents(s, "100%_")[1] == 0  # LIKE wildcards are literal
