"""``sohoa`` commands for reuse at the desk: search, verify, receive a dossier, register and find results.

The same rules as the API (``ingest.receipt``, ``ingest.results``, ``ingest.verification``); imported by
``api.cli`` so the commands join the ``sohoa`` application.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from api.cli import app, console
from ingest.runtime import Runtime
from ingest.settings import get_settings


def _rt() -> Runtime:
    return Runtime(get_settings())


def _fail(exc: Exception, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(code)


@app.command()
def search(
    query: str = typer.Argument("", help="Words, \"a phrase\"; case and diacritics do not matter"),
    type_: list[str] = typer.Option(None, "--type", help="Document type code; repeat for several"),
    holder: str | None = typer.Option(None, help="Holder's personal ID or tax code"),
    dossier: str | None = typer.Option(None, help="Dossier code"),
    limit: int = typer.Option(20, min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search the archive (the index beside this node, caught up from the catalogue first)."""
    from api.routes.search import index_for
    from storage.search_index import Filters, QueryError

    rt = _rt()
    try:
        index = index_for(rt)
        index.sync(rt.catalog)
        page = index.search(query, Filters(type=type_ or [], holder=[holder] if holder else [],
                                           dossier=[dossier] if dossier else []), limit=limit)
    except QueryError as exc:
        _fail(exc, 2)
    finally:
        rt.close()
    if as_json:
        print(json.dumps(page.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table("document", "type", "title", "score", title=f"{page.total} document(s)")
    for h in page.hits:
        table.add_row(h.document_id, h.doc_type, h.title[:70], f"{h.score:.1f}" + (" exact" if h.exact else ""))
    from rich.console import Console

    Console().print(table)


@app.command()
def verify(what: str = typer.Argument(..., help="A verification code XXXX-XXXX-XXXX-XXXX, or a file to check")) -> None:
    """Is a result or certified copy genuine and current? By its code, or by the file someone handed you."""
    from ingest import verification

    rt = _rt()
    try:
        path = Path(what)
        if path.is_file():
            info = verification.verify_upload(rt, path.read_bytes())
            ok = info["in_archive"] and info["signature_verdict"] == "TOTAL_PASSED"
        else:
            info = verification.verify_by_code(rt, what)
            ok = info["genuine"] and info["current"]
    except verification.CodeError as exc:
        _fail(exc, 2)
    except LookupError as exc:
        _fail(exc)
    finally:
        rt.close()
    print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(0 if ok else 1)


@app.command()
def receive(
    agency: str = typer.Option(..., help="The receiving agency's Decision 20/2020 identifier"),
    procedure: str = typer.Option(..., help="The administrative procedure"),
    holder: str = typer.Option(..., help="Holder's personal ID or tax code"),
    name: str | None = typer.Option(None, help="Holder's name"),
    days: int | None = typer.Option(None, help="Due this many days after today"),
) -> None:
    """Receive a dossier at the desk and print its code (<agency id>-YYMMDD-NNNN, no gaps)."""
    from ingest import receipt

    rt = _rt()
    try:
        row = receipt.receive(rt, agency, procedure=procedure, holder_id=holder, holder_name=name, days=days)
    except receipt.ReceiptError as exc:
        _fail(exc, 2)
    finally:
        rt.close()
    print(row.code)


@app.command("register-result")
def register_result(
    document_id: str = typer.Argument(...),
    holder: str | None = typer.Option(None, help="Default: the ID read on the document"),
    expires: str | None = typer.Option(None, help="YYYY-MM-DD"),
    copy_id: str | None = typer.Option(None, help="The certified copy carrying it"),
) -> None:
    """Make a stored document a result of its holder (queued for the national portal)."""
    from ingest import receipt, results

    rt = _rt()
    try:
        row = results.register(rt, document_id, holder_id=holder, copy_id=copy_id,
                               expires=date.fromisoformat(expires) if expires else None)
    except (results.ReuseRefused, receipt.ReceiptError, LookupError, ValueError) as exc:
        _fail(exc)
    finally:
        rt.close()
    print(json.dumps(results.describe(row), ensure_ascii=False, indent=2))


@app.command()
def reuse(holder: str = typer.Argument(..., help="Personal ID or tax code"),
          type_: str | None = typer.Option(None, "--type", help="Document type code")) -> None:
    """A holder's results, each with whether it may be reused and why not."""
    from ingest import receipt, results

    rt = _rt()
    try:
        items = results.lookup(rt, holder, type_)
    except receipt.ReceiptError as exc:
        _fail(exc, 2)
    finally:
        rt.close()
    print(json.dumps(items, ensure_ascii=False, indent=2))


@app.command("deliver-outbox")
def deliver_outbox() -> None:
    """Send due results to the national portal now (SOHOA_PORTAL_URL)."""
    from ingest import portal

    rt = _rt()
    try:
        counts = portal.deliver_due(rt, limit=500)
    except portal.PortalNotConfigured as exc:
        _fail(exc)
    finally:
        rt.close()
    print(json.dumps(counts, ensure_ascii=False))
