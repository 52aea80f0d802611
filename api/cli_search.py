"""``sohoa search-index rebuild|sync``: the process-local search index (``<data dir>/search-index``).

Imported by ``api.cli`` so the commands join the ``sohoa`` application.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from api.cli import app, console
from ingest.runtime import Runtime
from ingest.settings import get_settings

search_app = typer.Typer(help="The search index beside this node, rebuilt or caught up from the catalogue.", no_args_is_help=True)
app.add_typer(search_app, name="search-index")


def _open(path: Path | None):
    from storage.search_index import SearchIndex

    rt = Runtime(get_settings())
    return rt, SearchIndex(path or Path(rt.settings.data_dir) / "search-index")


@search_app.command("rebuild")
def rebuild(path: Path | None = typer.Option(None, "--path", help="Index directory (default: <data dir>/search-index)")) -> None:
    """Empty the index and index every visible document of the catalogue again."""
    rt, index = _open(path)
    t0 = time.perf_counter()
    try:
        n = index.rebuild(rt.catalog, progress=lambda done, total: console.print(f"{done}/{total} documents", highlight=False)
                          if done % 10_000 == 0 or done == total else None)
    except RuntimeError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        rt.close()
    console.print(f"indexed {n} documents in {time.perf_counter() - t0:.1f} s into {index.path}")


@search_app.command("sync")
def sync(path: Path | None = typer.Option(None, "--path", help="Index directory (default: <data dir>/search-index)")) -> None:
    """Index what changed in the catalogue since the last sync (new, changed, merged away, deleted)."""
    rt, index = _open(path)
    t0 = time.perf_counter()
    try:
        n = index.sync(rt.catalog)
    finally:
        rt.close()
    console.print(f"synced {n} documents in {time.perf_counter() - t0:.1f} s; cursor {index.cursor}")
