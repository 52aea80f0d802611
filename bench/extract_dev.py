"""Field extraction on a cached dev corpus: OCR once, re-run ``ingest.extract.extract`` in seconds.

Usage: .venv/bin/python bench/extract_dev.py [--count 228] [--start 700000] [--also 710000] [--jobs 2] [--misses 4]
                                              [--field subject] [--kind sao_y] [--relayout] [--show SEED]

Documents come from ``bench.synthetic.iter_documents`` over ``TRAINING_SEEDS`` only (never ``BENCH_SEEDS``:
the understanding bench must measure documents nobody tuned on), cycling over every kind and over the clean,
office-grade and hard tiers. Each scan goes through the real embedded pipeline once (clean-up, Tesseract,
reading order); its pages' stored words and lines are cached as JSON under ``--cache``
(/tmp/sohoa-extract-cache by default), keyed by seed, tier and kind. Later runs only extract and score:
per-field exact match (after NFC and whitespace normalisation, as bench/understanding.py scores) over the
documents that print the field, and for each field a few misses with the OCR lines near the expected value.

Lines are rebuilt from the cached words with the current ``ocr.layout`` (so a reading-order change is
measured without running Tesseract again); ``--cached-lines`` uses the lines the pipeline stored. The extractor was developed on three such corpora
(``--start 700000 --also 710000 --also 720000``; the third was held out until the end).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from ingest.extract import Line, lines_from_words  # noqa: E402
from storage.text import fold  # noqa: E402

FIELDS = ("number_symbol", "issue_date", "place", "agency", "parent_agency", "subject", "signing_authority", "signer_position",
          "signer_name", "recipients", "full_name", "date_of_birth", "personal_id", "address", "certificate_number", "certificate_date")
TARGETS = {"number_symbol": 0.95, "issue_date": 0.95, "agency": 0.95}


def norm(value) -> str:
    if value is None:
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def key_of(seed: int, tier: str, kind: str) -> str:
    return f"{seed}-{tier}-{kind}"


def plan(start: int, count: int) -> list[tuple[int, str, str]]:
    """(seed, tier, kind) of the dev corpus, in iter_documents' cycling order, without rendering anything."""
    from bench.synthetic import TIERS, TRAINING_SEEDS
    from bench.synthetic.feed import _cycle

    seeds = range(start, start + count)
    if seeds.start < TRAINING_SEEDS.start or seeds.stop > TRAINING_SEEDS.stop:
        raise SystemExit("the dev corpus must use TRAINING_SEEDS only")
    return [(seed, tier, kind) for seed, kind, tier in _cycle(seeds, TIERS, None)]


