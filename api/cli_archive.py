"""Archive commands on the ``sohoa`` app: fixity, export, import, delete (registered by importing this module)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn

from api.cli import app, console
from ingest.runtime import Runtime
from ingest.settings import get_settings


def _rt() -> Runtime:
    return Runtime(get_settings())


@app.command()
def fixity(
    quarantine: bool = typer.Option(True, "--quarantine/--no-quarantine", help="Move changed objects into quarantine"),
    workers: int = typer.Option(0, "--workers", "-j", help="Hashing threads (default: up to 4)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout"),
) -> None:
    """Re-hash every stored object against its SHA-256; report (and quarantine) any that changed or vanished.

    Exit 0 when every object is intact, 1 when anything is bad.
    """
    from storage.fixity import run_fixity

    rt = _rt()
    try:
        with Progress(TextColumn("[bold]Fixity"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("fixity", total=None)

            def progress(finding, done, total):
                bar.update(task, completed=done, total=total or None)
                if finding.status != "ok":
                    bar.console.print(f"[red]✗[/red] {finding.sha256} {finding.status}: {finding.detail}")

            report = run_fixity(rt.catalog, rt.store, quarantine=quarantine, workers=workers or None, progress=progress)
    finally:
        rt.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=1))
    for f in report.bad:
        where = f" → {f.quarantined_to}" if f.quarantined_to else ""
        console.print(f"[red]{f.status}[/red] {f.sha256}{where}")
    colour = "green" if report.clean else "red"
    console.print(f"[{colour}]{report.checked} object(s): {report.ok} ok, {report.changed} changed, "
                  f"{report.missing} missing[/{colour}] ({report.bytes / 1e6:.1f} MB, {report.mb_per_s:.0f} MB/s)")
    raise typer.Exit(0 if report.clean else 1)


@app.command("export")
def export_cmd(
    dossier_code: str = typer.Argument(..., help="The dossier's code, e.g. 000.00.00.H01-250301-0001"),
    out: Path = typer.Argument(..., help="The package to write (.zip)"),
) -> None:
    """Write a dossier as a self-describing package: PDFs, originals, manifest.json, checksums.sha256."""
    from storage.package import PackageError, export_dossier

    rt = _rt()
    try:
        path = export_dossier(rt.catalog, rt.store, dossier_code, out)
    except PackageError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    finally:
        rt.close()
    console.print(f"[green]✓[/green] {dossier_code} → {path} ({path.stat().st_size / 1e6:.1f} MB)")


@app.command("import")
def import_cmd(package: Path = typer.Argument(..., exists=True, dir_okay=False, help="A package written by `sohoa export`")) -> None:
    """Read a package back: every checksum is verified before anything is written; importing twice is a no-op."""
    from storage.package import PackageError, import_package

    rt = _rt()
    try:
        rep = import_package(rt.catalog, rt.store, package)
    except PackageError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    finally:
        rt.close()
    console.print(f"[green]✓[/green] dossier {rep.dossier}: {rep.documents} document(s), {rep.created} row(s) added, "
                  f"{rep.existing} already present, {rep.objects_added} object(s) stored, {rep.objects_present} already stored")
    for note in rep.notes:
        console.print(f"[yellow]note:[/yellow] {note}")


@app.command("delete")
def delete_cmd(
    document_id: str = typer.Argument(..., help="The document to delete"),
    by: str = typer.Option(..., "--by", help="Who deletes it (recorded in the tombstone)"),
    role: str = typer.Option(..., "--role", help="archivist or admin"),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the tombstone)"),
) -> None:
    """Delete a document after its retention period, leaving a tombstone (archivist or admin only)."""
    from storage.archive import ArchiveRefused, configure_from_file, delete_document

    rt = _rt()
    if rt.settings.retention_table:
        configure_from_file(rt.settings.retention_table)
    try:
        with rt.catalog.session() as s:
            tomb = delete_document(s, rt.store, document_id, by, role, reason)
    except ArchiveRefused as exc:
        console.print(f"[red]refused:[/red] {exc}")
        raise typer.Exit(1)
    finally:
        rt.close()
    console.print(f"[green]✓[/green] document {document_id} deleted; tombstone {tomb.id}, "
                  f"{len(tomb.sha256s)} object(s) removed")
