"""``sohoa``: the command line for clerks and operators (digitize, watch, serve, worker, doctor, config)."""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ingest.intake import Incoming, IntakeError, intake
from ingest.runner import EmbeddedRunner, make_runner
from ingest.runtime import Runtime
from ingest.settings import get_settings, settings_table
from ingest.status import batch_status, document_detail

app = typer.Typer(help="sohoa — digitize Vietnamese administrative paper into searchable PDFs.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)  # messages stay on one line: greppable in logs
SCAN_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf"}


def _runtime(jobs: int | None = None, pdfa: bool | None = None) -> Runtime:
    settings = get_settings()
    updates = {}
    if jobs:
        updates["jobs"] = jobs
    if pdfa is not None:
        updates["pdfa"] = pdfa
    return Runtime(settings.model_copy(update=updates) if updates else settings)


def _expand(inputs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files.extend(
                sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES and not p.name.startswith("."))
            )
        elif item.exists():
            files.append(item)
        else:
            console.print(f"[red]error:[/red] {item}: no such file or folder")
            raise typer.Exit(2)
    return files


@app.command()
def digitize(
    inputs: list[Path] = typer.Argument(..., help="Scans (JPEG, PNG, TIFF, PDF) or folders of them"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Also write each searchable PDF into this folder"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Parallel OCR processes (default: one per core)"),
    pdfa: bool | None = typer.Option(None, "--pdfa/--no-pdfa", help="Write PDF/A-2b"),
) -> None:
    """Digitize scans into the store: clean up, OCR, searchable PDF, type and Decree 30 fields.

    With --out, each document's PDF is written there with a JSON record beside it. Exit 0 if all succeed,
    1 if any fails.
    """
    files = _expand(inputs)
    if not files:
        console.print("[red]error:[/red] no scans found (JPEG, PNG, TIFF or PDF)")
        raise typer.Exit(2)
    rt = _runtime(jobs, pdfa)
    try:
        batch = intake(rt, [Incoming(p, p.name) for p in files], source="cli")
    except IntakeError as exc:
        for err in exc.errors:
            console.print(f"[red]✗[/red] {err['filename']}: {err['error']}")
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    runner = make_runner(rt, jobs or None)
    status = batch_status(rt, batch.id)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("Digitizing", total=status["pages_total"], completed=status["pages_done"])
        if isinstance(runner, EmbeddedRunner):
            try:
                runner.run(batch.id, progress=lambda _f, n: bar.advance(task, n))
            finally:
                runner.close()
        else:
            runner.submit(batch.id)
            while (status := batch_status(rt, batch.id))["state"] not in ("done", "partial", "failed"):
                bar.update(task, completed=status["pages_done"])
                time.sleep(0.5)
        status = batch_status(rt, batch.id)
        bar.update(task, completed=status["pages_done"])
    _report(rt, status, out)
    raise typer.Exit(0 if status["state"] == "done" else 1)


def _report(rt: Runtime, status: dict, out: Path | None) -> None:
    from storage.catalog import Document

    table = Table(title=f"Batch {status['id']}", show_lines=False)
    for col in ("file", "pages", "result", "document"):
        table.add_column(col)
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for f in status["files"]:
        ok = f["state"] in ("done", "duplicate")
        result = ("[green]" + ("done" if f["state"] == "done" else "already digitized") + "[/green]") if ok else f"[red]{f['error']}[/red]"
        table.add_row(f["filename"], str(f["pages_total"]), result, f["document_id"] or "")
        if ok and out:
            with rt.catalog.session() as session:
                doc = session.get(Document, f["document_id"])
            target = out / (Path(f["filename"]).stem + ".pdf")
            rt.store.copy_to(doc.pdf_sha256, target)
            record = document_detail(rt, doc.id)  # type, confidence, every field with page, box, confidence
            target.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    Console().print(table)
    if out:
        console.print(f"PDFs written to {out}")


@app.command()
def watch(
    folder: Path = typer.Argument(..., help="The scanner's drop folder"),
    settle: float = typer.Option(2.0, help="Seconds a file must stay unchanged before it is taken"),
    interval: float = typer.Option(1.0, help="Seconds between looks at the folder"),
    once: bool = typer.Option(False, "--once", help="Process what is there now, then exit"),
) -> None:
    """Watch a drop folder: digitize each file once it is completely written, then move it to done/ or failed/."""
    from ingest.watch import FolderWatcher

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not folder.is_dir():
        console.print(f"[red]error:[/red] {folder} is not a folder")
        raise typer.Exit(2)
    rt = _runtime()
    runner = make_runner(rt)
    watcher = FolderWatcher(rt, runner, folder, settle_s=settle, interval_s=interval)
    console.print(f"Watching {watcher.folder} (done/ and failed/ beside it). Ctrl-C to stop.")
    try:
        if once:
            watcher.resume()
            deadline = time.monotonic() + settle + 2 * interval + 1
            while time.monotonic() < deadline:
                watcher.poll_once()
                time.sleep(interval)
        else:
            watcher.run_forever()
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        runner.close()


@app.command()
def serve(host: str = typer.Option(None), port: int = typer.Option(None)) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app

    s = get_settings()
    uvicorn.run(create_app(s), host=host or s.host, port=port or s.port, log_level="info")


@app.command()
def worker(concurrency: int = typer.Option(0, help="Worker processes (default: one per core)")) -> None:
    """Run a Celery worker (production mode: needs SOHOA_BROKER_URL)."""
    s = get_settings()
    if s.embedded:
        console.print("[red]error:[/red] SOHOA_BROKER_URL is not set: the embedded mode needs no worker")
        raise typer.Exit(2)
    from ingest.tasks import app as celery_app

    celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency or s.worker_count}", "-Q", "sohoa"])


@app.command()
def doctor() -> None:
    """Check the configuration and everything sohoa depends on."""
    from ingest.health import check_all

    report = check_all(_runtime())
    for name, check in report["checks"].items():
        mark = "[green]ok[/green]" if check["ok"] else f"[red]FAIL[/red] {check.get('error')}"
        console.print(f"{name:14} {mark}")
    for tool in ("pdftoppm", "qpdf"):
        console.print(f"{tool:14} " + ("[green]ok[/green]" if shutil.which(tool) else "[red]FAIL[/red] not installed"))
    raise typer.Exit(0 if report["status"] == "ok" else 1)


@app.command()
def config() -> None:
    """Print every SOHOA_* setting with its default."""
    table = Table("variable", "default", "meaning")
    for row in settings_table():
        table.add_row(*row)
    Console().print(table)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