def build_cache(cache: Path, todo: list[tuple[int, str, str]], jobs: int) -> None:
    """OCR the documents not cached yet with the real embedded pipeline; cache their pages' words and lines."""
    from sqlalchemy import select

    from bench.synthetic import write_scan
    from ingest.intake import Incoming, intake
    from ingest.runner import EmbeddedRunner
    from ingest.runtime import Runtime
    from ingest.settings import Settings
    from storage.catalog import ScanPage

    missing = [t for t in todo if not (cache / f"{key_of(*t)}.json").exists()]
    if not missing:
        return
    work = Path(tempfile.mkdtemp(prefix="sohoa-extract-dev-"))
    try:
        scans = work / "scans"
        scans.mkdir()
        items = []
        t0 = time.monotonic()
        from bench.synthetic.core import generate_document
        from bench.synthetic.feed import doc_pages

        for seed, tier, kind in missing:  # exactly what iter_documents yields for these seeds
            n = doc_pages(seed, kind)
            pages = generate_document(seed, tier, n, 300, kind)
            path = scans / f"{key_of(seed, tier, kind)}.pdf"
            write_scan(pages, path)
            items.append((path, (seed, tier, kind), {"type": kind, "fields": pages[0].fields, "kind": kind, "seed": seed, "tier": tier,
                                                     "pages": n, "meta": {k: v for k, v in pages[0].meta.items() if k in ("original", "signers", "variant", "copy_sheet")}}))
        print(f"generated {len(items)} scans in {time.monotonic() - t0:.0f} s; running the pipeline", flush=True)
        rt = Runtime(Settings(data_dir=work / "var", jobs=jobs))
        try:
            t1 = time.monotonic()
            batch = intake(rt, [Incoming(p, p.name) for p, _k, _t in items], source="cli")
            runner = EmbeddedRunner(rt)
            try:
                runner.run(batch.id)
            finally:
                runner.close()
            print(f"OCR done in {time.monotonic() - t1:.0f} s", flush=True)
            from ingest.status import batch_status

            status = batch_status(rt, batch.id)
            by_name = {f["filename"]: f for f in status["files"]}
            with rt.catalog.session() as session:
                for path, key, truth in items:
                    f = by_name.get(path.name)
                    if not f or not f.get("sha256"):
                        continue
                    rows = list(session.scalars(select(ScanPage).where(ScanPage.source_sha256 == f["sha256"]).order_by(ScanPage.number)))
                    pages = []
                    for sp in rows:
                        data = json.loads(rt.store.get_bytes(sp.words_sha256)) if sp.words_sha256 else {"words": [], "lines": []}
                        pages.append({"number": sp.number, "status": sp.status, "width": sp.width_px, "height": sp.height_px,
                                      "words": data.get("words", []), "lines": data.get("lines", [])})
                    out = {"truth": truth, "pages": pages, "file_state": f["state"]}
                    (cache / f"{key_of(*key)}.json").write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
        finally:
            rt.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def page_lines(page: dict, position: int, relayout: bool) -> list[Line]:
    if relayout and page["words"]:
        from ocr.layout import Word, text_lines

        words = [Word(w["text"], *w["box"], w["conf"], *w["line"]) for w in page["words"]]
        return lines_from_words(text_lines(words), position)
    return [Line(x["text"], position, tuple(x["box"]), x["conf"]) for x in page["lines"]]


def doc_lines(doc: dict, relayout: bool = False) -> list[Line]:
    """All non-blank pages of the scan, numbered by position (blank backs are not part of the document)."""
    lines: list[Line] = []
    position = 0
    for page in doc["pages"]:
        if page["status"] == "blank":
            continue
        position += 1
        lines += page_lines(page, position, relayout)
    return lines


