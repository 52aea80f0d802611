"""``sohoa``: the command line for clerks and operators (digitize, watch, serve, worker, doctor, config, sign, validate)."""

from __future__ import annotations

import json
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
    duplex: bool = typer.Option(False, "--duplex", help="Each file is a simplex feeder's fronts, then its backs in reverse order"),
) -> None:
    """Digitize scans into the store: clean up, OCR, cut each feed into documents, searchable PDF, type and
    Decree 30 fields.

    With --out, each document's PDF is written there with a JSON record beside it (NAME.pdf, or NAME-01.pdf,
    NAME-02.pdf… when a scan held several documents, plus NAME.split.json saying how it was cut). Exit 0 if
    all succeed, 1 if any fails.
    """
    files = _expand(inputs)
    if not files:
        console.print("[red]error:[/red] no scans found (JPEG, PNG, TIFF or PDF)")
        raise typer.Exit(2)
    rt = _runtime(jobs, pdfa)
    try:
        batch = intake(rt, [Incoming(p, p.name) for p in files], source="cli", collate="duplex" if duplex else "none")
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
    table = Table(title=f"Batch {status['id']}", show_lines=False)
    for col in ("file", "pages", "result", "documents"):
        table.add_column(col)
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for f in status["files"]:
        ok = f["state"] in ("done", "duplicate")
        result = ("[green]" + ("done" if f["state"] == "done" else "already digitized") + "[/green]") if ok else f"[red]{f['error']}[/red]"
        docs = f["documents"]
        listed = "\n".join(f"{d['id']} {d['type']} ({d['page_count']} p.)" + (f" hồ sơ {d['dossier']}" if d["dossier"] else "") for d in docs)
        table.add_row(f["filename"], str(f["pages_total"]), result, listed)
        if ok and out:
            _write_records(rt, f, out)
    Console().print(table)
    if out:
        console.print(f"PDFs written to {out}")


def _write_records(rt: Runtime, f: dict, out: Path) -> None:
    """Each document's PDF with its JSON record (type, confidence, fields with page, box and confidence)."""
    stem = Path(f["filename"]).stem
    docs = f["documents"]
    for d in docs:
        name = stem if len(docs) == 1 else f"{stem}-{d['part']:02d}"
        record = document_detail(rt, d["id"])
        rt.store.copy_to(record["pdf_sha256"], out / f"{name}.pdf")
        (out / f"{name}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if f.get("split") and (len(docs) > 1 or f["split"]["blank_pages"] or f["split"]["separator_pages"]):
        split = {**f["split"], "documents": [{"id": d["id"], "part": d["part"], "file": (stem if len(docs) == 1 else f"{stem}-{d['part']:02d}") + ".pdf"} for d in docs]}
        (out / f"{stem}.split.json").write_text(json.dumps(split, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@app.command()
def watch(
    folder: Path = typer.Argument(..., help="The scanner's drop folder"),
    settle: float = typer.Option(2.0, help="Seconds a file must stay unchanged before it is taken"),
    interval: float = typer.Option(1.0, help="Seconds between looks at the folder"),
    once: bool = typer.Option(False, "--once", help="Process what is there now, then exit"),
    duplex: bool = typer.Option(False, "--duplex", help="Files are a simplex feeder's fronts, then backs in reverse order"),
) -> None:
    """Watch a drop folder: digitize each file once it is completely written, then move it to done/ or failed/."""
    from ingest.watch import FolderWatcher

    from ingest import logs

    logs.configure_from(get_settings())
    if not folder.is_dir():
        console.print(f"[red]error:[/red] {folder} is not a folder")
        raise typer.Exit(2)
    rt = _runtime()
    runner = make_runner(rt)
    watcher = FolderWatcher(rt, runner, folder, settle_s=settle, interval_s=interval, collate="duplex" if duplex else "none")
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

    from ingest import logs, metrics

    s = get_settings()
    logs.configure_from(s)
    if s.metrics_dir:
        metrics.enable_multiprocess(s.metrics_dir)
    # uvicorn's own logging off: sohoa's one setup formats every line, and its middleware logs each request
    uvicorn.run(create_app(s), host=host or s.host, port=port or s.port, log_config=None, access_log=False)


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
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON"),
    only: str = typer.Option("", help="Comma-separated checks to run (settings, paths, catalog, object_store, broker, "
                             "tesseract, tools, signing_keys, trust_anchors, timestamp_authority); default: all"),
    expiry_days: int = typer.Option(30, min=0, help="Warn when a signing certificate expires within this many days"),
) -> None:
    """Check the configuration, the services, Tesseract, the signing keys and the TSA: ok, warn or fail, with a
    hint for each problem; exit 1 when anything fails."""
    from pydantic import ValidationError

    from ingest import doctor as doc
    from ingest.settings import Settings

    try:
        settings = Settings()
    except (ValidationError, ValueError) as exc:
        checks = [doc.settings_failure(exc)]
    else:
        names = {n.strip() for n in only.split(",") if n.strip()} or None
        try:
            checks = doc.run(settings, expiry_days=expiry_days, only=names)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    if as_json:
        print(json.dumps({"ok": not doc.failed(checks), "checks": [c.as_dict() for c in checks]}, ensure_ascii=False, indent=2))
    else:
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}
        table = Table("check", "status", "detail", "hint")
        for c in checks:
            table.add_row(c.name, f"[{colour[c.status]}]{c.status}[/{colour[c.status]}]", c.detail, c.hint)
        Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)
    raise typer.Exit(1 if doc.failed(checks) else 0)


