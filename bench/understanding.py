"""Document understanding on scans it has never seen: type, Decree 30 fields, batch splitting, and its cost.

Usage: .venv/bin/python bench/understanding.py [--documents 200] [--feeds 8] [--jobs N]

Generates a corpus disjoint from the classifier's training data (``bench.synthetic.BENCH_SEEDS``, every kind
about equally often, clean / office-grade / hard scans) and scanner feeds of 5–10 documents with blank and
QR separator sheets and blank back sides, runs them through the real pipeline (embedded runner, real
Tesseract) and compares with the generator's truth. Writes bench/results/understanding.json:

- type accuracy, overall and per tier and per type, and how often a confident answer (≥ review threshold)
  is right, with the share sent to review;
- per-field exact-match rate (after NFC and whitespace normalisation) over the documents that print it;
- split precision / recall / F1 over documents (a predicted document counts when its pages are exactly a
  true document's pages), and over cut positions;
- seconds per page added on top of OCR: code detection per page, plus split planning, extraction and
  classification per document, measured on the same machine in the same run.

Targets (issue): type ≥ 97 %, number/symbol, date and agency ≥ 95 %, every other field ≥ 90 %, split F1 ≥ 0.98,
≤ 0.1 s per page added.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench import synthetic  # noqa: E402
from ingest import documents  # noqa: E402
from ingest.intake import Incoming, intake  # noqa: E402
from ingest.runner import EmbeddedRunner  # noqa: E402
from ingest.runtime import Runtime  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.split import PageInfo, plan_split  # noqa: E402
from ingest.status import batch_status, document_detail, document_pages  # noqa: E402
from ocr.barcodes import find_codes  # noqa: E402
from storage.catalog import Document, ScanPage  # noqa: E402
from sqlalchemy import select  # noqa: E402

FIELD_TARGETS = {"number_symbol": 0.95, "issue_date": 0.95, "agency": 0.95}
OTHER_TARGET = 0.90
TYPE_TARGET, SPLIT_TARGET, SECONDS_TARGET = 0.97, 0.98, 0.1


def norm(value) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def run_batch(rt: Runtime, paths: list[Path]) -> dict:
    batch = intake(rt, [Incoming(p, p.name) for p in paths], source="cli")
    runner = EmbeddedRunner(rt)
    try:
        runner.run(batch.id)
    finally:
        runner.close()
    return batch_status(rt, batch.id)


def write_documents(out: Path, count: int) -> list[tuple[Path, dict, str]]:
    """``count`` documents, one scan file each: (path, truth fields incl. type, tier)."""
    items = []
    tiers = synthetic.TIERS
    seeds = list(synthetic.BENCH_SEEDS)[:count]
    for i, (pages, truth) in enumerate(synthetic.iter_documents(seeds, tiers)):
        tier = pages[0].tier
        path = out / f"doc-{i:04d}-{tier}-{truth['type']}.pdf"
        synthetic.write_scan(pages, path)
        items.append((path, {**truth["fields"], "type": truth["type"]}, tier))
        if len(items) >= count:
            break
    return items


def score_documents(rt: Runtime, status: dict, items: list[tuple[Path, dict, str]]) -> dict:
    by_name = {f["filename"]: f for f in status["files"]}
    type_hits: list[bool] = []
    per_tier: dict[str, list[bool]] = defaultdict(list)
    per_type: dict[str, list[bool]] = defaultdict(list)
    confusions: Counter = Counter()
    confident: list[bool] = []
    reviewed = 0
    fields: dict[str, list[bool]] = defaultdict(list)
    misses: dict[str, list[dict]] = defaultdict(list)
    threshold = rt.settings.review_threshold
    for path, truth, tier in items:
        f = by_name.get(path.name)
        if not f or not f["documents"]:
            type_hits.append(False)
            per_tier[tier].append(False)
            per_type[truth["type"]].append(False)
            continue
        detail = document_detail(rt, f["documents"][0]["id"])
        got = detail["type"]
        ok = got == truth["type"]
        type_hits.append(ok)
        per_tier[tier].append(ok)
        per_type[truth["type"]].append(ok)
        if not ok:
            confusions[f"{truth['type']} → {got}"] += 1
        if detail["type_confidence"] >= threshold:
            confident.append(ok)
        else:
            reviewed += 1
        extracted = (detail["metadata"] or {}).get("fields", {})
        for name, want in truth.items():
            if name in ("type", "kind", "qr") or want in (None, ""):
                continue
            have = (extracted.get(name) or {}).get("value")
            hit = norm(have) == norm(want)
            fields[name].append(hit)
            if not hit and len(misses[name]) < 5:
                misses[name].append({"file": path.name, "want": want, "got": have})
    rate = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    return {
        "documents": len(items),
        "type_accuracy": rate(type_hits),
        "type_accuracy_per_tier": {t: rate(v) for t, v in sorted(per_tier.items())},
        "type_accuracy_per_type": {t: rate(v) for t, v in sorted(per_type.items())},
        "type_confusions": dict(confusions.most_common(20)),
        "confident_accuracy": rate(confident),
        "review_rate": round(reviewed / max(1, len(items)), 4),
        "field_exact_match": {k: rate(v) for k, v in sorted(fields.items())},
        "field_counts": {k: len(v) for k, v in sorted(fields.items())},
        "field_misses": dict(misses),
    }


def write_feeds(out: Path, count: int) -> list[tuple[Path, object]]:
    feeds = []
    seeds = list(synthetic.BENCH_SEEDS)[-count:]
    for i, seed in enumerate(seeds):
        tier = synthetic.TIERS[i % len(synthetic.TIERS)]
        feed = synthetic.generate_feed(seed, tier=tier, separators=("mixed", "qr", "blank", "none")[i % 4])
        path = out / f"feed-{i:02d}-{tier}.pdf"
        synthetic.write_feed(feed, path)
        feeds.append((path, feed))
    return feeds


def score_feeds(status: dict, feeds: list[tuple[Path, object]]) -> dict:
    by_name = {f["filename"]: f for f in status["files"]}
    tp = fp = fn = 0
    cut_tp = cut_fp = cut_fn = 0
    dossier_hits: list[bool] = []
    blank_hits: list[bool] = []
    errors = []
    for path, feed in feeds:
        f = by_name.get(path.name)
        truth = [tuple(d["pages"]) for d in feed.truth]
        got = [tuple(s["pages"]) for s in (f.get("split") or {}).get("segments", [])] if f else []
        t, g = set(truth), set(got)
        tp += len(t & g)
        fp += len(g - t)
        fn += len(t - g)
        tc, gc = {p[0] for p in truth}, {p[0] for p in got}
        cut_tp += len(tc & gc)
        cut_fp += len(gc - tc)
        cut_fn += len(tc - gc)
        if g != t:
            errors.append({"feed": path.name, "want": truth, "got": got})
        if f and f.get("split"):  # pages left out of every document: blank sides and separator sheets (with their backs)
            left_out = set(f["split"]["blank_pages"]) | set(f["split"]["separator_pages"])
            blank_hits.append(left_out == set(feed.blank_pages) | set(feed.separator_pages))
            want_dossier = {tuple(d["pages"]): d.get("dossier") for d in feed.truth}
            for seg in f["split"]["segments"]:
                key = tuple(seg["pages"])
                if key in want_dossier:
                    dossier_hits.append(seg.get("dossier") == want_dossier[key])
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    cp, cr = cut_tp / max(1, cut_tp + cut_fp), cut_tp / max(1, cut_tp + cut_fn)
    return {
        "feeds": len(feeds),
        "documents_true": tp + fn,
        "documents_found": tp + fp,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / max(1e-9, p + r), 4),
        "cut_precision": round(cp, 4),
        "cut_recall": round(cr, 4),
        "dossier_accuracy": round(sum(dossier_hits) / len(dossier_hits), 4) if dossier_hits else None,
        "left_out_pages_exact": round(sum(blank_hits) / len(blank_hits), 4) if blank_hits else None,
        "errors": errors[:10],
    }


def understanding_cost(rt: Runtime, paths: list[Path], sample_pages: int = 60) -> dict:
    """Seconds per page of the work understanding adds to OCR, measured on stored pages of this run."""
    with rt.catalog.session() as session:
        pages = list(session.scalars(select(ScanPage).order_by(ScanPage.id).limit(sample_pages)))
        docs = list(session.scalars(select(Document).where(Document.state == "visible").limit(sample_pages)))
    code_times = []
    for p in pages:  # code detection runs on the decoded colour page, as the page worker does
        img = cv2.imdecode(np.frombuffer(rt.store.get_bytes(p.image_sha256), np.uint8), cv2.IMREAD_COLOR)
        scale = p.source_dpi / p.dpi if p.dpi else 1.0
        if scale > 1.05:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        t0 = time.perf_counter()
        find_codes(img, p.source_dpi or p.dpi)
        code_times.append(time.perf_counter() - t0)
    doc_times, doc_pages = [], 0
    with rt.catalog.session() as session:
        for d in docs:
            spages = [sp for _pos, sp in document_pages(session, d.id)]
            views = [documents.page_view(rt, sp) for sp in spages]
            t0 = time.perf_counter()
            plan_split([PageInfo(sp.number, sp.status == "blank", v.lines, v.width, v.height, ()) for sp, v in zip(spages, views)])
            documents.understand(rt, views)
            doc_times.append(time.perf_counter() - t0)
            doc_pages += len(spages)
    per_page_codes = statistics.mean(code_times) if code_times else 0.0
    per_page_docs = sum(doc_times) / max(1, doc_pages)
    return {
        "code_detection_s_per_page_median": round(statistics.median(code_times), 4) if code_times else None,
        "code_detection_s_per_page_mean": round(per_page_codes, 4),
        "split_extract_classify_s_per_page": round(per_page_docs, 4),
        "seconds_per_page_added": round(per_page_codes + per_page_docs, 4),
        "pages_sampled": len(code_times),
        "documents_sampled": len(doc_times),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=200)
    ap.add_argument("--feeds", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated scans and store here")
    args = ap.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="sohoa-understanding-"))
    scans = work / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    rt = Runtime(Settings(data_dir=work / "var", jobs=args.jobs))
    try:
        t0 = time.monotonic()
        from ingest.typemodel import ensure_model

        ensure_model(rt)
        items = write_documents(scans, args.documents)
        feeds = write_feeds(scans, args.feeds)
        print(f"generated {len(items)} documents and {len(feeds)} feeds in {time.monotonic() - t0:.0f} s", flush=True)
        t1 = time.monotonic()
        status = run_batch(rt, [p for p, _t, _tier in items] + [p for p, _f in feeds])
        wall = time.monotonic() - t1
        pages = status["pages_total"]
        print(f"digitized {pages} pages in {wall:.0f} s", flush=True)
        docs = score_documents(rt, status, items)
        split = score_feeds(status, feeds)
        cost = understanding_cost(rt, [p for p, _t, _tier in items])
    finally:
        rt.close()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    fields = docs["field_exact_match"]
    targets = {
        f"type accuracy >= {TYPE_TARGET}": (docs["type_accuracy"] or 0) >= TYPE_TARGET,
        f"split F1 >= {SPLIT_TARGET}": split["f1"] >= SPLIT_TARGET,
        f"seconds per page added <= {SECONDS_TARGET}": cost["seconds_per_page_added"] <= SECONDS_TARGET,
    }
    for name, rate in fields.items():
        goal = FIELD_TARGETS.get(name, OTHER_TARGET)
        targets[f"{name} >= {goal}"] = rate is not None and rate >= goal
    result = {
        "bench": "understanding",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "corpus": {"documents": len(items), "feeds": len(feeds), "pages": pages, "seeds": "bench.synthetic.BENCH_SEEDS"},
        "pipeline_wall_seconds": round(wall, 1),
        "documents": docs,
        "split": split,
        "cost": cost,
        "targets": targets,
    }
    out = ROOT / "bench" / "results" / "understanding.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(f"type accuracy {docs['type_accuracy']:.3f} (target {TYPE_TARGET}); confident answers right {docs['confident_accuracy']}, "
          f"sent to review {docs['review_rate']:.1%}")
    print("per tier: " + ", ".join(f"{t} {v:.3f}" for t, v in docs["type_accuracy_per_tier"].items()))
    for name, rate in fields.items():
        goal = FIELD_TARGETS.get(name, OTHER_TARGET)
        print(f"  {name:20} {rate:.3f}  (n={docs['field_counts'][name]}, target {goal}) {'✔' if rate >= goal else '✘'}")
    print(f"split: precision {split['precision']:.3f} recall {split['recall']:.3f} F1 {split['f1']:.3f} (target {SPLIT_TARGET}); "
          f"dossiers right {split['dossier_accuracy']}")
    print(f"cost: {cost['seconds_per_page_added']:.3f} s per page added on top of OCR (target {SECONDS_TARGET}) = "
          f"codes {cost['code_detection_s_per_page_mean']:.3f} + split/extract/classify {cost['split_extract_classify_s_per_page']:.3f}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