def context(lines: list[Line], want: str, got: str | None, n: int = 6) -> list[str]:
    """The OCR lines most like the expected value (or the extracted one), to see why a field was missed."""
    target = fold(str(want))
    words = set(target.split())
    scored = []
    for i, l in enumerate(lines):
        f = fold(l.text)
        overlap = len(words & set(f.split())) / max(1, len(words))
        if got and fold(str(got)) in f:
            overlap += 0.5
        scored.append((overlap, i))
    best = sorted(i for s, i in sorted(scored, reverse=True)[:n] if s > 0)
    return [f"    p{lines[i].page} {lines[i].box} {lines[i].text}" for i in best]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=228)
    ap.add_argument("--start", type=int, default=700_000)
    ap.add_argument("--also", type=int, action="append", default=[], help="add the corpus of --count documents from this seed too")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/sohoa-extract-cache"))
    ap.add_argument("--misses", type=int, default=4)
    ap.add_argument("--field", action="append", default=[], help="show misses of these fields only")
    ap.add_argument("--kind", action="append", default=[], help="score these kinds only")
    ap.add_argument("--tier", action="append", default=[], help="score these tiers only")
    ap.add_argument("--cached-lines", action="store_true", help="use the lines the pipeline stored instead of rebuilding them from the cached "
                    "words with the current ocr.layout (the default, so a reading-order change is measured too)")
    ap.add_argument("--show", default=None, help="print the lines and the fields of one document (seed or cache key)")
    ap.add_argument("--json", type=Path, default=None, help="write the table as JSON here")
    ap.add_argument("--extractor", type=Path, default=None, help="score the extract() of this file instead (e.g. an older version)")
    args = ap.parse_args(argv)

    global extract
    if args.extractor:
        import importlib.util

        spec = importlib.util.spec_from_file_location("extract_under_test", args.extractor)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        extract = module.extract
    args.cache.mkdir(parents=True, exist_ok=True)
    todo = [t for start in [args.start, *args.also] for t in plan(start, args.count)]
    build_cache(args.cache, todo, args.jobs)

    docs = []
    for seed, tier, kind in todo:
        p = args.cache / f"{key_of(seed, tier, kind)}.json"
        if p.exists():
            docs.append((key_of(seed, tier, kind), json.loads(p.read_text(encoding="utf-8"))))
    if args.kind:
        docs = [d for d in docs if d[1]["truth"]["kind"] in args.kind]
    if args.tier:
        docs = [d for d in docs if d[1]["truth"]["tier"] in args.tier]

    if args.show:
        for key, doc in docs:
            if key == args.show or key.startswith(f"{args.show}-"):
                lines = doc_lines(doc, not args.cached_lines)
                for l in lines:
                    print(f"p{l.page} {l.box!s:24} {l.conf:5.1f}  {l.text}")
                got = extract(lines)
                print("--- truth vs got")
                for name in FIELDS:
                    want = doc["truth"]["fields"].get(name)
                    have = got.value(name)
                    if want is None and have is None:
                        continue
                    mark = "  " if norm(want) == norm(have) else ("! " if want is not None else "+ ")
                    print(f"{mark}{name:18} want {want!r}\n{'':20} got  {have!r}  {got.fields[name].reason or '' if name in got.fields else ''}")
        return 0

    hits: dict[str, list[bool]] = defaultdict(list)
    per_tier: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    misses: dict[str, list[str]] = defaultdict(list)
    t_extract, n_pages = 0.0, 0
    for key, doc in docs:
        lines = doc_lines(doc, not args.cached_lines)
        n_pages += max(1, max((l.page for l in lines), default=1))
        t0 = time.perf_counter()
        got = extract(lines)
        t_extract += time.perf_counter() - t0
        truth = doc["truth"]["fields"]
        for name in FIELDS:
            want = truth.get(name)
            if want in (None, ""):
                continue
            have = got.value(name)
            ok = norm(have) == norm(want)
            hits[name].append(ok)
            per_tier[name][doc["truth"]["tier"]].append(ok)
            if not ok and (not args.field or name in args.field) and len(misses[name]) < args.misses:
                f = got.fields.get(name)
                misses[name].append(f"  {key}: want {want!r}\n  {'':{len(key)}}  got  {have!r}" + (f"  ({f.reason})" if f and f.reason else "")
                                    + "\n" + "\n".join(context(lines, want, have)))
    rate = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    print(f"{len(docs)} documents, {n_pages} pages; extract {t_extract / max(1, n_pages) * 1000:.2f} ms per page")
    print(f"{'field':20} {'rate':>6} {'n':>4}   clean office   hard")
    table = {}
    for name in FIELDS:
        if not hits[name]:
            continue
        goal = TARGETS.get(name, 0.90)
        r = rate(hits[name])
        table[name] = round(r, 4)
        tiers = "  ".join(f"{rate(per_tier[name][t]):5.2f}" if per_tier[name][t] else "    -" for t in ("clean", "office", "hard"))
        print(f"{name:20} {r:6.3f} {len(hits[name]):4}   {tiers}  {'ok' if r >= goal else '--'}")
    if args.json:
        args.json.write_text(json.dumps(table, indent=2) + "\n")
    for name in FIELDS:
        if misses[name] and (not args.field or name in args.field):
            print(f"\n== {name}")
            print("\n".join(misses[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
