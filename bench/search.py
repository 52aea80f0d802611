"""Search engines compared on one corpus: sohoa's Tantivy index, SQLite FTS5, PostgreSQL full-text.

Usage: .venv/bin/python bench/search.py [--docs 100000] [--engines tantivy,fts5,postgres] [--runs 100]
       .venv/bin/python bench/search.py --docs 1000000 --engines tantivy      # the 1M figures (long)

Generates N synthetic documents of ~250 words from the administrative vocabulary of ``bench.synthetic.vocab``
(topics, subjects, agencies, places, people, with Zipf-like phrase frequencies, so common words such as
``thủ tục hành chính`` hit a large share of the documents), loads them into an embedded sohoa catalogue and
into each engine, and measures load time, indexing rate, index size and p50/p95/p99 latency (top 20) for
single-word, multi-word, phrase, diacritics-free and filtered queries. Writes ``bench/results/search.json``
(figures per corpus size are merged, so a 1M run adds to the 100k one).

- ``tantivy``: ``storage.search_index.SearchIndex`` as served — indexing through ``rebuild`` from the catalogue
  (reading pages, folding, results, dossiers), searches with exact-match bonus, snippets and three facets.
- ``fts5``: SQLite FTS5 over the folded text (``unicode61``; ``remove_diacritics 2`` alone would miss đ→d),
  ``ORDER BY bm25`` — the embedded alternative.
- ``postgres``: a ``tsvector`` of the folded text (``simple`` configuration: what ``unaccent`` plus an explicit
  đ→d gives) with a GIN index, ranked by ``ts_rank`` over every match (exact top 20) and, as ``postgres_bounded``,
  over only the first 1000 matches (bounded time, approximate top 20).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import vocab  # noqa: E402
from storage.text import fold  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "search.json"
PG_ADMIN = os.environ.get("SOHOA_TEST_PG", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
TYPES = ["quyet_dinh", "cong_van", "bao_cao", "ke_hoach", "to_trinh", "thong_bao", "giay_chung_nhan", "don_de_nghi"]
COMMON = ["ủy ban nhân dân", "thủ tục hành chính", "cộng hòa xã hội chủ nghĩa việt nam", "độc lập tự do hạnh phúc",
          "căn cứ luật tổ chức chính quyền địa phương", "theo đề nghị của giám đốc sở", "quyết định này có hiệu lực kể từ ngày ký",
          "chánh văn phòng", "các cơ quan đơn vị có liên quan chịu trách nhiệm thi hành", "nơi nhận", "lưu văn thư",
          "tổ chức thực hiện", "hồ sơ", "kết quả giải quyết", "công dân", "cán bộ công chức", "trên địa bàn tỉnh"]

QUERIES = {
    "single": ["hành", "tỉnh", "đất", "hồ", "chuyển", "khen", "bão", "karaoke", "lưu", "xã"],
    "multi": ["thủ tục hành chính", "ủy ban nhân dân tỉnh", "cải cách hành chính", "chữ ký số chuyên dùng", "đăng ký đất đai",
              "chuyển đổi số", "an toàn thực phẩm", "bảo hiểm xã hội", "nông thôn mới", "tiếp công dân"],
    "phrase": ['"thủ tục hành chính"', '"ủy ban nhân dân"', '"cải cách hành chính"', '"chữ ký số"', '"đăng ký đất đai"',
               '"chuyển đổi số"', '"an toàn thực phẩm"', '"bảo hiểm y tế"', '"nông thôn mới"', '"tiếp công dân"'],
}
QUERIES["nodiacritics"] = [fold(q) for q in QUERIES["multi"]]
QUERIES["filtered"] = QUERIES["multi"]  # plus type = cong_van
_WORD = re.compile(r"[^\W_]+")


def _phrases() -> list[str]:
    out = list(COMMON)
    out += [t for t in vocab.TOPICS]
    for templates in vocab.SUBJECTS.values():
        out += [re.sub(r"\{[^}]*\}", " ", t) for t in templates]
    out += [f"{n} {d}" for n, _s, d in getattr(vocab, "DEPARTMENTS", []) if isinstance(n, str)]
    out += [p for p in vocab.PROVINCE_NAMES]
    out += [s for s in vocab.STREETS] + [v for v in vocab.VILLAGES]
    out += [s for s in vocab.OCCUPATIONS]
    return [" ".join(_WORD.findall(p)) for p in out if _WORD.findall(p)]


def corpus(n: int, seed: int = 30):
    """(text, type, agency, created) for n documents of about 250 words; Zipf-like phrase frequencies."""
    rng = random.Random(seed)
    phrases = _phrases()
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(phrases))]
    agencies = [f"Ủy ban nhân dân tỉnh {p}" for p in vocab.PROVINCE_NAMES[:20]] + [f"Sở Nội vụ tỉnh {p}" for p in vocab.PROVINCE_NAMES[:20]]
    people = [f"{rng.choice(vocab.SURNAMES)} {rng.choice(vocab.MIDDLE_M)} {rng.choice(vocab.GIVEN_M)}" for _ in range(5000)]
    t0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
    for i in range(n):
        words: list[str] = []
        while len(words) < 250:
            pick = rng.choices(phrases, weights, k=8)
            for p in pick:
                words += p.split()
            if rng.random() < 0.3:
                words += rng.choice(people).split()
            words.append(str(rng.randint(1, 2025)))
        text = " ".join(words[:250])
        text = text[0].upper() + text[1:]
        yield text, TYPES[i % len(TYPES)] if rng.random() < 0.7 else rng.choice(TYPES), rng.choice(agencies), t0 + timedelta(minutes=i)


def load_catalog(url: str, n: int) -> float:
    """Bulk-insert n documents (one page each) into a sohoa catalogue; returns seconds."""
    from sqlalchemy import insert

    from storage.catalog import Catalog, Document, DocumentPage, ScanPage

    cat = Catalog(url)
    t0 = time.perf_counter()
    batch_pages, batch_docs, batch_links = [], [], []
    now = datetime.now(timezone.utc)

    def flush():
        with cat.engine.begin() as conn:
            conn.execute(insert(ScanPage), batch_pages)
            conn.execute(insert(Document), batch_docs)
            conn.execute(insert(DocumentPage), batch_links)
        batch_pages.clear(), batch_docs.clear(), batch_links.clear()

    for i, (text, typ, agency, created) in enumerate(corpus(n), 1):
        sha = f"{i:064x}"
        batch_pages.append({"id": i, "source_sha256": sha, "number": 1, "status": "ok", "text": text, "text_folded": fold(text),
                            "created_at": created})
        batch_docs.append({"id": f"{i:032x}", "source_sha256": sha, "pdf_sha256": sha, "filename": f"{i}.pdf", "mime": "application/pdf",
                           "page_count": 1, "doc_type": typ, "fields": {"agency": {"value": agency}}, "title": text[:80],
                           "meta_folded": fold(f"{typ} {agency}"), "created_at": created, "changed_at": now, "warnings": [],
                           "state": "visible"})
        batch_links.append({"document_id": f"{i:032x}", "position": 1, "scan_page_id": i})
        if len(batch_docs) == 5000:
            flush()
    if batch_docs:
        flush()
    cat.dispose()
    return time.perf_counter() - t0


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _stats(samples: list[float]) -> dict:
    s = sorted(samples)

    def pct(p):
        return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000, 2)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": round(s[-1] * 1000, 2), "n": len(s)}


def measure(run_query, runs: int) -> dict:
    """Latencies per kind: every query of the kind, round-robin, ``runs`` times in all; plus hit counts."""
    out = {}
    for kind, queries in QUERIES.items():
        for q in queries[:2]:  # warm caches as a serving node would be
            run_query(kind, q)
        samples, totals = [], []
        for r in range(runs):
            q = queries[r % len(queries)]
            t0 = time.perf_counter()
            total = run_query(kind, q)
            samples.append(time.perf_counter() - t0)
            if r < len(queries):
                totals.append(total)
        out[kind] = _stats(samples) | {"matches_median": statistics.median(totals) if totals else None}
    return out


def bench_tantivy(catalog_url: str, work: Path, runs: int) -> dict:
    from storage.catalog import Catalog
    from storage.search_index import Filters, SearchIndex

    cat = Catalog(catalog_url)
    index = SearchIndex(work / "search-index")
    t0 = time.perf_counter()
    n = index.rebuild(cat)
    load = time.perf_counter() - t0
    cat.dispose()

    def run(kind, q):
        filters = Filters(type=["cong_van"]) if kind == "filtered" else None
        return index.search(q, filters, limit=20).total

    out = {"engine": "tantivy (storage.search_index, with exact bonus, snippets, 3 facets)", "documents": n,
           "load_s": round(load, 1), "docs_per_s": round(n / load), "index_bytes": _size(index.path)}
    out["queries"] = measure(run, runs)

    def run_bare(kind, q):
        filters = Filters(type=["cong_van"]) if kind == "filtered" else None
        return index.search(q, filters, limit=20, facets=False).total

    out["queries_without_facets"] = measure(run_bare, runs)
    return out


def bench_fts5(work: Path, n: int, runs: int) -> dict:
    path = work / "fts5.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(body, doc_type UNINDEXED, agency UNINDEXED, tokenize='unicode61 remove_diacritics 2')")
    t0 = time.perf_counter()
    rows = []
    for text, typ, agency, _ in corpus(n):
        rows.append((fold(text), typ, fold(agency)))
        if len(rows) == 5000:
            db.executemany("INSERT INTO fts(body, doc_type, agency) VALUES (?, ?, ?)", rows)
            rows.clear()
    if rows:
        db.executemany("INSERT INTO fts(body, doc_type, agency) VALUES (?, ?, ?)", rows)
    db.commit()
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.commit()
    load = time.perf_counter() - t0

    def match(kind, q):
        words = _WORD.findall(fold(q))
        if kind == "phrase":
            return '"' + " ".join(words) + '"'
        return " ".join(f'"{w}"' for w in words)  # every word quoted: literal, AND

    def run(kind, q):
        sql = "SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ?"
        args = [match(kind, q)]
        if kind == "filtered":
            sql += " AND doc_type = ?"
            args.append("cong_van")
        rows = db.execute(sql + " ORDER BY bm25(fts) LIMIT 20", args).fetchall()
        return len(rows)

    out = {"engine": "sqlite fts5 (folded text, unicode61, ORDER BY bm25)", "documents": n, "load_s": round(load, 1),
           "docs_per_s": round(n / load), "index_bytes": _size(path)}
    out["queries"] = measure(run, max(20, runs // 5))
    db.close()
    return out


def bench_postgres(n: int, runs: int) -> dict:
    import psycopg

    name = f"sohoa_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, doc_type text, agency text, body text, tsv tsvector)")
            t0 = time.perf_counter()
            with db.cursor() as cur:
                with cur.copy("COPY docs (id, doc_type, agency, body) FROM STDIN") as copy:
                    for i, (text, typ, agency, _) in enumerate(corpus(n), 1):
                        copy.write_row((i, typ, fold(agency), fold(text)))
            db.execute("UPDATE docs SET tsv = to_tsvector('simple', body)")
            db.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
            db.execute("CREATE INDEX docs_type ON docs (doc_type)")
            db.execute("VACUUM ANALYZE docs")
            load = time.perf_counter() - t0
            size = db.execute("SELECT pg_total_relation_size('docs')").fetchone()[0]

            def tsq(kind, q):
                words = _WORD.findall(fold(q))
                return (" <-> " if kind == "phrase" else " & ").join(words)

            def run_full(kind, q):
                filt = " AND doc_type = 'cong_van'" if kind == "filtered" else ""
                rows = db.execute(f"SELECT id, ts_rank(tsv, q) r FROM docs, to_tsquery('simple', %s) q WHERE tsv @@ q{filt} "
                                  "ORDER BY r DESC LIMIT 20", (tsq(kind, q),)).fetchall()
                return len(rows)

            def run_bounded(kind, q):
                filt = " AND doc_type = 'cong_van'" if kind == "filtered" else ""
                rows = db.execute(f"SELECT id, ts_rank(tsv, q) r FROM (SELECT id, tsv FROM docs, to_tsquery('simple', %s) q "
                                  f"WHERE tsv @@ q{filt} LIMIT 1000) m, to_tsquery('simple', %s) q ORDER BY r DESC LIMIT 20",
                                  (tsq(kind, q), tsq(kind, q))).fetchall()
                return len(rows)

            out = {"engine": "postgresql tsvector('simple', folded) + GIN, ts_rank over every match", "documents": n,
                   "load_s": round(load, 1), "docs_per_s": round(n / load), "index_bytes": size,
                   "server": db.execute("SHOW server_version").fetchone()[0]}
            out["queries"] = measure(run_full, max(20, runs // 5))
            out["queries_bounded_rank_first_1000"] = measure(run_bounded, max(20, runs // 5))
            return out
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--engines", default="tantivy,fts5,postgres")
    ap.add_argument("--runs", type=int, default=200, help="timed queries per kind (FTS5/PostgreSQL: a fifth, at least 20)")
    ap.add_argument("--work", type=Path, default=None, help="working directory (default: a temporary one, removed)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    work = args.work or Path(tempfile.mkdtemp(prefix="sohoa-search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    run: dict = {"documents": args.docs, "words_per_document": 250, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "engines": {}}
    try:
        t0 = time.perf_counter()
        words = sum(len(t.split()) for t, *_ in corpus(min(args.docs, 2000)))
        run["corpus"] = {"distinct_phrases": len(_phrases()), "generate_s_per_1000": None,
                         "share_with_thu_tuc_hanh_chinh": None, "sample_words": words}
        if "tantivy" in engines:
            url = f"sqlite:///{work / 'catalog.sqlite3'}"
            run["catalog_load_s"] = round(load_catalog(url, args.docs), 1)
            print(f"catalog loaded: {run['catalog_load_s']} s", flush=True)
            run["engines"]["tantivy"] = bench_tantivy(url, work, args.runs)
            print(json.dumps(run["engines"]["tantivy"], indent=1), flush=True)
        if "fts5" in engines:
            run["engines"]["fts5"] = bench_fts5(work, args.docs, args.runs)
            print(json.dumps(run["engines"]["fts5"], indent=1), flush=True)
        if "postgres" in engines:
            run["engines"]["postgres"] = bench_postgres(args.docs, args.runs)
            print(json.dumps(run["engines"]["postgres"], indent=1), flush=True)
        sample = [t for t, *_ in corpus(2000)]
        run["corpus"]["share_with_thu_tuc_hanh_chinh"] = round(sum("thủ tục hành chính" in t for t in sample) / len(sample), 3)
        run["corpus"]["share_with_hanh"] = round(sum(" hành " in f" {t} " for t in sample) / len(sample), 3)
        run["total_s"] = round(time.perf_counter() - t0, 1)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.setdefault("machine", {}).update({"cpus": os.cpu_count(), "python": platform.python_version(),
                                              "platform": platform.platform()})
    results["target"] = "p95 <= 50 ms at 100 000 documents for every query kind, also the most common words; >= 1000 documents/s indexing"
    previous = results.setdefault("runs", {}).get(str(args.docs)) or {}
    for figures in run["engines"].values():  # each engine says when it was measured: a later run may keep it
        figures.setdefault("date", run["date"])
    run["engines"] = (previous.get("engines") or {}) | run["engines"]  # a run of some engines keeps the others' figures
    results["runs"][str(args.docs)] = previous | run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
