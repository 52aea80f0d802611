"""Document type from recognised text: a small scikit-learn model that works beside the layout rules.

Features are chosen to survive OCR. Text is folded (no case, no diacritics: Tesseract drops and swaps tone
marks), then seen as character n-grams (robust to split and merged words and to stray characters from seals
and signatures) and as word uni/bigrams. The header zone (the first lines: agency, ``Số: ../QĐ-..``, the
type name) is also seen on its own, so ``QUYẾT ĐỊNH`` as a title weighs differently from a ``Quyết định số``
cited in a body, and so are a few layout markers the rules use too (the symbol's abbreviation, a ``V/v``
subject, a type name in capitals). A multinomial logistic regression turns them into probabilities.

The model is trained from a seed corpus (``ingest/data/typecorpus.jsonl.gz``, written by
``bench/build_type_corpus.py`` from the synthetic generator) plus the clerks' type corrections, which weigh
more so the model bends to a centre's own documents. Each trained model is an object in the object store and
a ``ClassifierModel`` row; the newest active row is the model in use, and every process notices a newer one
within a minute. Model bytes are pickles, only ever loaded from our own object store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import pickle
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sqlalchemy import func, select, update

from ingest.doctypes import ALL, BY_CODE, BY_TITLE
from ingest.runtime import Runtime
from storage.catalog import ClassifierModel, Correction, DocumentPage, ScanPage, utcnow
from storage.text import fold, nfc

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "typecorpus.jsonl.gz"
FORMAT = 1  # bump when the pickled layout changes; older models are then retrained, not loaded
MAGIC = b"sohoa-typemodel\n"
CONTENT_TYPE = "application/x-sohoa-typemodel"

HEAD_LINES = 15  # the header/title zone: agency, number and symbol, motto, date, type name, subject
TAIL_LINES = 20  # the closing zone: signer, recipients, a copy form (SAO Y ...) after the document
MAX_PAGES = 2  # the type is on the first page; a second one helps when the first is a cover or a form
MAX_CHARS = 6000  # enough for two pages of body; bounds prediction time on a 500-page document
CORRECTION_WEIGHT = 8.0  # one clerk's correction counts as much as this many seed samples
HELD_OUT = 0.2
RANDOM_STATE = 0
CHECK_EVERY_S = 60.0  # how often a process looks for a newer active model

Progress = Callable[[str], None]


class ModelError(Exception):
    """The bytes are not a model this code can use (another format, another scikit-learn, corrupt)."""


# --- features ------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^s[o06]\s*[:;.,]?\s*[0-9oOlI|]{1,6}\s*/\s*(?:\d{4}\s*/\s*)?([^\s/-]+)")
_ABBREVIATIONS = {t.abbreviation for t in ALL if t.abbreviation}
_ABBR_FOLDED = {fold(a) for a in _ABBREVIATIONS}


def _token(s: str) -> str:
    """An ASCII marker token that keeps what folding would lose in a symbol: case and Đ (QĐ ≠ QD ≠ qd)."""
    return re.sub(r"[^0-9A-Za-z]", "", nfc(s).replace("Đ", "DD").replace("đ", "dd").replace("Ð", "DD"))


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370)}  # combining marks
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp).lower()
        f = fold(ch)
        if len(ch) == 1 and f != ch:
            table[ord(ch)] = f
    return table


_FOLD = _fold_table()
_SPACES = re.compile(r"\s+")


def fast_fold(line: str) -> str:
    """``storage.text.fold`` for NFC text, by table (the model folds every line it sees, many times over)."""
    return _SPACES.sub(" ", line.lower().translate(_FOLD)).strip()


def split_zones(text: str) -> tuple[str, str, str, str]:
    """(document folded, header zone folded, closing zone folded, layout markers) — what the vectorizers see.

    ``text`` is a document's text with pages separated by form feeds (``text_of_pages``): the header zone is
    the first lines of the first page, the closing zone the last lines of the last page (signer, recipients,
    and the copy form of a SAO Y / TRÍCH SAO / SAO LỤC).
    """
    pages = [[ln.strip() for ln in p.splitlines() if ln.strip()] for p in nfc(text or "").split("\f")]
    pages = [p for p in pages if p] or [[]]
    keep, size = [], 0
    for i, p in enumerate(pages[:MAX_PAGES]):
        for j, ln in enumerate(p):
            if size > MAX_CHARS:
                break
            keep.append((i, j))
            size += len(ln) + 1
    last = len(pages) - 1
    tail_idx = [(last, j) for j in range(max(0, len(pages[-1]) - TAIL_LINES), len(pages[-1]))]
    if len(pages) > MAX_PAGES or size > MAX_CHARS:
        seen = set(keep)
        keep += [ij for ij in tail_idx if ij not in seen]
    folded: dict[tuple[int, int], str] = {}

    def f(ij: tuple[int, int]) -> str:
        if ij not in folded:
            folded[ij] = fast_fold(pages[ij[0]][ij[1]])
        return folded[ij]

    head_idx = [(0, j) for j in range(min(HEAD_LINES, len(pages[0])))]
    full = " ".join(f(ij) for ij in keep)
    head = " ".join(f(ij) for ij in head_idx)
    tail = " ".join(f(ij) for ij in tail_idx)
    first = [(pages[0][j], f((0, j))) for j in range(min(40, len(pages[0])))]
    closing = [(pages[ij[0]][ij[1]], f(ij)) for ij in tail_idx]
    return full, head, tail, " ".join(_markers(first, closing))


def _symbol_marker(line: str, folded: str, prefix: str) -> str | None:
    m = _NUMBER.match(folded)
    if not m:
        return None
    if fold(m.group(1)) not in _ABBR_FOLDED:
        return f"{prefix}:agency"  # công văn: agency + drafting unit, no type abbreviation
    raw = re.search(r"/\s*(?:\d{4}\s*/\s*)?([^\s/-]+)", line)
    return f"{prefix}:{_token(raw.group(1)) if raw else m.group(1)} {prefix}f:{m.group(1)}"


_TITLE_WORDS = {title.split(" ")[0] for title, _t in BY_TITLE} | {"cong", "doc"}
_LEADING = re.compile(r"^[^0-9a-z]+")  # specks before a title: 'TỜ KHAI


def _title_marker(line: str, folded: str) -> str | None:
    key = _LEADING.sub("", folded).rstrip(":.,; ")
    if key.split(" ", 1)[0] not in _TITLE_WORDS:  # cheap test first: most lines start otherwise
        return None
    if "doc lap" in key or "cong hoa xa" in key:
        return "motto"
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 2 or sum(c.isupper() for c in letters) / len(letters) < 0.8:
        return None
    if key.startswith(("cong hoa", "doc lap")):
        return "motto"
    for title, t in BY_TITLE:
        if key.startswith(title) and (len(key) == len(title) or key[len(title)] == " "):
            return t.code
    return None


def _markers(first: list[tuple[str, str]], tail: list[tuple[str, str]]) -> list[str]:
    """What the rules look at, as tokens: symbol abbreviation (printed and folded), V/v, type names in capitals."""
    out: list[str] = []
    symbol_seen = title_seen = False
    after_motto = next((i + 1 for i, (_l, f) in enumerate(first[:15]) if "doc lap" in f), 0)
    for i, (line, folded) in enumerate(first):
        if not symbol_seen and (m := _symbol_marker(line, folded, "sym")):
            out.append(m)
            symbol_seen = True
        if folded.startswith(("v/v", "v/ v")):
            out.append("vv")
        t = _title_marker(line, folded)
        if t == "motto":
            out.append("motto")
        elif t and i < after_motto:
            out.append(f"agency:{t}")  # an agency line that folds like a type name (PHƯỜNG AN BIÊN)
        elif t and not title_seen:  # the type name; later ones are headings (QUY CHẾ ... QUY ĐỊNH CHUNG)
            title_seen = True
            out.append(f"title:{t}")
            if i < HEAD_LINES:
                out.append(f"headtitle:{t}")
        elif t:
            out.append(f"heading:{t}")
    for line, folded in tail:
        if m := _symbol_marker(line, folded, "tailsym"):
            out.append(m)
        t = _title_marker(line, folded)
        if t and t != "motto":
            out.append(f"tailtitle:{t}")
    if not first:
        out.append("empty")
    return out


def text_of_pages(pages: Iterable[str]) -> str:
    """A document's text for the model: its first pages and its last one, separated by form feeds."""
    texts = [p for p in pages if p and p.strip()]
    keep = texts[:MAX_PAGES] + (texts[-1:] if len(texts) > MAX_PAGES else [])
    return "\f".join(keep)


