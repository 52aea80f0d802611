"""``sohoa exchange`` commands: the address book, sending, delivering now, and what came in.

The same rules as the API (``ingest.address_book``, ``ingest.exchange``, ``ingest.exchange_inbox``);
imported by ``api.cli`` so the commands join the ``sohoa`` application.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from api.cli import app, console
from ingest import address_book, exchange, exchange_delivery, exchange_inbox
from ingest.envelope import EnvelopeError
from ingest.runtime import Runtime
from ingest.settings import get_settings

cli = typer.Typer(help="Exchange documents with other agencies (edXML envelopes, signed)", no_args_is_help=True)
book = typer.Typer(help="The agencies this instance exchanges with", no_args_is_help=True)
cli.add_typer(book, name="address-book")
app.add_typer(cli, name="exchange")


def _rt() -> Runtime:
    return Runtime(get_settings())


def _run(fn, *args, **kwargs):
    rt = _rt()
    try:
        return fn(rt, *args, **kwargs)
    except (LookupError, ValueError, exchange.ExchangeRefused, exchange_inbox.StatusRefused, EnvelopeError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1)
    finally:
        rt.close()


@book.command("add")
def book_add(
    agency_id: str = typer.Argument(..., help="Agency identifier, e.g. 000.00.00.G22"),
    endpoint: str = typer.Option(..., help="Base URL of the agency's instance"),
    certificate: Path = typer.Option(..., exists=True, dir_okay=False, help="PEM certificate it signs envelopes with"),
    name: str = typer.Option("", help="The agency's name"),
) -> None:
    """Add an agency, or replace its entry (new endpoint, renewed certificate)."""
    row = _run(address_book.put, agency_id, name=name, endpoint=endpoint, certificate_pem=certificate.read_bytes(),
               actor="cli")
    console.print(f"{row.id}: {row.endpoint} (certificate {row.cert_sha256[:16]}…, {row.cert_subject})")


@book.command("list")
def book_list(as_json: bool = typer.Option(False, "--json"), all_: bool = typer.Option(False, "--all")) -> None:
    """The agencies in the address book."""
    rows = _run(address_book.entries, all_)
    if as_json:
        print(json.dumps([address_book.as_dict(r) for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("agency", "name", "endpoint", "certificate", "active")
    for r in rows:
        table.add_row(r.id, r.name, r.endpoint, r.cert_subject[:50], "yes" if r.active else "no")
    console.print(table)


@book.command("remove")
def book_remove(agency_id: str) -> None:
    """Stop exchanging with an agency (its entry is kept, inactive)."""
    _run(address_book.remove, agency_id, actor="cli")
    console.print(f"{agency_id} removed from the active address book")


@cli.command("send")
def send(
    document_id: str,
    to: list[str] = typer.Option(..., "--to", help="Recipient agency id; repeat for several"),
    priority: int = typer.Option(0, min=0, max=3),
    subject: str | None = typer.Option(None, help="Trích yếu, if the document's metadata lacks it"),
) -> None:
    """Queue a signed document for other agencies (delivered by the worker or `sohoa exchange deliver`)."""
    out = _run(exchange.send, document_id, to, fields={"subject": subject} if subject else {}, priority=priority,
               actor="cli")
    console.print(f"envelope {out['envelope_id']} queued for {', '.join(out['to'])} ({out['bytes']:,} bytes)")


@cli.command("recall")
def recall(envelope_id: str) -> None:
    """Recall a sent document from its recipients."""
    out = _run(exchange.recall, envelope_id, actor="cli")
    console.print(f"recall {out['envelope_id']} queued for {', '.join(out['to'])}")


@cli.command("deliver")
def deliver(limit: int = typer.Option(200, min=1)) -> None:
    """Deliver due envelopes and status messages now."""
    console.print(_run(exchange_delivery.deliver_due, limit=limit))


@cli.command("inbox")
def inbox(state: str | None = typer.Option(None), as_json: bool = typer.Option(False, "--json")) -> None:
    """Envelopes received, newest first."""
    rows = _run(exchange_inbox.received, state=state, limit=200)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("id", "from", "state", "status", "subject", "reasons")
    for r in rows:
        table.add_row(r["id"], r["from"] or "?", r["state"], r["status"], ((r["header"] or {}).get("subject") or "")[:50],
                      "; ".join(r["reasons"])[:60])
    console.print(table)


@cli.command("status")
def status(received_id: str, code: str = typer.Argument(..., help="03, 04, 05 or 06"),
           note: str | None = typer.Option(None)) -> None:
    """Move a received document to its next status (sent back to its sender)."""
    out = _run(exchange_inbox.change_status, received_id, code, actor="cli", note=note)
    console.print(f"{out['id']}: {out['status']} {out['description']}")
