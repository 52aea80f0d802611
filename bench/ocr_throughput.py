"""OCR throughput, cost, accuracy and size: sohoa vs raw Tesseract vs OCRmyPDF on the same generated pages.

Usage: .venv/bin/python bench/ocr_throughput.py [--pages-per-tier 8] [--skip-ocrmypdf]

Every system gets the same 300 dpi colour scans (clean, office-grade and hard tiers, from bench/synthetic.py)
and the same cores. Raw Tesseract runs one single-threaded process per core with no clean-up; OCRmyPDF runs
with --rotate-pages --deskew --clean --output-type pdfa --jobs <cores>. Figures and ratios are printed and
written to bench/results/ocr_throughput.json. This is the only place speed is measured: no timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic import tier_pages, write_scan  # noqa: E402

TIERS = ("clean", "office", "hard")
CORES = os.cpu_count() or 1


def norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()


def cer(hyp: str, ref: str) -> tuple[int, int]:
    h, r = norm(hyp), norm(ref)
    return Levenshtein.distance(h, r), max(1, len(r))


class Meter:
    """Wall time and CPU seconds of child processes run inside the block, and the peak RSS of any one of them.

    CPU comes from getrusage (exact, includes grandchildren such as Tesseract); RSS is sampled every 0.1 s
    over the whole process tree, so a short-lived process may peak unseen between samples.
    """

    def __enter__(self):
        self.t0 = time.monotonic()
        self.r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = psutil.Process()
        while not self._stop.wait(0.1):
            for child in me.children(recursive=True):
                try:
                    self.peak_rss_mb = max(self.peak_rss_mb, child.memory_info().rss / 2**20)
                except psutil.Error:
                    pass

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wall = time.monotonic() - self.t0
        self.cpu = (r1.ru_utime - self.r0.ru_utime) + (r1.ru_stime - self.r0.ru_stime)


def make_pages(work: Path, per_tier: int, seed: int) -> dict:
    corpus = {}
    for t_i, tier in enumerate(TIERS):
        d = work / "in" / tier
        d.mkdir(parents=True, exist_ok=True)
        pages = tier_pages(tier, per_tier, seed=seed + 1000 * t_i)
        items = []
        for i, page in enumerate(pages):
            path = write_scan([page], d / f"{tier}-{i:03d}.jpg")
            items.append({"path": path, "truth": page.truth_text, "kind": page.kind})
        pdf = write_scan(pages, work / "in" / f"{tier}.pdf")
        corpus[tier] = {"items": items, "pdf": pdf}
    return corpus


def run_sohoa(work: Path, corpus: dict) -> dict:
    data = work / "sohoa-var"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_JOBS": str(CORES), "OMP_THREAD_LIMIT": "1"}
    inputs = [str(it["path"]) for tier in TIERS for it in corpus[tier]["items"]]
    out = work / "sohoa-out"
    shutil.rmtree(out, ignore_errors=True)
    # the document-type model is trained once per installation (make run / first start), not per page
    subprocess.run([sys.executable, "-m", "api.cli", "retrain"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with Meter() as m:
        subprocess.run([sys.executable, "-m", "api.cli", "digitize", *inputs, "--out", str(out)], env=env,
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the text sohoa stores (reading order) from its catalog
    sys_path_env = dict(env)
    code = (
        "import json,sys; from ingest.settings import Settings; from ingest.runtime import Runtime;"
        "from storage.catalog import Document, DocumentPage, ScanPage; from sqlalchemy import select;"
        "rt=Runtime(Settings()); s=rt.catalog.session();"
        "rows=s.execute(select(Document.filename, ScanPage.text).join(DocumentPage, DocumentPage.document_id==Document.id)"
        ".join(ScanPage, ScanPage.id==DocumentPage.scan_page_id)).all();"
        "print(json.dumps({f: t for f, t in rows}))"
    )
    texts = json.loads(subprocess.run([sys.executable, "-c", code], env=sys_path_env, cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout)
    sizes = [p.stat().st_size for p in out.glob("*.pdf")]
    return {"meter": m, "texts": {k: v for k, v in texts.items()}, "sizes": sizes}


def run_tesseract(work: Path, corpus: dict) -> dict:
    out = work / "tess-out"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    items = [it for tier in TIERS for it in corpus[tier]["items"]]

    def one(it):
        base = out / it["path"].stem
        subprocess.run(["tesseract", str(it["path"]), str(base), "-l", "vie", "txt"], env=env, check=True,
                       capture_output=True)
        return it["path"].name, (base.with_suffix(".txt")).read_text(encoding="utf-8")

    with Meter() as m, ThreadPoolExecutor(CORES) as pool:
        texts = dict(pool.map(one, items))
    return {"meter": m, "texts": texts, "sizes": []}


def run_ocrmypdf(work: Path, corpus: dict) -> dict | None:
    exe = shutil.which("ocrmypdf") or str(Path(sys.executable).with_name("ocrmypdf"))
    if not Path(exe).exists():
        return None
    out = work / "ocrmypdf-out"
    out.mkdir(parents=True, exist_ok=True)
    texts, sizes = {}, []
    with Meter() as m:
        for tier in TIERS:
            dst = out / f"{tier}.pdf"
            subprocess.run([exe, "--rotate-pages", "--deskew", "--clean", "--output-type", "pdfa", "--jobs", str(CORES),
                            "-l", "vie", "--quiet", str(corpus[tier]["pdf"]), str(dst)], check=True)
            sizes.append(dst.stat().st_size / len(corpus[tier]["items"]))
    for tier in TIERS:
        dst = out / f"{tier}.pdf"
        pages = subprocess.run(["pdftotext", "-enc", "UTF-8", str(dst), "-"], capture_output=True, check=True).stdout.decode().split("\f")
        for it, text in zip(corpus[tier]["items"], pages):
            texts[it["path"].name] = text
    return {"meter": m, "texts": texts, "sizes": sizes, "per_page_sizes": True}


def summarise(name: str, res: dict, corpus: dict, n_pages: int) -> dict:
    m = res["meter"]
    tiers = {}
    for tier in TIERS:
        dist = total = 0
        for it in corpus[tier]["items"]:
            d, t = cer(res["texts"].get(it["path"].name, ""), it["truth"])
            dist, total = dist + d, total + t
        tiers[tier] = round(dist / total, 4)
    sizes = res["sizes"]
    return {
        "pages_per_minute": round(n_pages / m.wall * 60, 2),
        "cpu_seconds_per_page": round(m.cpu / n_pages, 3),
        "wall_seconds": round(m.wall, 2),
        "cer": tiers,
        "median_bytes_per_page": int(statistics.median(sizes)) if sizes else None,
        "peak_rss_mb_any_process": round(m.peak_rss_mb, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages-per-tier", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--skip-ocrmypdf", action="store_true")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ocr_throughput.json")
    args = ap.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    corpus = make_pages(args.work, args.pages_per_tier, args.seed)
    n = args.pages_per_tier * len(TIERS)
    print(f"{n} pages ({args.pages_per_tier} per tier), {CORES} cores")

    results = {}
    print("raw tesseract ...", flush=True)
    results["tesseract"] = summarise("tesseract", run_tesseract(args.work, corpus), corpus, n)
    print("sohoa ...", flush=True)
    results["sohoa"] = summarise("sohoa", run_sohoa(args.work, corpus), corpus, n)
    if not args.skip_ocrmypdf:
        print("ocrmypdf ...", flush=True)
        res = run_ocrmypdf(args.work, corpus)
        if res:
            results["ocrmypdf"] = summarise("ocrmypdf", res, corpus, n)

    s, t, o = results["sohoa"], results["tesseract"], results.get("ocrmypdf")
    ratios = {
        "pages_per_minute_vs_ocrmypdf": round(s["pages_per_minute"] / o["pages_per_minute"], 2) if o else None,
        "pages_per_minute_vs_tesseract": round(s["pages_per_minute"] / t["pages_per_minute"], 2),
        "cpu_per_page_vs_tesseract": round(s["cpu_seconds_per_page"] / t["cpu_seconds_per_page"], 2),
        "bytes_per_page_vs_ocrmypdf": round(s["median_bytes_per_page"] / o["median_bytes_per_page"], 2) if o else None,
        "cer_vs_tesseract": {k: round(s["cer"][k] / max(t["cer"][k], 1e-6), 2) for k in TIERS},
        "cer_vs_ocrmypdf": {k: round(s["cer"][k] / max(o["cer"][k], 1e-6), 2) for k in TIERS} if o else None,
    }
    targets = {
        "pages_per_minute >= 1.5x ocrmypdf": bool(o) and ratios["pages_per_minute_vs_ocrmypdf"] >= 1.5,
        "cpu_per_page <= 1.2x tesseract": ratios["cpu_per_page_vs_tesseract"] <= 1.2,
        "cer below tesseract on every tier": all(s["cer"][k] < t["cer"][k] for k in TIERS),
        "cer below ocrmypdf on every tier": bool(o) and all(s["cer"][k] < o["cer"][k] for k in TIERS),
        "cer aims (0.5% clean, 1.5% office, 3% hard)": s["cer"]["clean"] <= 0.005 and s["cer"]["office"] <= 0.015 and s["cer"]["hard"] <= 0.03,
        "median <= 500 KB per page": (s["median_bytes_per_page"] or 1e12) <= 500_000,
        "worker RSS <= 500 MB": s["peak_rss_mb_any_process"] <= 500,
    }
    report = {
        "bench": "ocr_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": CORES, "python": platform.python_version(), "platform": platform.platform()},
        "pages": n,
        "pages_per_tier": args.pages_per_tier,
        "seed": args.seed,
        "systems": results,
        "ratios": ratios,
        "targets_met": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"systems": results, "ratios": ratios, "targets_met": targets}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
