"""Ranked full-text search of the catalogue: a Tantivy index kept beside each process that serves queries.

Why Tantivy (measured by ``bench/search.py``, figures in ``bench/results/search.json``): at 100 000 documents
SQLite FTS5 and PostgreSQL full-text must score every document a common word hits before they can return the
top 20, and fall far past the 50 ms target for the most common administrative words; Tantivy's block-max
WAND ranking answers the same queries in milliseconds, embedded, with no server.

The catalogue stays the truth. The index is a cache that catches up from ``documents.changed_at`` (a cursor
kept in ``cursor.json`` in the index directory), from new results and from tombstones, so any number of API
nodes each keep their own index and converge; ``rebuild`` recreates it from the catalogue. Only visible
documents are indexed: a superseded or deleted document drops out at the next sync.

Each text is indexed twice: folded (``storage.text.fold``: NFC, lower case, no diacritics, đ→d) for recall,
and NFC lower-cased with its diacritics for ranking — a document that matches the query *exactly* (every term
or phrase with the same diacritics) gets a constant bonus far above any BM25 score, so exact matches always
come first, ranked by BM25 among themselves, then the diacritics-insensitive matches. A wrong or missing tone
mark (the common Vietnamese OCR error) disappears under folding; a term that is found nowhere (a misread
letter) is searched within one edit instead.

Phrases are searched in a third form of each text, its folded word bigrams (``_bigrams``: ``thu_tuc tuc_hanh
hanh_chinh``, one per word position): a phrase of two words is one bigram term, a longer one a phrase of a few
bigrams (``phrase_bigram_offsets``) — the same documents as the word phrase, but common words (``hành`` is in
almost every document) are no longer intersected and position-checked, which the facet counts used to pay a
second time (bench, 100 000 documents: phrase p95 with facets 69 → 30 ms; the index the same size, as the word
fields no longer keep positions; ~30 % more indexing CPU per document). The index
directory records its ``SCHEMA_VERSION``: an index of another version (or schema) is emptied and rebuilt from
the catalogue on open.

Query syntax, all of it literal: words (all must match, in the text or the metadata), ``"a phrase"``
(double quotes; an unbalanced quote is ignored). Every other character — ``*``, ``-``, ``:``, ``(``, ``NEAR``
— is a separator or an ordinary word; no query text reaches a query parser, so nothing can be injected.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import tantivy
from sqlalchemy import func, select

from storage.catalog import record_fields
from storage.text import fold

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: word-bigram fields text_b/meta_b for phrases; 3: owner; an index of another version is rebuilt
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
EXACT_BONUS = 10_000.0  # above any BM25 sum a query of MAX_TERMS terms can reach
SNIPPET_TOKENS = 30
SNIPPET_SCAN_CHARS = 20_000  # snippets come from the start of long documents
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits (Tantivy's default tokenizer splits the same way)
_PHRASE = re.compile(r'"([^"]*)"')
BIGRAM_TOKENIZER = "sohoa_bigram"  # whitespace: the bigram fields are tokenized by ``_bigrams``, not by Tantivy
MAX_TOKEN_BYTES = 40  # Tantivy's default tokenizer drops a token of this many UTF-8 bytes or more
_GAP = "_"  # a bigram position with a dropped word on either side: no query bigram ("a_b") equals it
_SIMPLE = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
_SIMPLE_LOWER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase()).build()
UTC = timezone.utc


class QueryError(ValueError):
    """The query cannot be searched (too long, too many terms); the message says why, for the user."""


@dataclass
class Filters:
    type: list[str] = field(default_factory=list)
    agency: list[str] = field(default_factory=list)
    dossier: list[str] = field(default_factory=list)
    holder: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    date_from: date | None = None  # issue date (created date when none was extracted), inclusive
    date_to: date | None = None
    visible_to: str | None = None  # an agency id: its own documents, unowned ones and registered results only


@dataclass
class Hit:
    document_id: str
    score: float
    exact: bool
    snippet_html: str
    title: str = ""
    doc_type: str = ""

    def as_dict(self) -> dict:
        return {"document_id": self.document_id, "score": round(self.score, 4), "exact": self.exact,
                "snippet_html": self.snippet_html, "title": self.title, "type": self.doc_type}


@dataclass
class SearchPage:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    query: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits], "facets": self.facets, "query": self.query}


# --- query parsing -----------------------------------------------------------------------------------------


@dataclass
class ParsedQuery:
    terms: list[str]  # single words, NFC lower case
    phrases: list[list[str]]  # phrases of two words or more, NFC lower case

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases

    def all_words(self) -> list[str]:
        return self.terms + [w for p in self.phrases for w in p]


def tokens(text: str) -> list[str]:
    """NFC, lower case, split into letters/digits runs (the exact field's analysis)."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text).lower())


def folded_tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def parse_query(q: str | None) -> ParsedQuery:
    """Words and double-quoted phrases, taken literally; raises QueryError when too long to search."""
    q = q or ""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query has {len(q)} characters; at most {MAX_QUERY_CHARS} are searched")
    phrases: list[list[str]] = []
    terms: list[str] = []
    if q.count('"') % 2:  # unbalanced: the last quote is an ordinary character
        i = q.rfind('"')
        q = q[:i] + " " + q[i + 1:]
    rest = []
    last = 0
    for m in _PHRASE.finditer(q):
        rest.append(q[last:m.start()])
        words = tokens(m.group(1))
        if len(words) == 1:
            terms.extend(words)
        elif words:
            phrases.append(words)
        last = m.end()
    rest.append(q[last:])
    for part in rest:
        terms.extend(tokens(part))
    seen = set()
    terms = [t for t in terms if not (t in seen or seen.add(t))]
    if len(terms) + sum(len(p) for p in phrases) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} words; shorten it")
    return ParsedQuery(terms, phrases)


