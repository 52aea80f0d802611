"""Ingest under load on the production code path: does a second worker double throughput, and does the API stay
responsive while the workers are saturated?

Usage: .venv/bin/python bench/ingest_load.py [--pages 200] [--workers 1,2] [--redis-db 11]

Starts, for each run, what docker-compose.yml runs, locally: a fresh PostgreSQL database (127.0.0.1:5432,
postgres/postgres as the tests use), moto's S3 server as MinIO, Redis at 127.0.0.1:6379 on a database
number of the bench's own (not the tests' 13), ``sohoa serve`` in Celery mode, and N Celery workers of
``--concurrency 1`` each. The same pages (``bench.synthetic``, single-page 300 dpi JPEG scans as a sheet-fed
scanner writes them) are uploaded by 20 concurrent clients with an API key — 20 scanner stations, each sending a
page every ``--interval`` seconds (2: a sheet-fed scanner's pace; 0: back to back, where latency is only the
queue in front of the API) — one file per request, while a clerk's screen polls a batch's status every 0.5 s;
the run ends when every file is digitized. Measured: pages per minute (first upload to last document), the
ratio of the 2-worker run to the 1-worker run (target ≥ 1.8), the queue wait of page tasks (from the workers'
JSON log lines), the upload latency p95 over the uploads made while the broker held work no worker had taken
yet (workers saturated; target ≤ 200 ms) and the status poll's p95. Figures and ratios are printed and written to
bench/results/ingest_load.json with the machine's load (``uptime``) before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("SOHOA_TEST_PG", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
CLIENTS = 20
AGENCY = "000.00.12.H01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start")
            time.sleep(0.2)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def make_pages(work: Path, n: int, seed: int) -> list[Path]:
    """``n`` single-page scans, generated once per (n, seed) and kept in the work folder between runs."""
    from bench.synthetic import generate_page, write_scan

    folder = work / f"pages-{seed}-{n}"
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        tiers = ("clean", "office", "office", "hard")
        for i in range(n):
            write_scan([generate_page(seed + i, tier=tiers[i % len(tiers)])], folder / f"scan-{i:04d}.jpg")
        done.touch()
    return sorted(folder.glob("scan-*.jpg"))


class Stack:
    """One run's services: database, S3 server, Redis database, API server, workers; torn down by ``close``."""

    def __init__(self, work: Path, redis_db: int, s3: str):
        import psycopg

        self.work = work
        self.db = f"sohoa_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db}"')
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        self.broker = f"redis://127.0.0.1:6379/{redis_db}"
        import redis

        self.redis = redis.Redis.from_url(self.broker)
        self.redis.flushdb()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")},
            "PYTHONPATH": str(ROOT), "OMP_THREAD_LIMIT": "1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "SOHOA_DATABASE_URL": f"{base}/{self.db}", "SOHOA_OBJECT_STORE": "minio", "SOHOA_MINIO_ENDPOINT": s3,
            "SOHOA_MINIO_ACCESS_KEY": "testing", "SOHOA_MINIO_SECRET_KEY": "testing",
            "SOHOA_MINIO_BUCKET": f"bench-{uuid.uuid4().hex[:8]}", "SOHOA_BROKER_URL": self.broker,
            "SOHOA_LOG_FORMAT": "json", "SOHOA_SECRET_KEY": uuid.uuid4().hex * 2, "SOHOA_AGENCY_ID": AGENCY,
            "SOHOA_RETRAIN_INTERVAL_HOURS": "0", "SOHOA_DATA_DIR": str(work / "api-var"),
        }
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def settings(self):
        from ingest.settings import Settings

        return Settings(**{k.removeprefix("SOHOA_").lower(): v for k, v in self.env.items() if k.startswith("SOHOA_")})

    def prepare(self) -> str:
        """Migrate, train the type model once (an installation does at its first start), make the upload key."""
        from ingest import identity, typemodel
        from ingest.runtime import Runtime

        rt = Runtime(self.settings())
        try:
            typemodel.active_model(rt, ensure=True)
            _key, secret = identity.create_api_key(rt, "bench scanner", ["clerk"], agency_id=AGENCY)
        finally:
            rt.close()
        return secret

    def start(self, name: str, args: list[str], data: str | None = None) -> subprocess.Popen:
        env = dict(self.env)
        if data:
            env["SOHOA_DATA_DIR"] = str(self.work / data)
        log = self.work / f"{name}.log"
        self.logs.append(log)
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def api(self) -> int:
        port = free_port()
        proc = self.start("api", [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)])
        wait_port(port, proc, "the API")
        return port

    def workers(self, n: int) -> None:
        for i in range(n):
            self.start(f"worker{i + 1}", [sys.executable, "-m", "celery", "-A", "ingest.tasks", "worker", "-Q", "sohoa",
                                          "-n", f"bench{i + 1}@%h", "--concurrency=1", "--loglevel=INFO",
                                          "--without-gossip", "--without-mingle", "--without-heartbeat"],
                       data=f"worker{i + 1}-var")
        deadline = time.monotonic() + 120
        for log in self.logs[-n:]:
            while "ready." not in log.read_text(errors="replace"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a worker did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)

    def waiting(self) -> int:
        return sum(self.redis.llen(k) for k in self.redis.scan_iter(match="sohoa*") if self.redis.type(k) == b"list")

    def files_left(self) -> int:
        import psycopg

        url = self.env["SOHOA_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM batch_files WHERE state NOT IN ('done', 'duplicate', 'failed')"
                                ).fetchone()[0]

    def queue_waits(self, task: str) -> list[float]:
        waits = []
        for log in self.logs:
            if not log.name.startswith("worker"):
                continue
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"queue_wait_s"' in line:
                    entry = json.loads(line)
                    if entry.get("task") == task:
                        waits.append(entry["queue_wait_s"])
        return waits

    def footprint(self) -> dict:
        """What the run left behind: bytes in the bucket (originals, page images, text layers, words, PDFs) and
        the catalogue's size, for the scaling arithmetic of docs/scaling.md."""
        import psycopg
        from minio import Minio

        client = Minio(self.env["SOHOA_MINIO_ENDPOINT"], "testing", "testing", secure=False)
        objects = [o.size for o in client.list_objects(self.env["SOHOA_MINIO_BUCKET"], recursive=True)]
        with psycopg.connect(PG_ADMIN) as conn:
            db = conn.execute("SELECT pg_database_size(%s)", (self.db,)).fetchone()[0]
        with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + "/postgres") as conn:
            empty = conn.execute("SELECT pg_database_size('template1')").fetchone()[0]
        return {"objects": len(objects), "object_bytes": sum(objects), "catalogue_bytes": db - empty}

    def worker_cpu_seconds(self) -> float:
        """CPU time of the worker processes and what they ran (Tesseract, reaped by the prefork children)."""
        import psutil

        total = 0.0
        for proc, log in zip(self.procs, self.logs):
            if not log.name.startswith("worker") or proc.poll() is not None:
                continue
            try:
                tree = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
            except psutil.Error:
                continue
            for p in tree:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
                except psutil.Error:
                    pass
        return total

    def close(self) -> None:
        import psycopg

        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.redis.flushdb()
        self.redis.close()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                         (self.db,))
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}"')


