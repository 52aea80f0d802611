"""Fixity throughput: ``sohoa fixity``'s check (storage.fixity.run_fixity) vs ``sha256sum`` on the same objects.

Usage: .venv/bin/python bench/fixity.py [--gb 2] [--rounds 3] [--work DIR] [--out FILE] [--keep]

Builds a filesystem object store with a realistic mix (many page-sized objects, some large PDFs and
originals: about ``--gb`` GB in all, random bytes, registered in a SQLite catalog as documents and scan pages
so the catalog walk is part of the time), then alternates, ``--rounds`` times: ``sha256sum`` over every object
file (one process, as an operator would run it), and ``run_fixity(catalog, store, quarantine=True)`` exactly
as ``sohoa fixity`` calls it (its default threads). Both read the same files from a warm page cache (a first
pass warms it); the ratio is of the medians. Target: sohoa ≥ 80 % of sha256sum's MB/s. Writes
bench/results/fixity.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.catalog import Catalog, Document, ScanPage  # noqa: E402
from storage.fixity import run_fixity  # noqa: E402
from storage.objects import FsObjectStore, key_for  # noqa: E402

MiB = 1 << 20


def build(work: Path, gb: float) -> tuple[Catalog, FsObjectStore, list[Path], int]:
    store = FsObjectStore(work / "objects")
    catalog = Catalog(f"sqlite:///{work / 'catalog.db'}")
    total_target = int(gb * 1e9)
    sizes = []
    # 70 % of the bytes in 40 MiB originals / PDFs, 30 % in 300 KiB..3 MiB page objects
    big = int(total_target * 0.7) // (40 * MiB)
    sizes += [40 * MiB] * max(1, big)
    rest = total_target - sum(sizes)
    i = 0
    while rest > 0:
        s = (300 << 10) + (i * 7919 % 2700) * 1024
        sizes.append(s)
        rest -= s
        i += 1
    shas = []
    block = os.urandom(64 * MiB)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        for n, size in enumerate(sizes):
            p = Path(tmp) / "obj"
            with open(p, "wb") as f:
                f.write(n.to_bytes(8, "big"))
                off = (n * 4099) % (len(block) - size) if size < len(block) else 0
                f.write(block[off:off + size - 8])
            shas.append(store.put_file(p).sha256)
    with catalog.session() as s, s.begin():
        bigs = [sh for sh, sz in zip(shas, sizes) if sz >= 40 * MiB]
        small = [sh for sh, sz in zip(shas, sizes) if sz < 40 * MiB]
        for k, pdf in enumerate(bigs):
            src = bigs[(k + 1) % len(bigs)]
            s.add(Document(id=f"{k:032x}", source_sha256=src, pdf_sha256=pdf, filename=f"{k}.tif", mime="image/tiff",
                           page_count=1))
        for k, sh in enumerate(small):
            s.add(ScanPage(source_sha256=bigs[k % len(bigs)], number=k + 1, status="ok", image_sha256=sh))
    files = [store.root / key_for(sh) for sh in shas]
    return catalog, store, files, sum(sizes)


def time_sha256sum(files: list[Path]) -> float:
    t = time.perf_counter()
    # xargs keeps it to one sha256sum process per few thousand files, as `find | xargs sha256sum` would
    subprocess.run(["xargs", "-0", "sha256sum"], input=b"\0".join(str(f).encode() for f in files),
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def time_fixity(catalog, store, workers: int | None = None) -> tuple[float, dict]:
    t = time.perf_counter()
    report = run_fixity(catalog, store, quarantine=True, workers=workers)
    dt = time.perf_counter() - t
    if not report.clean:
        raise SystemExit(f"fixity found bad objects in a fresh store: {report.as_dict()['bad'][:3]}")
    return dt, report.as_dict()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fixity.json")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="sohoa-bench-fixity-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        catalog, store, files, total = build(work, args.gb)
        print(f"store: {len(files)} objects, {total / 1e9:.2f} GB, built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        time_sha256sum(files)  # warm the page cache
        sums, fix, one, last = [], [], [], {}
        for r in range(args.rounds):
            sums.append(time_sha256sum(files))
            dt, last = time_fixity(catalog, store)
            fix.append(dt)
            one.append(time_fixity(catalog, store, workers=1)[0])
            print(f"round {r + 1}: sha256sum {total / 1e6 / sums[-1]:.0f} MB/s, sohoa fixity {total / 1e6 / fix[-1]:.0f} MB/s "
                  f"(1 thread: {total / 1e6 / one[-1]:.0f} MB/s)", file=sys.stderr)
        mb_sum = total / 1e6 / statistics.median(sums)
        mb_fix = total / 1e6 / statistics.median(fix)
        mb_one = total / 1e6 / statistics.median(one)
        ratio = mb_fix / mb_sum
        result = {
            "bench": "fixity", "objects": len(files), "bytes": total, "rounds": args.rounds,
            "sha256sum_mb_s": round(mb_sum, 1), "sohoa_fixity_mb_s": round(mb_fix, 1), "ratio": round(ratio, 3),
            "sohoa_fixity_1_thread_mb_s": round(mb_one, 1), "ratio_1_thread": round(mb_one / mb_sum, 3),
            "target_ratio": 0.8, "passed": ratio >= 0.8,
            "sha256sum_seconds": [round(x, 3) for x in sums], "fixity_seconds": [round(x, 3) for x in fix],
            "fixity_1_thread_seconds": [round(x, 3) for x in one],
            "note": "hashlib uses OpenSSL (SHA extensions when the CPU has them); coreutils 9.1 sha256sum here uses "
                    "its own portable SHA-256, which is why even one fixity thread is faster",
            "fixity_threads": min(4, max(1, os.cpu_count() or 1)),
            "cache": "warm (both read the same files from the page cache)",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "sha_ni": "sha_ni" in Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else None,
                        "sha256sum": subprocess.run(["sha256sum", "--version"], capture_output=True, text=True).stdout.splitlines()[0]},
            "last_report": {k: v for k, v in last.items() if k != "bad"},
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"sha256sum {mb_sum:.0f} MB/s, sohoa fixity {mb_fix:.0f} MB/s (1 thread {mb_one:.0f}): ratio {ratio:.2f} "
              f"({'≥' if ratio >= 0.8 else '<'} 0.80 target) → {args.out}")
        catalog.dispose()
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