# --- the index ---------------------------------------------------------------------------------------------


def _bigrams(folded: str) -> str:
    """The word bigrams of a folded text as the bigram fields index them: ``a_b b_c …``, one per word position.

    The words are exactly the terms Tantivy's default tokenizer gives the ``*_f`` field (its own simple tokenizer
    and lower-caser; a word of ``MAX_TOKEN_BYTES`` or more dropped, its position kept as ``_GAP``), so the bigram
    at position i is words i and i+1 of that field: a phrase of n words there is a phrase of its n-1 bigrams here,
    same documents — but a bigram is far rarer than either of its words, so little is intersected or position-checked.
    """
    raw = _SIMPLE.analyze(folded)
    words = raw if folded.isascii() and folded.islower() else _SIMPLE_LOWER.analyze(folded)  # ASCII lower: as is
    if max(map(len, raw), default=0) < MAX_TOKEN_BYTES // 4:  # no word can reach MAX_TOKEN_BYTES
        return " ".join(map("_".join, itertools.pairwise(words)))
    words = [w if len(r.encode()) < MAX_TOKEN_BYTES else "" for r, w in zip(raw, words)]
    return " ".join(f"{a}_{b}" if a and b else _GAP for a, b in itertools.pairwise(words))


def phrase_bigram_offsets(n: int) -> list[int]:
    """Which bigrams of a phrase of n >= 2 words to look up: bigram k (words k and k+1) at its offset k, every other
    one and the last, so every word is covered — words 0-1 at p and 2-3 at p+2 is the phrase of 4 words at p."""
    ks = list(range(0, n - 1, 2))
    return ks if ks[-1] == n - 2 else ks + [n - 2]


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("text_f", "text_x", "meta_f", "meta_x"):  # folded / exact, page text / metadata: words, no positions
        sb.add_text_field(name, stored=False, tokenizer_name="default", index_option="freq")
    for name in ("text_b", "meta_b"):  # bigrams of text_f / meta_f, for phrases (``_bigrams``)
        sb.add_text_field(name, stored=False, tokenizer_name=BIGRAM_TOKENIZER, index_option="position")
    sb.add_text_field("body", stored=True, index_option="basic", tokenizer_name="raw")  # snippets; not searched
    sb.add_text_field("title", stored=True, index_option="basic", tokenizer_name="raw")
    for name in ("type", "agency", "agency_key", "dossier", "holder", "status"):
        sb.add_text_field(name, stored=name == "type", tokenizer_name="raw", fast=True)
    sb.add_text_field("owner", stored=False, tokenizer_name="raw", index_option="basic")  # who may find it
    sb.add_date_field("day", stored=False, indexed=True, fast=True)
    sb.add_date_field("created", stored=False, indexed=True, fast=True)
    return sb.build()


OWNER_NONE, OWNER_RESULT = "_none_", "_result_"  # not Decision 20/2020 ids (those are digits, dots and letters)