def run(work: Path, pages: list[Path], workers: int, redis_db: int, s3: str, interval: float) -> dict:
    import httpx

    folder = work / f"run-{workers}w"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stack = Stack(folder, redis_db, s3)
    try:
        key = stack.prepare()
        port = stack.api()
        stack.workers(workers)
        url = f"http://127.0.0.1:{port}/api/v1/batches"
        uploads: list[dict] = []
        polls: list[float] = []
        batches: list[str] = []
        lock = threading.Lock()
        finished = threading.Event()

        def client(index: int, share: list[Path]) -> None:
            """One scanner station: a page every ``interval`` seconds (stations staggered), or back to back with 0."""
            with httpx.Client(headers={"X-API-Key": key}, timeout=120) as http:
                for k, path in enumerate(share):
                    due = t0 + (k + index / CLIENTS) * interval
                    time.sleep(max(0.0, due - time.monotonic()))
                    waiting = stack.waiting()
                    started = time.perf_counter()
                    r = http.post(url, files=[("files", (path.name, path.read_bytes(), "image/jpeg"))])
                    seconds = time.perf_counter() - started
                    if r.status_code != 202:
                        raise RuntimeError(f"upload refused: {r.status_code} {r.text[:300]}")
                    with lock:
                        uploads.append({"seconds": seconds, "waiting_before": waiting})
                        batches.append(r.json()["id"])

        def clerk() -> None:
            """A clerk's screen following the batches: one status request every 0.5 s while the run lasts."""
            with httpx.Client(headers={"X-API-Key": key}, timeout=120) as http:
                while not finished.wait(0.5):
                    with lock:
                        batch = batches[len(polls) % len(batches)] if batches else None
                    if batch is None:
                        continue
                    started = time.perf_counter()
                    http.get(f"{url}/{batch}").raise_for_status()
                    polls.append(time.perf_counter() - started)

        import psutil

        cpu0 = stack.worker_cpu_seconds()
        psutil.cpu_percent(None)
        t0 = time.monotonic()
        watcher = threading.Thread(target=clerk, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS), [pages[i::CLIENTS] for i in range(CLIENTS)]))
        uploaded = time.monotonic() - t0
        deadline = time.monotonic() + 3600
        while stack.files_left():
            if time.monotonic() > deadline:
                raise RuntimeError("the run did not finish within an hour")
            time.sleep(0.5)
        wall = time.monotonic() - t0
        busy = psutil.cpu_percent(None)
        cpu = stack.worker_cpu_seconds() - cpu0
        finished.set()
        watcher.join(30)
        saturated = [u["seconds"] for u in uploads if u["waiting_before"] > 0]
        everything = [u["seconds"] for u in uploads]
        page_waits = stack.queue_waits("sohoa.ocr_page")
        left = stack.footprint()
        return {
            "workers": workers, "concurrency_each": 1, "pages": len(pages),
            "wall_seconds": round(wall, 1), "upload_seconds": round(uploaded, 1),
            "pages_per_minute": round(len(pages) / wall * 60, 1),
            "worker_cpu_seconds_per_page": round(cpu / len(pages), 2),
            "machine_cpu_busy_percent": busy,  # every process on the machine, other users' included
            "upload_ms": {"p50": ms(pct(everything, 0.5)), "p95": ms(pct(everything, 0.95)), "n": len(everything)},
            "upload_ms_while_saturated": {"p50": ms(pct(saturated, 0.5)), "p95": ms(pct(saturated, 0.95)),
                                          "n": len(saturated)},
            "stored_bytes_per_page": round(left["object_bytes"] / len(pages)),
            "catalogue_bytes_per_page": round(left["catalogue_bytes"] / len(pages)),
            "status_poll_ms": {"p50": ms(pct(polls, 0.5)), "p95": ms(pct(polls, 0.95)), "n": len(polls)},
            "page_queue_wait_s": {"p50": pct(page_waits, 0.5), "p95": pct(page_waits, 0.95),
                                  "mean": round(statistics.fmean(page_waits), 2) if page_waits else None,
                                  "n": len(page_waits)},
        }
    finally:
        stack.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts, one run each")
    ap.add_argument("--redis-db", type=int, default=11, help="Redis database number of the bench's own")
    ap.add_argument("--seed", type=int, default=8100)
    ap.add_argument("--interval", type=float, default=2.0,
                    help="seconds between two pages of one scanner station (2 = a sheet-fed scanner's pace); 0 = back to back")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "ingest_load")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ingest_load.json")
    args = ap.parse_args()
    if args.pages < CLIENTS:
        ap.error(f"--pages must be at least {CLIENTS} (one upload per client at least)")
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    if not counts or min(counts) < 1:
        ap.error("--workers: positive worker counts, e.g. 1,2")

    args.work.mkdir(parents=True, exist_ok=True)
    pages = make_pages(args.work, args.pages, args.seed)
    load_before = uptime()
    print(f"{len(pages)} pages, {CLIENTS} concurrent uploaders, runs with {counts} worker(s); {load_before}", flush=True)
    moto_log = open(args.work / "moto.log", "w")
    s3_port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                            stdout=moto_log, stderr=subprocess.STDOUT, start_new_session=True)
    runs = []
    try:
        wait_port(s3_port, moto, "moto's S3 server")
        for n in counts:
            print(f"run with {n} worker(s) ...", flush=True)
            result = run(args.work, pages, n, args.redis_db, f"127.0.0.1:{s3_port}", args.interval)
            print(json.dumps(result), flush=True)
            runs.append(result)
    finally:
        os.killpg(moto.pid, signal.SIGTERM)
        moto.wait(30)
    by = {r["workers"]: r for r in runs}
    ratio = round(by[2]["pages_per_minute"] / by[1]["pages_per_minute"], 2) if 1 in by and 2 in by else None
    saturated = [r["upload_ms_while_saturated"]["p95"] for r in runs if r["upload_ms_while_saturated"]["p95"] is not None]
    worst_p95 = max(saturated) if saturated else None  # None: no upload found the workers saturated (too few pages)
    targets = {
        "2 workers / 1 worker >= 1.8": ratio is not None and ratio >= 1.8,
        "upload p95 while saturated <= 200 ms": worst_p95 is not None and worst_p95 <= 200,
    }
    report = {
        "bench": "ingest_load",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "uptime_before": load_before, "uptime_after": uptime()},
        "pages": len(pages), "clients": CLIENTS, "seed": args.seed, "station_interval_s": args.interval,
        "runs": runs,
        "ratios": {"pages_per_minute_2w_vs_1w": ratio,
                   "worst_upload_p95_ms_vs_200": round(worst_p95 / 200, 2) if worst_p95 is not None else None},
        "targets_met": targets,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print("pages/minute: " + ", ".join(f"{r['workers']} worker(s) {r['pages_per_minute']}" for r in runs))
    print(f"ratio 2/1 workers: {ratio} (target >= 1.8: {'met' if targets['2 workers / 1 worker >= 1.8'] else 'missed'})")
    print(f"upload p95 while saturated: {worst_p95} ms (target <= 200 ms: "
          f"{'met' if targets['upload p95 while saturated <= 200 ms'] else 'missed'})")
    print("status poll p95: " + ", ".join(f"{r['workers']}w {r['status_poll_ms']['p95']} ms" for r in runs))
    print("page queue wait p95: " + ", ".join(f"{r['workers']}w {r['page_queue_wait_s']['p95']} s" for r in runs))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