@app.command()
def config() -> None:
    """Print every SOHOA_* setting with its default."""
    table = Table("variable", "default", "meaning")
    for row in settings_table():
        table.add_row(*row)
    Console().print(table)


@app.command("separator-sheet")
def separator_sheet(
    dossier: list[str] = typer.Option(None, "--dossier", "-d", help="Dossier code <agency id>-YYMMDD-NNNN; repeat for several"),
    count: int = typer.Option(1, "--count", "-n", min=1, max=500, help="Copies of each sheet"),
    out: Path | None = typer.Option(None, "--out", "-o", help="PDF to write (default: separator-<code>.pdf or separator.pdf here)"),
) -> None:
    """Print separator sheets (A4 PDF, 100 % scale) to put before each dossier, or document, in the feeder.

    With --dossier, the pages after the sheet are filed under that dossier; without, a generic sheet only
    starts a new document. Exit 2 if a code is not a valid dossier code.
    """
    from ingest.dossier import dossier_code_error, parse_dossier_code
    from ingest.separator import separator_sheet_pdf

    codes: list[str] = []
    for text in dossier or []:
        parsed = parse_dossier_code(text)
        if parsed is None:
            console.print(f"[red]error:[/red] {text!r} is not a dossier code: {dossier_code_error(text)}", highlight=False)
            raise typer.Exit(2)
        codes.append(parsed.code)
    target = out or Path(f"separator-{codes[0]}.pdf" if len(codes) == 1 else "separator.pdf")
    sheets: list[str | None] = [code for code in (codes or [None]) for _ in range(count)]
    try:
        separator_sheet_pdf(sheets, target)
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot write {target}: {exc.strerror or exc}", highlight=False)
        raise typer.Exit(1)
    typer.echo(f"{len(sheets)} separator sheet{'s' if len(sheets) > 1 else ''} written to {target}")


@app.command()
def retrain() -> None:
    """Retrain the document-type model from the seed corpus and the clerks' type corrections; make it active."""
    from ingest import typemodel

    rt = Runtime(get_settings())
    try:
        with console.status("Retraining the document-type model") as spinner:
            def progress(message: str) -> None:
                spinner.update(f"Retraining the document-type model: {message}")
                console.print(f"  {message}")

            row = typemodel.retrain(rt, progress=progress)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    finally:
        rt.close()
    m = typemodel.model_summary(row)
    per_kind = Table("type", "held-out samples", "accuracy", title="Held-out accuracy per type")
    for code, r in m["per_kind"].items():
        per_kind.add_row(code, str(r["n"]), f"{r['accuracy']:.1%}")
    out = Console()
    out.print(per_kind)
    if m["confusions"]:
        out.print("confusions: " + ", ".join(f"{k} ×{v}" for k, v in m["confusions"].items()))
    held = m["corrections_held_out"]
    if held["n"]:
        out.print(f"corrected documents held out: {held['n']}, typed right {held['accuracy']:.1%}")
    acc = f"{m['accuracy']:.2%}" if m["accuracy"] is not None else "not measured (too few samples)"
    out.print(f"model {m['id']} ({m['sha256'][:12]}, {(m['bytes'] or 0) / 1e6:.1f} MB) is active: {m['samples']} samples, "
              f"{m['corrections']} corrected documents, held-out accuracy {acc}")


def _signing_error(exc: Exception) -> None:
    console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(1)


def _parse_box(box: str | None, page: int):
    from ingest import signatures

    if not box:
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in box.split(","))
    except ValueError:
        console.print("[red]error:[/red] --box is x1,y1,x2,y2 in PDF points (origin bottom-left)")
        raise typer.Exit(2)
    if x2 <= x1 or y2 <= y1:
        console.print("[red]error:[/red] --box must have x2 > x1 and y2 > y1")
        raise typer.Exit(2)
    return signatures.Box(page, (x1, y1, x2, y2))