DAY_MIN, DAY_MAX = date(1700, 1, 1), date(2262, 1, 1)  # what Tantivy's nanosecond dates can hold


def _clamp(dt: datetime) -> datetime:
    lo = datetime.combine(DAY_MIN, datetime.min.time(), tzinfo=UTC)
    hi = datetime.combine(DAY_MAX, datetime.min.time(), tzinfo=UTC)
    return min(max(dt, lo), hi)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _meta_exact(doc, results) -> str:
    """The metadata as written (NFC), for exact matching: title and every extracted text field."""
    parts = [doc.title or "", doc.dossier_code or ""]
    for v in record_fields(doc.fields).values():
        v = v.get("value") if isinstance(v, dict) else v
        if isinstance(v, str):
            parts.append(v)
        elif isinstance(v, list):
            parts.extend(x for x in v if isinstance(x, str))
    for r in results:
        parts.extend(x for x in (r.holder_name, r.number, r.holder_id) if x)
    return unicodedata.normalize("NFC", "\n".join(p for p in parts if p))


class SearchIndex:
    """One Tantivy index in a directory, kept in step with a catalogue.

    Thread-safe within a process; between processes sharing the directory, Tantivy's writer lock lets one
    sync at a time and the others only reload what it committed.
    """

    def __init__(self, path: str | Path, *, heap_bytes: int = 128_000_000, threads: int = 0,
                 overlap_seconds: float = 120.0, check_interval: float = 1.0, full_check_interval: float = 30.0):
        self.path = Path(path)
        self.heap_bytes = heap_bytes
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self.overlap = timedelta(seconds=overlap_seconds)  # a transaction stamped earlier may commit later
        self.check_interval = check_interval
        self.full_check_interval = full_check_interval
        self._lock = threading.RLock()
        self._recent: dict[str, datetime] = {}  # id (or result/tombstone key) -> stamp indexed, within the overlap  # id -> changed_at indexed, within the overlap window
        self._last_check = 0.0
        self._last_sync = 0.0
        self._last_marks: tuple | None = None
        self._background: threading.Thread | None = None
        self.truncated = False
        self.schema = _schema()
        self._open()

    # - files

    def _open(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        meta = self._read_cursor()
        if meta.get("schema") != SCHEMA_VERSION and tantivy.Index.exists(str(self.path)):
            log.info("search index %s has schema %s, rebuilding for %s", self.path, meta.get("schema"), SCHEMA_VERSION)
            self._remove()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as e:  # an index of another schema under a current marker (e.g. a copied directory)
            log.warning("search index %s does not match schema %s (%s), rebuilding", self.path, SCHEMA_VERSION, e)
            self._remove()
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer(BIGRAM_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self._recent.update({i: datetime.fromisoformat(c) for i, c in (self._read_cursor().get("recent") or {}).items()})

    def _remove(self) -> None:
        """Empty the directory: the index and its cursor go, so the next sync indexes the whole catalogue."""
        shutil.rmtree(self.path)
        self.path.mkdir(parents=True)

    def _cursor_file(self) -> Path:
        return self.path / "cursor.json"

    def _read_cursor(self) -> dict:
        try:
            return json.loads(self._cursor_file().read_text())
        except (OSError, ValueError):
            return {}

    @property
    def cursor(self) -> datetime | None:
        c = self._read_cursor().get("changed_at")
        return datetime.fromisoformat(c) if c else None

    def _write_cursor(self, changed_at: datetime | None) -> None:
        tmp = self.path / "cursor.json.tmp"
        recent = {}
        if changed_at is not None:  # what is within the overlap window is not redone by the next process either
            horizon = changed_at - self.overlap
            recent = {i: c.isoformat() for i, c in self._recent.items() if c >= horizon}
            if len(recent) > 20_000:
                recent = {}
        tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "changed_at": changed_at.isoformat() if changed_at else None,
                                   "synced_at": datetime.now(UTC).isoformat(), "recent": recent}))
        os.replace(tmp, self._cursor_file())

    def _writer(self):
        try:
            return self.index.writer(heap_size=self.heap_bytes, num_threads=self.threads)
        except ValueError:  # another process holds the writer lock: it is syncing the same catalogue
            return None

    def num_docs(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    # - keeping up with the catalogue

    def rebuild(self, catalog, *, progress=None) -> int:
        """Empty the index and index every visible document of the catalogue again."""
        with self._lock:
            writer = self._writer()
            if writer is None:
                raise RuntimeError(f"another process is writing the search index {self.path}")
            writer.delete_all_documents()
            writer.commit()
            del writer
            self._write_cursor(None)
            self._recent.clear()
            return self.sync(catalog, progress=progress)

    def sync(self, catalog, *, max_docs: int | None = None, progress=None) -> int:
        """Index what changed in the catalogue since the cursor; returns how many documents were (re)indexed.

        With ``max_docs``, stops after about that many (the cursor then says how far it got)."""
        from storage.catalog import Document, Result, Tombstone

        with self._lock:
            cursor = _aware(self.cursor)
            since = cursor - self.overlap if cursor else None
            with catalog.session() as s:
                stmt = select(Document.id, Document.changed_at).order_by(Document.changed_at, Document.id)
                if since is not None:
                    stmt = stmt.where(Document.changed_at >= since)
                changed = [(i, _aware(c)) for i, c in s.execute(stmt)]
                marks: list[tuple[str, str, datetime]] = []  # (key, document id, when): results and tombstones
                if since is not None:
                    stamps = [Result.created_at] + ([Result.changed_at] if hasattr(Result, "changed_at") else [])
                    for stamp in stamps:
                        rows = s.execute(select(Result.id, Result.document_id, stamp).where(stamp >= since))
                        marks += [(f"r:{r}:{_aware(t).isoformat()}", d, _aware(t)) for r, d, t in rows]
                    rows = s.execute(select(Tombstone.id, Tombstone.document_id, Tombstone.at).where(Tombstone.at >= since))
                    marks += [(f"t:{r}", d, _aware(t)) for r, d, t in rows]
            marks = [m for m in marks if m[0] not in self._recent]
            extra = {d for k, d, _ in marks if k.startswith("r:")}
            gone = {d for k, d, _ in marks if k.startswith("t:")}
            todo = [(i, c) for i, c in changed if self._recent.get(i) != c]
            new_cursor = cursor
            self.truncated = max_docs is not None and len(todo) > max_docs
            if self.truncated:
                todo = todo[:max_docs]
                extra, gone, marks = set(), set(), []  # taken on the call that reaches the end
            if todo:
                new_cursor = max(new_cursor or todo[-1][1], todo[-1][1])
            elif changed:
                new_cursor = max(new_cursor or changed[-1][1], changed[-1][1])
            ids = [i for i, _ in todo] + sorted(extra - {i for i, _ in todo})
            if not ids and not gone:
                self._remember(changed + [(k, t) for k, _, t in marks], new_cursor)
                if new_cursor != cursor or marks:
                    self._write_cursor(new_cursor)
                self._last_sync = time.monotonic()
                return 0
            writer = self._writer()
            if writer is None:
                self.index.reload()
                return 0
            done = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for did, tdoc in self._documents(catalog, chunk):
                    writer.delete_documents_by_term("id", did)
                    if tdoc is not None:
                        writer.add_document(tdoc)
                    done += 1
                if progress:
                    progress(min(start + 500, len(ids)), len(ids))
            for did in gone:
                writer.delete_documents_by_term("id", did)
            writer.commit()
            writer.wait_merging_threads()
            del writer
            self._remember(todo + [(k, t) for k, _, t in marks], new_cursor)
            self._write_cursor(new_cursor)
            self.index.reload()
            self._last_sync = time.monotonic()
            return done

    def _remember(self, rows, cursor: datetime | None) -> None:
        for i, c in rows:
            self._recent[i] = c
        if cursor is not None and len(self._recent) > 10_000:
            horizon = cursor - self.overlap
            self._recent = {i: c for i, c in self._recent.items() if c >= horizon}

    def _documents(self, catalog, ids: list[str]):
        """(id, tantivy document or None when it must not be found) for each id."""
        from storage.catalog import Document, DocumentPage, Dossier, Result, ScanPage

        with catalog.session() as s:
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(ids)))}
            texts: dict[str, list[str]] = {}
            rows = s.execute(
                select(DocumentPage.document_id, ScanPage.text)
                .join(ScanPage, DocumentPage.scan_page_id == ScanPage.id)
                .where(DocumentPage.document_id.in_(ids))
                .order_by(DocumentPage.document_id, DocumentPage.position)
            )
            for did, text in rows:
                texts.setdefault(did, []).append(text or "")
            results: dict[str, list] = {}
            for r in s.scalars(select(Result).where(Result.document_id.in_(ids))):
                results.setdefault(r.document_id, []).append(r)
            codes = {d.dossier_code for d in docs.values() if d.dossier_code}
            codes |= {r.dossier_code for rs in results.values() for r in rs if r.dossier_code}
            dossiers = {d.code: d for d in s.scalars(select(Dossier).where(Dossier.code.in_(codes)))} if codes else {}
        for did in ids:
            doc = docs.get(did)
            if doc is None or doc.state != "visible":
                yield did, None
                continue
            yield did, self._tantivy_doc(doc, "\n".join(texts.get(did, [])), results.get(did, []), dossiers)

    def _tantivy_doc(self, doc, text: str, results: list, dossiers: dict) -> tantivy.Document:
        text = unicodedata.normalize("NFC", text)
        meta_x = _meta_exact(doc, results)
        agency = doc.field_value("agency")
        dossier_codes = {c for c in [doc.dossier_code] + [r.dossier_code for r in results] if c}
        holders = {h for h in [doc.field_value("personal_id")] + [r.holder_id for r in results] if h}
        holders |= {dossiers[c].holder_id for c in dossier_codes if c in dossiers and dossiers[c].holder_id}
        statuses = sorted({r.status for r in results}) or ["none"]
        created = _aware(doc.created_at) or datetime.now(UTC)
        day = None
        issued = doc.field_value("issue_date")
        if issued:
            try:
                day = datetime.fromisoformat(issued[:10]).replace(tzinfo=UTC)
            except ValueError:
                day = None
        if day is None:
            day = datetime(created.year, created.month, created.day, tzinfo=UTC)
        t = tantivy.Document()
        t.add_text("id", doc.id)
        text_f = fold(text)
        meta_f = (doc.meta_folded or "") + "\n" + fold(meta_x)
        t.add_text("text_f", text_f)
        t.add_text("text_b", _bigrams(text_f))
        t.add_text("text_x", text)
        t.add_text("meta_f", meta_f)
        t.add_text("meta_b", _bigrams(meta_f))
        t.add_text("meta_x", meta_x)
        t.add_text("body", text)
        t.add_text("title", doc.title or "")
        t.add_text("type", doc.doc_type or "khac")
        if agency:
            t.add_text("agency", unicodedata.normalize("NFC", agency.strip()))
            t.add_text("agency_key", fold(agency))
        for r in results:
            if r.agency_id:
                t.add_text("agency_key", fold(r.agency_id))
        for c in sorted(dossier_codes):
            t.add_text("dossier", c.strip().upper())
        for h in sorted(holders):
            t.add_text("holder", h.strip())
        for st in statuses:
            t.add_text("status", st)
        t.add_text("owner", doc.agency_id or OWNER_NONE)
        if results:
            t.add_text("owner", OWNER_RESULT)  # a result is there to be reused by every agency
        t.add_date("day", _clamp(day))
        t.add_date("created", _clamp(created))
        return t

    def refresh(self, catalog, *, inline_max: int = 2000) -> None:
        """Cheap check on the serving path: at most every ``check_interval`` seconds, compare the catalogue's
        newest change with the last seen; sync when it moved (or every ``full_check_interval`` seconds, for
        late commits). A large backlog (a fresh node) is indexed ``inline_max`` at a time, the rest in a
        background thread, so a query never waits for a full rebuild."""
        from storage.catalog import Document, Tombstone

        now = time.monotonic()
        if now - self._last_check < self.check_interval:
            return
        self._last_check = now
        if self._background is not None and self._background.is_alive():
            self.index.reload()
            return
        with catalog.session() as s:
            marks = (s.scalar(select(func.max(Document.changed_at))), s.scalar(select(func.max(Tombstone.at))))
        if marks == self._last_marks and now - self._last_sync < self.full_check_interval:
            self.index.reload()  # another process sharing the directory may have committed
            return
        self._last_marks = marks
        self.sync(catalog, max_docs=inline_max)
        if self.truncated:
            self._background = threading.Thread(target=self._catch_up, args=(catalog,), daemon=True, name="search-index")
            self._background.start()

    def _catch_up(self, catalog) -> None:
        try:
            while True:
                self.sync(catalog, max_docs=20_000)
                if not self.truncated:
                    break
        except Exception:  # noqa: BLE001 - the next query retries
            log.exception("search index catch-up failed")

    # - searching

    def _q_term(self, field_name: str, word: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field_name, word)

    def _q_word(self, searcher, word: str, fuzzy: bool) -> tuple[tantivy.Query, bool]:
        """The folded word in the text or the metadata; within one edit when it is found nowhere."""
        f = fold(word)
        if fuzzy or (len(f) >= 4 and searcher.doc_freq("text_f", f) == 0 and searcher.doc_freq("meta_f", f) == 0):
            dist = 1 if len(f) < 8 else 2
            qs = [tantivy.Query.fuzzy_term_query(self.schema, n, f, distance=dist, transposition_cost_one=True)
                  for n in ("text_f", "meta_f")]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in qs]), True
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, self._q_term("text_f", f)),
                                            (tantivy.Occur.Should, self._q_term("meta_f", f))]), False

    def _q_phrase(self, words: list[str]) -> tantivy.Query:
        """The folded phrase in the text or the metadata, as the phrase of its word bigrams (``_bigrams``): one term
        for two words. The same documents as the word phrase in ``text_f``/``meta_f``, at a fraction of the cost."""
        ws = [fold(w) for w in words]
        if not all(ws):  # no such term in text_f either
            return tantivy.Query.empty_query()
        bigrams = [(k, f"{ws[k]}_{ws[k + 1]}") for k in phrase_bigram_offsets(len(ws))]
        if len(bigrams) == 1:
            qs = [self._q_term(n, bigrams[0][1]) for n in ("text_b", "meta_b")]
        else:
            qs = [tantivy.Query.phrase_query(self.schema, n, bigrams) for n in ("text_b", "meta_b")]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in qs])

    def _q_filters(self, filters: Filters | None) -> list[tantivy.Query]:
        out = []
        if not filters:
            return out

        def any_of(name, values, norm=lambda v: v):
            vals = [norm(v) for v in values if v and v.strip()]
            if vals:
                out.append(tantivy.Query.boolean_query([(tantivy.Occur.Should, self._q_term(name, v)) for v in vals]))

        any_of("type", filters.type, str.strip)
        any_of("agency_key", filters.agency, fold)
        any_of("dossier", filters.dossier, lambda v: v.strip().upper())
        any_of("holder", filters.holder, str.strip)
        any_of("status", filters.status, lambda v: v.strip().lower())
        if filters.visible_to is not None:
            any_of("owner", [filters.visible_to or OWNER_NONE, OWNER_NONE, OWNER_RESULT])
        if filters.date_from or filters.date_to:
            lo = _clamp(datetime.combine(filters.date_from or DAY_MIN, datetime.min.time(), tzinfo=UTC))
            hi = _clamp(datetime.combine(filters.date_to or DAY_MAX, datetime.min.time(), tzinfo=UTC))
            out.append(tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Date, lo, hi))
        return out

    def search(self, query: str | None, filters: Filters | None = None, *, limit: int = 20, offset: int = 0,
               fuzzy: bool = False, facets: bool = True, sort: str = "relevance") -> SearchPage:
        parsed = parse_query(query)
        searcher = self.index.searcher()
        must: list[tantivy.Query] = []
        fuzzed: list[str] = []
        for w in parsed.terms:
            q, fz = self._q_word(searcher, w, fuzzy)
            must.append(q)
            if fz:
                fuzzed.append(fold(w))
        for p in parsed.phrases:
            must.append(self._q_phrase(p))
        must += self._q_filters(filters)
        if not must:
            q = tantivy.Query.all_query()
        else:
            clauses = [(tantivy.Occur.Must, q) for q in must]
            if not parsed.empty:
                exact = [tantivy.Query.boolean_query([(tantivy.Occur.Should, self._q_term("text_x", w)),
                                                      (tantivy.Occur.Should, self._q_term("meta_x", w))]) for w in parsed.terms]
                # a phrase's exact form is checked word by word: a second positional pass over every match of a
                # common phrase would double its cost (bench: p95 142 -> see search.json)
                exact += [tantivy.Query.boolean_query([(tantivy.Occur.Should, self._q_term("text_x", w)),
                                                       (tantivy.Occur.Should, self._q_term("meta_x", w))])
                          for p in parsed.phrases for w in p]
                exact_q = exact[0] if len(exact) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, e) for e in exact])
                clauses.append((tantivy.Occur.Should, tantivy.Query.const_score_query(exact_q, EXACT_BONUS)))
            q = tantivy.Query.boolean_query(clauses)
        if sort == "newest" or parsed.empty:
            res = searcher.search(q, limit, count=True, offset=offset, order_by_field="created", order=tantivy.Order.Desc)
        else:
            res = searcher.search(q, limit, count=True, offset=offset)
        words = [fold(w) for w in parsed.all_words()]
        hits = []
        for key, addr in res.hits:
            d = searcher.doc(addr)
            score = float(key) if sort != "newest" and not parsed.empty else 0.0
            hits.append(Hit(document_id=d["id"][0], score=score, exact=score >= EXACT_BONUS,
                            snippet_html=snippet(d.get_first("body") or "", words, set(fuzzed)),
                            title=d.get_first("title") or "", doc_type=d.get_first("type") or ""))
        out_facets: dict[str, dict[str, int]] = {}
        if facets:
            agg = searcher.aggregate(q, {name: {"terms": {"field": name, "size": 50}} for name in ("type", "agency", "status")})
            for name in ("type", "agency", "status"):
                out_facets[name] = {b["key"]: b["doc_count"] for b in (agg.get(name) or {}).get("buckets", [])}
        return SearchPage(total=res.count, hits=hits, facets=out_facets,
                          query={"terms": parsed.terms, "phrases": [" ".join(p) for p in parsed.phrases], "fuzzy": fuzzed})


