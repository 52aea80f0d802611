"""Ranked full-text search (storage.search_index) on SQLite and PostgreSQL, and GET /api/v1/search."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storage.catalog import Catalog, Document, DocumentPage, Dossier, Result, ScanPage, Tombstone
from storage.search_index import MAX_QUERY_CHARS, Filters, QueryError, SearchIndex, parse_query, snippet
from tests.helpers import staff

FILLER = ("ủy ban nhân dân tỉnh quyết định ban hành kế hoạch triển khai công tác năm báo cáo kết quả thực hiện "
          "chương trình về việc đề nghị phê duyệt sở nội vụ văn phòng cơ quan đơn vị cán bộ công chức").split()


def _add(session, text: str, *, doc_type="quyet_dinh", agency="Ủy ban nhân dân tỉnh An Giang", dossier=None,
         personal_id=None, issue_date=None, state="visible", title="", created=None) -> str:
    sha = uuid.uuid4().hex + uuid.uuid4().hex
    page = ScanPage(source_sha256=sha, number=1, status="ok", text=text, text_folded="")
    session.add(page)
    session.flush()
    fields = {"agency": {"value": agency}}
    if personal_id:
        fields["personal_id"] = {"value": personal_id}
    if issue_date:
        fields["issue_date"] = {"value": issue_date}
    doc = Document(source_sha256=sha, pdf_sha256=sha, filename="x.pdf", mime="application/pdf", page_count=1,
                   doc_type=doc_type, fields={"type": doc_type, "fields": fields}, dossier_code=dossier, state=state, title=title,
                   meta_folded="", created_at=created or datetime.now(timezone.utc))
    session.add(doc)
    session.flush()
    session.add(DocumentPage(document_id=doc.id, position=1, scan_page_id=page.id))
    return doc.id


def _corpus(catalog: Catalog, tag: str, n: int = 300) -> dict[str, str]:
    """n filler documents plus a few with known text; ``tag`` (a made-up word) scopes the queries."""
    rng = random.Random(7)
    ids = {}
    with catalog.session() as s:
        for i in range(n):
            words = [rng.choice(FILLER) for _ in range(60)]
            if i % 3 == 0:
                words[10:14] = ["thủ", "tục", "hành", "chính"]
            ids[f"filler{i}"] = _add(s, f"{tag} " + " ".join(words), doc_type=["quyet_dinh", "cong_van", "bao_cao"][i % 3],
                                     agency=["Ủy ban nhân dân tỉnh An Giang", "Sở Nội vụ tỉnh Đồng Tháp"][i % 2])
        # the exact phrase, with diacritics; one without diacritics; one with a wrong tone mark (OCR)
        ids["exact"] = _add(s, f"{tag} hướng dẫn thủ tục hành chính về đất đai", doc_type="huong_dan")
        ids["plain"] = _add(s, f"{tag} huong dan thu tuc hanh chinh ve dat dai", doc_type="huong_dan")
        ids["ocr"] = _add(s, f"{tag} hướng dẫn thũ tục hãnh chính vế đất đai", doc_type="huong_dan")
        ids["dd"] = _add(s, f"{tag} Đăng ký đất đai tại Đồng Tháp", doc_type="thong_bao", issue_date="2023-05-25",
                         personal_id="089123456789", dossier="000.00.00.H12-230525-0001")
        ids["old"] = _add(s, f"{tag} giấy chứng nhận quyền sử dụng đất", doc_type="giay_chung_nhan", issue_date="2019-01-02")
        ids["superseded"] = _add(s, f"{tag} xylophone đã gộp", state="superseded")
        ids["ocrtypo"] = _add(s, f"{tag} quyết định khen thưởng tập thể", doc_type="quyet_dinh")
        s.commit()
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path):
    if request.param == "sqlite":
        cat = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    else:
        cat = Catalog(request.getfixturevalue("pg_url"))
    yield cat
    cat.dispose()


@pytest.fixture
def indexed(catalog, tmp_path):
    tag = "z" + uuid.uuid4().hex[:8]  # the PostgreSQL database is shared by the session: scope every query
    ids = _corpus(catalog, tag)
    index = SearchIndex(tmp_path / "search-index")
    index.rebuild(catalog)
    return catalog, index, ids, tag


def test_diacritics_and_case_insensitive_with_exact_first(indexed):
    catalog, index, ids, tag = indexed
    page = index.search(f"{tag} Thủ Tục Hành Chính", limit=500)
    found = [h.document_id for h in page.hits]
    assert ids["exact"] in found and ids["plain"] in found and ids["ocr"] in found
    assert page.total == len(found) == 100 + 3
    exact = [h for h in page.hits if h.exact]
    assert ids["exact"] in {h.document_id for h in exact}
    assert ids["plain"] not in {h.document_id for h in exact} and ids["ocr"] not in {h.document_id for h in exact}
    # every exact match ranks before every folded-only match
    flags = [h.exact for h in page.hits]
    assert flags == sorted(flags, reverse=True)
    # without diacritics: everything is found, the diacritics-free text is the exact one
    page = index.search(f"{tag} thu tuc hanh chinh", limit=500)
    assert page.total == 103
    assert page.hits[0].document_id == ids["plain"] and page.hits[0].exact


def test_dd_folds_to_d_and_snippet_highlights_as_written(indexed):
    _, index, ids, tag = indexed
    page = index.search(f"{tag} dang ky dat dai dong thap")
    assert [h.document_id for h in page.hits] == [ids["dd"]]
    html = page.hits[0].snippet_html
    assert "<mark>Đăng</mark>" in html and "<mark>Đồng</mark> <mark>Tháp</mark>" in html


def test_phrase_query(indexed):
    _, index, ids, tag = indexed
    found = {h.document_id for h in index.search(f'{tag} "dat dai tai dong"').hits}
    assert found == {ids["dd"]}
    assert index.search(f'{tag} "dai dat"').total == 0  # order matters in a phrase
    # an unbalanced quote is an ordinary character
    assert {h.document_id for h in index.search(f'{tag} "dat dai tai').hits} == {ids["dd"]}


def test_misread_word_is_searched_within_one_edit(indexed):
    _, index, ids, tag = indexed
    page = index.search(f"{tag} khen thuowng")  # no document has "thuowng"
    assert ids["ocrtypo"] in {h.document_id for h in page.hits}
    assert page.query["fuzzy"] == ["thuowng"]


def test_filters_and_facets(indexed):
    _, index, ids, tag = indexed
    page = index.search(tag, limit=1)
    assert page.total == 306  # the superseded document is not indexed
    assert page.facets["type"]["quyet_dinh"] == 101 and page.facets["type"]["huong_dan"] == 3
    assert page.facets["agency"]["Sở Nội vụ tỉnh Đồng Tháp"] == 150
    assert page.facets["status"] == {"none": 306}
    assert index.search(tag, Filters(type=["huong_dan"])).total == 3
    assert index.search(tag, Filters(agency=["so noi vu tinh dong thap"])).total == 150
    assert index.search(tag, Filters(holder=["089123456789"])).hits[0].document_id == ids["dd"]
    assert index.search(tag, Filters(dossier=["000.00.00.h12-230525-0001"])).total == 1
    ranged = index.search(tag, Filters(date_from=date(2019, 1, 1), date_to=date(2023, 12, 31)))
    assert {h.document_id for h in ranged.hits} == {ids["dd"], ids["old"]}
    assert index.search(tag, Filters(date_to=date(2019, 1, 2))).hits[0].document_id == ids["old"]
    assert index.search(tag, Filters(type=["huong_dan"], status=["valid"])).total == 0


def test_sync_follows_changes_results_and_deletions(indexed):
    catalog, index, ids, tag = indexed
    with catalog.session() as s:
        new = _add(s, f"{tag} quyết định cấp phép xây dựng mới", doc_type="giay_phep")
        s.add(Dossier(code="H12-240101-0007", agency_id="H12", received=date(2024, 1, 1), sequence=7, holder_id="001234567890"))
        s.add(Result(document_id=ids["old"], holder_id="079000000001", holder_kind="personal_id", doc_type="giay_chung_nhan",
                     agency_id="000.00.00.H12", dossier_code="H12-240101-0007", status="valid", verify_code=uuid.uuid4().hex, disclosed=[]))
        doc = s.get(Document, ids["exact"])
        doc.state = "superseded"
        gone = s.get(Document, ids["plain"])
        s.add(Tombstone(document_id=gone.id, by="test", reason="retention"))
        s.delete(s.get(DocumentPage, s.query(DocumentPage).filter_by(document_id=gone.id).one().id))
        s.delete(gone)
        s.commit()
    assert index.sync(catalog) >= 2
    assert {h.document_id for h in index.search(f"{tag} cap phep xay dung").hits} == {new}
    hits = {h.document_id for h in index.search(f"{tag} thu tuc hanh chinh", limit=500).hits}
    assert ids["exact"] not in hits and ids["plain"] not in hits
    assert index.search(tag, Filters(holder=["079000000001"])).hits[0].document_id == ids["old"]
    assert index.search(tag, Filters(holder=["001234567890"])).hits[0].document_id == ids["old"]  # the dossier's holder
    assert index.search(tag, Filters(agency=["000.00.00.H12"], status=["valid"])).total == 1
    assert index.sync(catalog) == 0  # nothing new: nothing redone
    # a second node with its own index converges on the same answers
    other = SearchIndex(index.path.parent / "other-index")
    other.sync(catalog)
    q = f"{tag} quyet dinh"
    assert {h.document_id for h in other.search(q, limit=500).hits} == {h.document_id for h in index.search(q, limit=500).hits}
    # reopening keeps the cursor: nothing to redo
    again = SearchIndex(index.path)
    assert again.cursor == index.cursor and again.search(q).total == index.search(q).total


def test_literal_query_syntax_and_limits(indexed):
    _, index, ids, tag = indexed
    for q in ['"', '""', "*", "-", "NEAR", "a NEAR/3 b", "title:x OR 1=1", "(((", "thủ* -tục", "'; DROP TABLE documents; --",
              "\\", "%_", "\x00", "🙂", "AND OR NOT"]:
        index.search(f"{tag} {q}")  # never raises
    assert index.search(f"{tag} -thủ -tục -hành -chính").total == 103  # "-" is a separator, not NOT
    with pytest.raises(QueryError):
        parse_query("a" * (MAX_QUERY_CHARS + 1))
    with pytest.raises(QueryError):
        parse_query(" ".join(f"từ{i}" for i in range(40)))


def test_snippet_escapes_html():
    html = snippet("<script>alert(1)</script> thủ tục & hành chính", ["thu", "tuc"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark>thủ</mark> <mark>tục</mark> &amp;" in html


def test_search_route(tmp_path, monkeypatch):
    from api.problems import install
    from api.routes import search as route
    from ingest.runtime import Runtime
    from ingest.settings import Settings

    rt = Runtime(Settings(data_dir=tmp_path / "var"))
    tag = "z" + uuid.uuid4().hex[:8]
    ids = _corpus(rt.catalog, tag, n=30)
    from fastapi import Depends

    from api.security import authorize

    app = FastAPI(dependencies=[Depends(authorize)])
    install(app)
    app.include_router(route.router)
    app.state.rt = rt
    client = staff(TestClient(app))
    r = client.get("/api/v1/search", params={"q": f"{tag} thu tuc hanh chinh", "type": "huong_dan"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and body["hits"][0]["exact"] is True
    assert body["facets"]["type"] == {"huong_dan": 3}
    assert body["hits"][0]["document_id"] == ids["plain"] and "<mark>" in body["hits"][0]["snippet_html"]
    # the index follows the catalogue on the serving path
    with rt.catalog.session() as s:
        new = _add(s, f"{tag} giấy phép kinh doanh karaoke")
        s.commit()
    route.index_for(rt).check_interval = 0
    r = client.get("/api/v1/search", params={"q": f"{tag} karaoke"})
    assert [h["document_id"] for h in r.json()["hits"]] == [new]
    r = client.get("/api/v1/search", params={"q": "x" * 10_000})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    for q in ['"', '*', 'NEAR', '-', '"unbalanced', "a\" OR \"1"]:
        assert client.get("/api/v1/search", params={"q": q}).status_code == 200
    r = client.get("/api/v1/search", params={"q": tag, "from": "2023-01-01", "to": "2023-12-31"})
    assert [h["document_id"] for h in r.json()["hits"]] == [ids["dd"]]
    assert client.get("/api/v1/search", params={"q": tag, "from": "yesterday"}).status_code == 422
    assert client.get("/api/v1/search", params={"q": tag, "from": "2024-01-01", "to": "2023-01-01"}).status_code == 422
    assert client.get("/api/v1/search", params={"q": tag, "limit": 0}).status_code == 422
    rt.close()


def test_cli_rebuild_and_sync(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import api.cli_search  # noqa: F401  (registers the commands)
    from api.cli import app
    from ingest.settings import Settings, get_settings

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    monkeypatch.setattr("api.cli_search.get_settings", lambda: Settings(data_dir=tmp_path / "var"))
    catalog = Catalog(f"sqlite:///{tmp_path / 'var' / 'catalog.sqlite3'}")
    with catalog.session() as s:
        _add(s, "quyết định về thủ tục hành chính")
        s.commit()
    runner = CliRunner()
    r = runner.invoke(app, ["search-index", "rebuild"])
    assert r.exit_code == 0, r.output
    assert "indexed 1 documents" in r.output
    r = runner.invoke(app, ["search-index", "sync"])
    assert r.exit_code == 0 and "synced 0 documents" in r.output
    assert SearchIndex(tmp_path / "var" / "search-index").search("thu tuc").total == 1
    catalog.dispose()


def _word_phrase_index(index: SearchIndex, catalog):
    """A reference index of the folded fields with word positions, as phrases were searched before the bigram
    fields: (id of each document address, a function of the folded words to the phrase query)."""
    import tantivy

    from storage.catalog import Document
    from storage.text import fold

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("text_f", "meta_f"):
        sb.add_text_field(name, stored=False, tokenizer_name="default", index_option="position")
    schema = sb.build()
    ref = tantivy.Index(schema)
    writer = ref.writer(heap_size=15_000_000, num_threads=1)
    with catalog.session() as s:
        ids = [d for (d,) in s.query(Document.id)]
    for _did, tdoc in index._documents(catalog, ids):
        if tdoc is not None:
            fields = tdoc.to_dict()
            writer.add_document(tantivy.Document(**{k: fields[k] for k in ("id", "text_f", "meta_f")}))
    writer.commit()
    ref.reload()

    def phrase(words):
        ws = [fold(w) for w in words]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.phrase_query(schema, n, ws))
                                            for n in ("text_f", "meta_f")])

    return ref.searcher(), phrase


def test_phrase_over_bigrams_finds_exactly_the_word_phrase_documents(tmp_path):
    """Phrases of 2 to 7 words: the bigram query matches the same documents as the word phrase, also with
    repeated words, words too long to index (≥ 40 bytes), upper case and letters outside Vietnamese."""
    from storage.search_index import tokens

    rng = random.Random(11)
    vocab = ["thủ", "tục", "hành", "chính", "ủy", "ban", "nhân", "dân", "Đất", "đai", "x" * 39, "y" * 40,
             "ĐƯỜNG" * 9, "ΣΟΦΙΑ", "2024", "số"]
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    texts = []
    with catalog.session() as s:
        for i in range(200):
            text = " ".join(rng.choice(vocab[:8]) if rng.random() < 0.7 else rng.choice(vocab) for _ in range(30))
            texts.append(text)
            _add(s, text, title=" ".join(rng.choice(vocab) for _ in range(4)))
        long = "y" * 40  # not indexed, but its position is: the words either side are not adjacent
        for text in (f"alpha {long} beta", f"gamma delta {long} delta epsilon", "ALPHA BETA", "đất  đai\n\nĐẤT, ĐAI."):
            texts.append(text)
            _add(s, text)
        s.commit()
    index = SearchIndex(tmp_path / "search-index")
    index.rebuild(catalog)
    searcher = index.index.searcher()
    ref, word_phrase = _word_phrase_index(index, catalog)

    def found(q, searcher=searcher):
        return {searcher.doc(a)["id"][0] for _, a in searcher.search(q, 1000).hits}

    phrases = [["thủ", "tục", "hành", "chính"], ["ủy", "ban", "nhân", "dân"], ["dân", "ủy"], ["ban", "ban", "ban"],
               ["x" * 39, "y" * 40, "đất"], ["hành", "ĐƯỜNG" * 9], ["ΣΟΦΙΑ", "2024", "số"], ["alpha", "beta"],
               ["alpha", "y" * 40, "beta"], ["gamma", "delta", "epsilon"], ["delta", "delta"], ["đai", "đất", "đai"]]
    for _ in range(60):
        words = tokens(rng.choice(texts))
        n = rng.choice([2, 3, 4, 5, 6, 7])
        start = rng.randrange(len(words) - n)
        phrases.append(words[start:start + n])
    matched = 0
    for p in phrases:
        want = found(word_phrase(p), ref)
        assert found(index._q_phrase(p)) == want, p
        matched += bool(want)
    assert matched > 40  # the comparison is not between empty sets
    catalog.dispose()


def _old_schema_index(path, catalog) -> None:
    """An index as schema version 1 wrote it (no bigram fields), caught up with the catalogue."""
    import json

    import tantivy

    from storage.catalog import Document

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("text_f", "text_x", "meta_f", "meta_x"):
        sb.add_text_field(name, stored=False, tokenizer_name="default", index_option="position")
    old = tantivy.Index(sb.build(), path=str(path))
    writer = old.writer(heap_size=15_000_000, num_threads=1)
    with catalog.session() as s:
        for doc in s.query(Document):
            d = tantivy.Document()
            d.add_text("id", doc.id)
            d.add_text("text_f", "thu tuc hanh chinh")
            writer.add_document(d)
    writer.commit()
    del writer, old
    (path / "cursor.json").write_text(json.dumps({"schema": 1, "changed_at": datetime.now(timezone.utc).isoformat(),
                                                  "recent": {}}))


@pytest.mark.parametrize("marker", [1, None, "current"])
def test_an_index_of_another_schema_is_rebuilt_not_half_searched(tmp_path, marker):
    """After an upgrade, a node finds its old index: it empties it and indexes the catalogue again, so phrases
    (searched in fields the old index lacks) still find their documents. Also when the marker is missing, or
    claims the current version over an index of another schema (a copied directory)."""
    import json

    from storage.search_index import SCHEMA_VERSION

    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    with catalog.session() as s:
        did = _add(s, "hướng dẫn thủ tục hành chính về đất đai")
        s.commit()
    path = tmp_path / "search-index"
    path.mkdir()
    _old_schema_index(path, catalog)
    cursor = json.loads((path / "cursor.json").read_text())
    if marker is None:
        del cursor["schema"]
    elif marker == "current":
        cursor["schema"] = SCHEMA_VERSION
    (path / "cursor.json").write_text(json.dumps(cursor))
    index = SearchIndex(path)
    assert index.num_docs() == 0 and index.cursor is None  # emptied: the next sync takes everything
    index.refresh(catalog)
    assert [h.document_id for h in index.search('"thu tuc hanh chinh"').hits] == [did]
    assert [h.document_id for h in index.search('"đất đai"').hits] == [did]
    assert json.loads((path / "cursor.json").read_text())["schema"] == SCHEMA_VERSION
    again = SearchIndex(path)  # the rebuilt index is kept
    assert again.num_docs() == 1 and again.cursor == index.cursor
    catalog.dispose()