@app.command()
def sign(
    inputs: list[Path] = typer.Argument(..., help="PDF files to sign"),
    signer: str = typer.Option(..., "--signer", "-s", help="The signer's id in the keyring (SOHOA_SIGNING_KEYRING)"),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the signed PDFs (or a .pdf path for one input)"),
    level: str | None = typer.Option(None, "--level", "-l", help="PAdES level B-B, B-T, B-LT or B-LTA (default SOHOA_SIGNATURE_LEVEL)"),
    appearance: str = typer.Option("auto", help="auto | signature | seal | text (attachments, copies) | none"),
    box: str | None = typer.Option(None, help="x1,y1,x2,y2 in points: where the appearance goes, instead of the automatic place"),
    page: int = typer.Option(1, min=1, help="The page of --box"),
    pin_prompt: bool = typer.Option(False, "--pin", help="Ask for the token PIN / key passphrase (not echoed)"),
) -> None:
    """Sign PDFs with a personal or agency key (Decree 30 appearance; the agency only over a valid personal signature)."""
    from ingest import signatures

    rt = Runtime(get_settings())
    where = _parse_box(box, page)
    try:
        spec = signatures.signer_spec(rt, signer)
        secret = typer.prompt(f"PIN for {signer}", hide_input=True) if pin_prompt else None
        lvl = level or rt.settings.signature_level
        files = _expand(inputs)
        single = out.suffix.lower() == ".pdf"
        if single and len(files) != 1:
            console.print("[red]error:[/red] --out names one file but several inputs were given; give a folder")
            raise typer.Exit(2)
        if not single:
            out.mkdir(parents=True, exist_ok=True)
        failed = 0
        with _bar() as bar:
            task = bar.add_task("signing", total=len(files))
            for f in files:
                target = out if single else out / f"{f.stem}.signed.pdf"
                try:
                    signed = signatures.sign_file(rt, f.read_bytes(), spec, role=spec.role, level=lvl,
                                                  appearance=appearance, box=where, secret=secret)
                except (signatures.SignatureRefused, signatures.SigningError, signatures.SigningKeyError, OSError) as exc:
                    failed += 1
                    console.print(f"[red]error:[/red] {f.name}: {exc}")
                else:
                    tmp = target.with_suffix(".part")
                    tmp.write_bytes(signed)
                    tmp.replace(target)  # never a half-written signed file under the final name
                    console.print(f"signed {f.name} → {target} ({lvl}, {spec.role})")
                bar.advance(task)
    except (signatures.SignatureRefused, signatures.SigningKeyError) as exc:
        _signing_error(exc)
    finally:
        rt.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def validate(
    inputs: list[Path] = typer.Argument(..., help="Signed PDFs to check"),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON on stdout"),
    report: Path | None = typer.Option(None, "--report", help="Write the PDF report here (a folder when several inputs)"),
    offline: bool = typer.Option(False, help="Use only the revocation data inside the files"),
) -> None:
    """Check every signature (ETSI-style verdict, Vietnamese summary); exit 0 only when every file is TOTAL_PASSED."""
    from ingest import signatures
    from signing.report import report_pdf
    from signing.validate import ValidationError

    rt = Runtime(get_settings())
    worst = 0
    reports = []
    try:
        check = signatures.validator(rt, online=not offline)
        files = _expand(inputs)
        with _bar() as bar:
            task = bar.add_task("validating", total=len(files))
            for f in files:
                try:
                    r = check.validate(f.read_bytes())
                except (ValidationError, OSError) as exc:
                    console.print(f"[red]error:[/red] {f.name}: {exc}")
                    worst = max(worst, 2)
                    bar.advance(task)
                    continue
                reports.append((f, r))
                colour = {"TOTAL_PASSED": "green", "TOTAL_FAILED": "red"}.get(r.verdict, "yellow")
                console.print(f"[{colour}]{r.verdict}[/{colour}] {f.name}: {r.summary}")
                worst = max(worst, 0 if r.verdict == "TOTAL_PASSED" else 1)
                if report is not None:
                    target = report if len(files) == 1 and report.suffix.lower() == ".pdf" else report / f"{f.stem}.validation.pdf"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(report_pdf(r, filename=f.name))
                bar.advance(task)
    except (signatures.SignatureRefused, signatures.TrustError) as exc:
        _signing_error(exc)
    finally:
        rt.close()
    if as_json:
        body = [dict(file=str(f), **r.to_dict()) for f, r in reports]
        print(json.dumps(body[0] if len(body) == 1 else body, ensure_ascii=False, indent=2))
    raise typer.Exit(worst)


@app.command()
def renew(before_days: int = typer.Option(None, help="Renew when the last timestamp expires within this many days")) -> None:
    """Extend long-term signatures (fresh revocation data, new document timestamp) that are due."""
    from ingest import signatures

    rt = Runtime(get_settings())
    try:
        with console.status("Renewing long-term signatures"):
            renewed = signatures.renew_due(rt, before_days=before_days)
    except (signatures.SignatureRefused, signatures.SigningError) as exc:
        _signing_error(exc)
    finally:
        rt.close()
    console.print(f"{len(renewed)} document(s) renewed" + (": " + ", ".join(renewed) if renewed else ""))


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


import api.cli_archive  # noqa: E402,F401 - fixity, export, import, delete
import api.cli_search  # noqa: E402,F401 - search-index rebuild | sync
import api.cli_reuse  # noqa: E402,F401 - search, verify, receive, register-result, reuse, deliver-outbox
import api.cli_accounts  # noqa: E402,F401 - user, apikey, audit
import api.cli_exchange  # noqa: E402,F401 - exchange address-book/send/recall/deliver/inbox/status


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    # run as ``python -m api.cli``: the command modules attached themselves to ``api.cli`` as imported, not to
    # this ``__main__`` copy
    from api.cli import app as registered

    sys.exit(registered())