# --- snippets ----------------------------------------------------------------------------------------------


def _within_one(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def _fold_table() -> dict[int, str]:
    table = {}
    for cp in list(range(0x41, 0x5B)) + list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        f = fold(ch)
        if len(f) == 1 and f != ch:
            table[cp] = f
    return table


_FOLD_TABLE = _fold_table()  # one character for one character: positions in the folded text are positions in the text


def snippet(text: str, words: list[str], fuzzy: set[str] | None = None, size: int = SNIPPET_TOKENS) -> str:
    """An HTML-escaped passage of ``text`` around the most query words, each match in ``<mark>``.

    Matching is on folded words, so ``thu tuc`` highlights ``thủ tục`` with its diacritics as written."""
    text = text[:SNIPPET_SCAN_CHARS]
    if not text.strip():
        return ""
    folded = text.translate(_FOLD_TABLE)
    spans: list[tuple[int, int, str]] = []
    wanted = sorted({w for w in words if w}, key=len, reverse=True)
    if wanted:
        pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, wanted)) + r")(?![^\W_])")
        spans = [(m.start(), m.end(), m.group()) for m in pattern.finditer(folded)]
    if fuzzy:
        for m in _TOKEN.finditer(folded):
            f = m.group()
            if len(f) > 2 and f not in wanted and any(_within_one(f, w, 1 if len(w) < 8 else 2) for w in fuzzy):
                spans.append((m.start(), m.end(), f))
        spans.sort()
    goal = len(set(wanted) | (fuzzy or set()))
    width = size * 7  # characters: about ``size`` Vietnamese words
    best, best_score = 0, (-1, -1)
    for i, (st, _e, _w) in enumerate(spans[:64]):
        inside = [w for s2, _e2, w in spans[i:i + size] if s2 < st + width]
        score = (len(set(inside)), len(inside))
        if score > best_score:
            best, best_score = st, score
            if score[0] >= goal and score[1] >= size // 3:
                break
    lo = max(0, best - 40) if spans else 0
    if lo:
        m = re.search(r"\s", text[lo:best])
        lo = lo + m.end() if m else best
    hi = min(len(text), lo + width)
    if hi < len(text):
        m = re.search(r"\s\S*$", text[lo:hi])
        hi = lo + m.start() if m and m.start() > 0 else hi
    out = ["… "] if lo else []
    pos = lo
    for st, en, _w in spans:
        if st < lo or en > hi:
            continue
        out.append(html.escape(text[pos:st]))
        out.append(f"<mark>{html.escape(text[st:en])}</mark>")
        pos = en
    out.append(html.escape(text[pos:hi]))
    if hi < len(text):
        out.append(" …")
    return re.sub(r"\s+", " ", "".join(out)).strip()