def text_of_lines(lines) -> str:
    """The same from recognised lines (``ingest.extract.Line``), as the pipeline has them."""
    pages: dict[int, list[str]] = {}
    for line in lines:
        pages.setdefault(line.page, []).append(line.text)
    return text_of_pages("\n".join(v) for _k, v in sorted(pages.items()))


# --- the model -----------------------------------------------------------------------------------------------


def _vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    f32 = np.float32
    return [
        # (zone index, vectorizer, block weight)
        (0, TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=20000, dtype=f32), 1.0),
        (0, TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, min_df=2, max_features=12000, dtype=f32), 1.0),
        (1, TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, min_df=2, max_features=6000, dtype=f32), 1.0),
        (2, TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, min_df=2, max_features=4000, dtype=f32), 1.0),
        (3, TfidfVectorizer(token_pattern=r"\S+", lowercase=False, min_df=1, dtype=f32), 1.0),
    ]


class TypeModel:
    """Vectorizers over the zones and the logistic regression's linear layer; ``predict`` gives codes, best first.

    The weights are kept as int8 with a scale per class, which keeps the model a few MB; prediction is one
    sparse-by-dense product and a softmax, as the logistic regression's own ``predict_proba``.
    """

    def __init__(self, vectorizers, classes: list[str], weights, scale, intercept, info: dict | None = None):
        self.vectorizers = vectorizers
        self.classes = list(classes)
        self.weights = weights  # int8, features × classes (one column for a two-class model)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.info = info or {}
        self.sha256: str | None = None  # set when loaded from (or stored in) the object store

    def _matrix(self, texts: list[str]):
        zones = [split_zones(t) for t in texts]
        blocks = []
        for z, vec, weight in self.vectorizers:
            m = vec.transform([zz[z] for zz in zones])
            blocks.append(m * weight if weight != 1.0 else m)
        return sparse.hstack(blocks, format="csr")

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row of class probabilities per text, columns in ``classes`` order."""
        x = self._matrix(texts)
        used = np.unique(x.indices)  # only the weight rows of features present: a few thousand, not all
        part = self.weights[used].astype(np.float32)
        scores = np.asarray(x[:, used] @ part, dtype=np.float64) * self.scale + self.intercept
        if len(self.classes) == 2 and scores.shape[1] == 1:  # a two-class logistic regression has one weight row
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, text: str, top: int | None = None) -> list[tuple[str, float]]:
        """(type code, probability) for every type the model knows, best first (``top`` to cut)."""
        p = self.probabilities([text or ""])[0]
        order = np.argsort(-p, kind="stable")[: top or len(p)]
        return [(self.classes[i], float(p[i])) for i in order]

    def to_bytes(self) -> bytes:
        import sklearn

        state = {"vectorizers": self.vectorizers, "classes": self.classes, "weights": self.weights, "scale": self.scale,
                 "intercept": self.intercept, "info": self.info}
        body = pickle.dumps({"format": FORMAT, "sklearn": sklearn.__version__, "model": state}, protocol=pickle.HIGHEST_PROTOCOL)
        return MAGIC + zlib.compress(body, 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> TypeModel:
        import sklearn

        if not data.startswith(MAGIC):
            raise ModelError("not a sohoa type model")
        try:
            payload = pickle.loads(zlib.decompress(data[len(MAGIC):]))
        except Exception as exc:  # corrupt, or classes this code no longer has
            raise ModelError(f"the model cannot be read: {exc}") from exc
        if payload.get("format") != FORMAT:
            raise ModelError(f"model format {payload.get('format')}, this code reads {FORMAT}")
        if payload.get("sklearn") != sklearn.__version__:
            raise ModelError(f"model trained with scikit-learn {payload.get('sklearn')}, this is {sklearn.__version__}")
        st = payload["model"]
        model = cls(st["vectorizers"], st["classes"], st["weights"], st["scale"], st["intercept"], st["info"])
        model.sha256 = hashlib.sha256(data).hexdigest()
        return model


def _quantize(coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights as int8 (features × classes) with one scale per class: a quarter of float32's size, and a
    linear model's ranking and probabilities barely move (each weight is off by at most 1/254 of its class's largest)."""
    scale = np.abs(coef).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(coef / scale[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.T), scale.astype(np.float32)


FIT_SUBSAMPLE = 900  # documents a vocabulary is fitted on
CHUNK = 300  # documents transformed at once


def train(samples: list[tuple[str, str]], weights: list[float] | None = None, *, c: float = 20.0) -> TypeModel:
    """Fit a model on (text, type code) samples; ``weights`` per sample (corrections weigh more)."""
    from sklearn.linear_model import LogisticRegression

    if not samples:
        raise ValueError("no samples to train on")
    unknown = sorted({code for _t, code in samples} - set(BY_CODE))
    if unknown:
        raise ValueError(f"unknown type codes in the samples: {unknown}")
    labels = np.array([code for _t, code in samples])
    if len(set(labels.tolist())) < 2:
        raise ValueError("the samples must show at least two types")
    started = time.monotonic()
    zones = [split_zones(t) for t, _c in samples]
    vecs, blocks = _vectorizers(), []
    # Memory stays bounded (a worker's budget is 500 MB): counting every character n-gram of thousands of
    # documents at once peaks at ~0.5 GB, so each vocabulary and its idf are fitted on an evenly spread
    # subsample, then all documents are transformed in chunks.
    step = max(1, -(-len(zones) // FIT_SUBSAMPLE))
    for z, vec, weight in vecs:
        texts = [zz[z] for zz in zones]
        vec.fit(texts[::step])
        if hasattr(vec, "stop_words_"):
            del vec.stop_words_  # the pruned vocabulary: only needed for introspection, and most of the size
        m = sparse.vstack([vec.transform(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)], format="csr")
        blocks.append(m * weight if weight != 1.0 else m)
    x = sparse.hstack(blocks, format="csr")
    # newton-cg rather than lbfgs: the same multinomial optimum without lbfgs' history of ten gradient pairs
    # (~250 MB at 38 classes × 42k features), so training fits a worker's memory budget
    clf = LogisticRegression(C=c, max_iter=300, tol=1e-3, solver="newton-cg")
    clf.fit(x, labels, sample_weight=None if weights is None else np.asarray(weights, dtype=float))
    weights_q, scale = _quantize(clf.coef_)
    info = {"samples": len(samples), "classes": len(clf.classes_), "features": int(x.shape[1]),
            "train_seconds": round(time.monotonic() - started, 2)}
    return TypeModel(vecs, [str(c) for c in clf.classes_], weights_q, scale, clf.intercept_, info)


def evaluate(model: TypeModel, samples: list[tuple[str, str]]) -> dict:
    """Accuracy, per-kind accuracy and confusions of ``model`` on labelled samples."""
    if not samples:
        return {"n": 0, "accuracy": None, "per_kind": {}, "confusions": {}}
    p = model.probabilities([t for t, _c in samples])
    classes = model.classes
    predicted = [classes[i] for i in p.argmax(axis=1)]
    per: dict[str, list[int]] = {}
    confusions: Counter = Counter()
    for (_t, truth), guess in zip(samples, predicted):
        row = per.setdefault(truth, [0, 0])
        row[0] += 1
        row[1] += guess == truth
        if guess != truth:
            confusions[f"{truth}->{guess}"] += 1
    correct = sum(r[1] for r in per.values())
    return {
        "n": len(samples),
        "accuracy": round(correct / len(samples), 4),
        "per_kind": {k: {"n": n, "accuracy": round(ok / n, 4)} for k, (n, ok) in sorted(per.items())},
        "confusions": dict(confusions.most_common(20)),
    }


def held_out_split(labels: list[str], fraction: float = HELD_OUT, random_state: int = RANDOM_STATE) -> tuple[list[int], list[int]]:
    """Stratified (train, held-out) indices; a type with fewer than 5 samples stays wholly in training."""
    from sklearn.model_selection import train_test_split

    counts = Counter(labels)
    splittable = [i for i, y in enumerate(labels) if counts[y] >= 5]
    always = [i for i, y in enumerate(labels) if counts[y] < 5]
    if len({labels[i] for i in splittable}) < 2:
        return list(range(len(labels))), []
    tr, te = train_test_split(splittable, test_size=fraction, random_state=random_state, stratify=[labels[i] for i in splittable])
    return sorted(tr + always), sorted(te)


# --- training data ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _read_corpus(path: str, mtime: float) -> tuple[tuple[str, str], ...]:
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r.get("type") in BY_CODE:
                    rows.append((r["text"], r["type"]))
    return tuple(rows)


def seed_corpus(path: Path | None = None) -> list[tuple[str, str]]:
    """The seed corpus: generator text with OCR-like damage, every type represented."""
    path = Path(path or CORPUS)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; build it with .venv/bin/python bench/build_type_corpus.py")
    return list(_read_corpus(str(path), path.stat().st_mtime))


def corrected_samples(rt: Runtime) -> tuple[list[tuple[str, str]], int]:
    """(text, type) of every document whose type a clerk corrected (latest correction wins), and the newest
    correction id seen (so a later run knows whether anything is new)."""
    with rt.catalog.session() as session:
        latest = (select(Correction.document_id, func.max(Correction.id).label("id"))
                  .where(Correction.field == "type").group_by(Correction.document_id).subquery())
        rows = session.execute(select(Correction.document_id, Correction.new, Correction.id)
                               .join(latest, Correction.id == latest.c.id)).all()
        last_id = max((r.id for r in rows), default=0)
        labels = {r.document_id: (r.new or {}).get("value") for r in rows}
        labels = {d: v for d, v in labels.items() if v in BY_CODE}
        texts: dict[str, list[str]] = {}
        if labels:
            ids = list(labels)
            for chunk in range(0, len(ids), 500):
                q = (select(DocumentPage.document_id, ScanPage.text).join(ScanPage, ScanPage.id == DocumentPage.scan_page_id)
                     .where(DocumentPage.document_id.in_(ids[chunk:chunk + 500])).order_by(DocumentPage.document_id, DocumentPage.position))
                for doc_id, text in session.execute(q):
                    texts.setdefault(doc_id, []).append(text or "")
    samples = []
    for doc_id, code in sorted(labels.items()):
        text = text_of_pages(texts.get(doc_id, []))
        if text.strip():
            samples.append((text, code))
    return samples, last_id


# --- the catalog's models ----------------------------------------------------------------------------------------

_lock = threading.RLock()
_loaded: dict[str, TypeModel] = {}  # sha256 -> model, a few at most
_checked: dict[str, tuple[float, str | None]] = {}  # runtime key -> (when the catalog was last asked, active sha)
_ensured: set[str] = set()
_ensure_lock = threading.Lock()


def _key(rt: Runtime) -> str:
    s = rt.settings
    return f"{s.catalog_url}|{s.object_store}|{s.minio_endpoint}/{s.minio_bucket}|{s.objects_dir}"


def _newest_active(session) -> ClassifierModel | None:
    return session.scalars(select(ClassifierModel).where(ClassifierModel.active.is_(True)).order_by(ClassifierModel.id.desc()).limit(1)).first()


def _load(rt: Runtime, sha: str) -> TypeModel:
    model = _loaded.get(sha)
    if model is None:
        model = TypeModel.from_bytes(rt.store.get_bytes(sha))
        while len(_loaded) >= 3:
            _loaded.pop(next(iter(_loaded)))
        _loaded[sha] = model
    return model


def active_model(rt: Runtime, *, ensure: bool = False, check_every_s: float = CHECK_EVERY_S) -> TypeModel | None:
    """The model in use: the newest active ``ClassifierModel``, cached by SHA-256.

    The catalog is asked at most every ``check_every_s`` seconds, so a worker picks up a retrained model
    without a restart. With ``ensure``, a catalog without a usable model gets the seed model first (trained
    once per process, 10-20 s; other threads meanwhile get None). Never raises: without a usable model, None
    (the rules work alone).
    """
    key = _key(rt)
    with _lock:
        now = time.monotonic()
        checked = _checked.get(key)
        sha = checked[1] if checked else None
        if checked is None or now - checked[0] >= check_every_s:
            try:
                with rt.catalog.session() as session:
                    row = _newest_active(session)
                    sha = row.sha256 if row else None
            except Exception:
                log.exception("could not look up the active type model")
            _checked[key] = (now, sha)
        if sha is not None:
            try:
                return _load(rt, sha)
            except Exception as exc:
                log.warning("the active type model %s cannot be used (%s)", sha[:12], exc)
        if not ensure or key in _ensured:
            return None
        _ensured.add(key)  # once per process: a broken setup must not retrain on every document
    try:  # outside the lock: other threads keep classifying (by rules) while the seed model trains
        row = ensure_model(rt)
        with _lock:
            return _load(rt, row.sha256)
    except Exception:
        log.exception("could not train the seed type model; classifying by rules only")
        return None


def _remember(rt: Runtime, model: TypeModel, sha: str) -> None:
    with _lock:
        model.sha256 = sha
        _loaded[sha] = model
        _checked[_key(rt)] = (time.monotonic(), sha)


def _store_and_activate(rt: Runtime, model: TypeModel, *, samples: int, corrections: int, accuracy: float | None, info: dict,
                        data: bytes | None = None) -> ClassifierModel:
    data = data or model.to_bytes()
    stored = rt.store.put_bytes(data, content_type=CONTENT_TYPE)
    info = {**info, "bytes": len(data)}
    with rt.catalog.session() as session, session.begin():
        row = ClassifierModel(sha256=stored.sha256, samples=samples, corrections=corrections, accuracy=accuracy, active=True, info=info)
        session.add(row)
        session.flush()
        session.execute(update(ClassifierModel).where(ClassifierModel.id != row.id, ClassifierModel.active.is_(True)).values(active=False))
    _remember(rt, model, stored.sha256)
    return row


def _fit(samples: list[tuple[str, str]], weights: list[float], is_correction: list[bool], progress: Progress) -> tuple[TypeModel, dict]:
    labels = [c for _t, c in samples]
    tr, te = held_out_split(labels)
    held: dict = {"n": 0, "accuracy": None}
    if te:
        progress(f"measuring on a held-out {len(te)} of {len(samples)} samples")
        trial = train([samples[i] for i in tr], [weights[i] for i in tr])
        held = evaluate(trial, [samples[i] for i in te])
        corr = [samples[i] for i in te if is_correction[i]]
        if corr:
            held["corrections"] = evaluate(trial, corr)
    progress(f"training on all {len(samples)} samples")
    return train(samples, weights), held


SEED_MODEL = DATA / "typemodel-seed.bin"  # the seed-only model, built with the corpus (bench/build_type_corpus.py)


@lru_cache(maxsize=2)
def _seed_training(corpus_sha: str) -> bytes:
    """The seed-only model: the one shipped beside the corpus when it was trained on this very corpus and this
    scikit-learn reads it (no first-start wait, no training memory in a worker); else trained once per process.
    No held-out pass, so a first start waits for one fit only; ``sohoa retrain`` measures."""
    try:
        shipped = SEED_MODEL.read_bytes()
        model = TypeModel.from_bytes(shipped)
        if model.info.get("corpus_sha256") == corpus_sha:
            return shipped
        log.info("the shipped seed model was trained on another corpus; training one")
    except Exception as exc:  # noqa: BLE001 - missing, another format or scikit-learn, corrupt: train instead
        log.info("the shipped seed model cannot be used (%s); training one", exc)
    return train(seed_corpus()).to_bytes()


def build_seed_model(path: Path = SEED_MODEL) -> Path:
    """Train the seed-only model on the shipped corpus and write it beside it (run after the corpus changes)."""
    model = train(seed_corpus())
    model.info["corpus_sha256"] = _corpus_sha()
    path.write_bytes(model.to_bytes())
    return path


def _corpus_sha() -> str:
    path = Path(CORPUS)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def retrain(rt: Runtime, progress: Progress | None = None) -> ClassifierModel:
    """Train on the seed corpus plus every clerk's type correction; store the model and make it the active one.

    Held-out accuracy (a stratified 20 % split, fixed random state) is measured before fitting on all data.
    """
    say = progress or (lambda _m: None)
    started = time.monotonic()
    say("reading the seed corpus")
    seed = seed_corpus()
    say("reading clerks' corrections")
    corrections, last_id = corrected_samples(rt)
    samples = seed + corrections
    weights = [1.0] * len(seed) + [CORRECTION_WEIGHT] * len(corrections)
    model, held = _fit(samples, weights, [False] * len(seed) + [True] * len(corrections), say)
    say("storing the model")
    info = {"format": FORMAT, "seed_samples": len(seed), "correction_documents": len(corrections), "last_correction_id": last_id,
            "correction_weight": CORRECTION_WEIGHT, "held_out": held, "corpus_sha256": _corpus_sha(),
            "classes": model.classes, "train_seconds": round(time.monotonic() - started, 1)}
    return _store_and_activate(rt, model, samples=len(samples), corrections=len(corrections), accuracy=held.get("accuracy"), info=info)


def ensure_model(rt: Runtime, progress: Progress | None = None) -> ClassifierModel:
    """The active model's row; on a catalog without a usable one (first start), the seed model is stored first.

    Two processes racing both store a model; the newest active row wins for everybody.
    """
    with _ensure_lock:  # threads of one process train once; another process racing us stores its own
        with rt.catalog.session() as session:
            row = _newest_active(session)
        if row is not None:
            try:
                _load(rt, row.sha256)
                return row
            except Exception as exc:
                log.warning("the active type model %s cannot be used (%s); training a new one", row.sha256[:12], exc)
        return _first_model(rt, progress)


def _first_model(rt: Runtime, progress: Progress | None) -> ClassifierModel:
    corrections, _last = corrected_samples(rt)
    if corrections:  # a model that went stale (new scikit-learn): keep what the clerks taught it
        return retrain(rt, progress)
    (progress or (lambda _m: None))("training the document-type model from the seed corpus")
    log.info("training the document-type model from the seed corpus (first start)")
    data = _seed_training(_corpus_sha())
    model = TypeModel.from_bytes(data)
    info = {"format": FORMAT, "seed_samples": model.info.get("samples"), "correction_documents": 0, "last_correction_id": 0,
            "held_out": {"n": 0, "accuracy": None}, "corpus_sha256": _corpus_sha(), "classes": model.classes, "seed_only": True}
    _store_and_activate(rt, model, samples=model.info.get("samples") or 0, corrections=0, accuracy=None, info=info, data=data)
    with rt.catalog.session() as session:
        return _newest_active(session)


def retrain_if_due(rt: Runtime, interval_hours: float, progress: Progress | None = None) -> ClassifierModel | None:
    """For the periodic task: retrain when the clerks corrected types since the active model was trained and
    that model is about ``interval_hours`` old (0 disables); train the seed model if there is none. Returns
    the new model's row, or None when nothing was due."""
    if interval_hours <= 0:
        return None
    with rt.catalog.session() as session:
        row = _newest_active(session)
        newest_correction = session.scalar(select(func.max(Correction.id)).where(Correction.field == "type")) or 0
    if row is None:
        return ensure_model(rt, progress)
    seen = (row.info or {}).get("last_correction_id", 0) or 0
    if newest_correction <= seen:
        return None
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=utcnow().tzinfo)
    if utcnow() - created < timedelta(hours=interval_hours * 0.9):  # slack: a periodic run is not late by a few minutes
        return None
    return retrain(rt, progress)


def model_summary(row: ClassifierModel) -> dict:
    """What ``sohoa retrain`` prints about a model."""
    info = row.info or {}
    held = info.get("held_out") or {}
    return {"id": row.id, "sha256": row.sha256, "created_at": row.created_at.isoformat(), "samples": row.samples,
            "corrections": row.corrections, "accuracy": row.accuracy, "bytes": info.get("bytes"),
            "per_kind": held.get("per_kind", {}), "confusions": held.get("confusions", {}),
            "corrections_held_out": {k: (held.get("corrections") or {}).get(k) for k in ("n", "accuracy")}}
