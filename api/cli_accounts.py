"""``sohoa user …``, ``sohoa apikey …`` and ``sohoa audit …``: accounts and the audit trail from the shell.

Whoever runs these has the data directory or the database URL, so they act as the operator (``cli:<user>`` in
the audit trail); the first agency admin of a new installation is made here.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn

from api.cli import app, console
from ingest import identity
from ingest.runtime import Runtime
from ingest.settings import get_settings
from storage import audit

user_app = typer.Typer(help="People who log in: staff of an agency, or citizens.", no_args_is_help=True)
key_app = typer.Typer(help="API keys for machines (scanner stations, integrations).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")
app.add_typer(audit_app, name="audit")


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no passwd entry in a container
        return "cli:operator"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _password(given: str | None) -> str:
    if given:
        return given
    env = os.environ.get("SOHOA_NEW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        _fail("the two passwords differ")
    return first


@user_app.command("add")
def user_add(username: str = typer.Argument(...),
             role: list[str] = typer.Option(..., "--role", help=f"one of {', '.join(identity.ROLES)}; repeat for several"),
             agency: str | None = typer.Option(None, "--agency", help="the agency's Decision 20/2020 id (staff)"),
             citizen_id: str | None = typer.Option(None, "--citizen-id", help="12-digit personal ID (citizens)"),
             full_name: str | None = typer.Option(None, "--name"),
             signer_key: str | None = typer.Option(None, "--signer-key", help="the keyring entry this person signs with"),
             password: str | None = typer.Option(None, "--password", help="default: SOHOA_NEW_PASSWORD, stdin or a prompt")) -> None:
    """Add a user (the password is read from a prompt, stdin or SOHOA_NEW_PASSWORD, never shown)."""
    rt = Runtime(get_settings())
    try:
        user = identity.create_user(rt, username, _password(password), role, agency_id=agency, citizen_id=citizen_id,
                                    full_name=full_name, signer_key=signer_key, actor=_operator())
    except identity.IdentityError as exc:
        _fail(str(exc))
    finally:
        rt.close()
    console.print(f"user {user.username} ({', '.join(user.roles)}) id {user.id}", highlight=False)


@user_app.command("bootstrap")
def user_bootstrap(username: str = typer.Argument("admin"),
                   agency: str = typer.Option(..., "--agency", help="the agency's Decision 20/2020 id"),
                   role: list[str] = typer.Option(["agency_admin"], "--role")) -> None:
    """The first account of a new installation, with a random password printed once; nothing when users exist."""
    import secrets

    rt = Runtime(get_settings())
    try:
        if identity.list_users(rt):
            console.print("accounts exist already: nothing done")
            return
        password = secrets.token_urlsafe(12)
        identity.create_user(rt, username, password, role, agency_id=agency, actor=_operator())
    except identity.IdentityError as exc:
        _fail(str(exc))
    finally:
        rt.close()
    console.print(f"first account: {username} ({', '.join(sorted(set(role)))}), password (shown once):", highlight=False)
    print(password)


@user_app.command("list")
def user_list(agency: str | None = typer.Option(None, "--agency")) -> None:
    """Users, with their roles and agency."""
    rt = Runtime(get_settings())
    try:
        for u in identity.list_users(rt, agency):
            state = "" if u.active else "  (disabled)"
            console.print(f"{u.id}  {u.username:<24} {','.join(u.roles):<28} {u.agency_id or u.citizen_id or ''}{state}",
                          highlight=False)
    finally:
        rt.close()


def _user_id(rt: Runtime, username: str) -> str:
    for u in identity.list_users(rt):
        if u.username == username.strip().lower() or u.id == username:
            return u.id
    _fail(f"no user {username}")


@user_app.command("token")
def user_token(username: str) -> None:
    """Print an access token for a user (the operator's shortcut for scripts and curl; audited)."""
    rt = Runtime(get_settings())
    try:
        user = identity.get_user(rt, _user_id(rt, username))
        if not user.active:
            _fail(f"{username} is disabled")
        token, _ = identity.issue_token(rt, identity._principal(user))
        audit.record(rt.catalog, "token.issue", actor=_operator(), agency_id=user.agency_id, subject=f"user:{user.id}")
    finally:
        rt.close()
    print(token)


@user_app.command("passwd")
def user_passwd(username: str, password: str | None = typer.Option(None, "--password")) -> None:
    """Set a new password (every token issued before stops working)."""
    rt = Runtime(get_settings())
    try:
        identity.update_user(rt, _user_id(rt, username), password=_password(password), actor=_operator())
    except identity.IdentityError as exc:
        _fail(str(exc))
    finally:
        rt.close()
    console.print("password changed")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user (their tokens stop working at once)."""
    rt = Runtime(get_settings())
    try:
        identity.update_user(rt, _user_id(rt, username), active=False, actor=_operator())
    finally:
        rt.close()
    console.print(f"{username} disabled")


@key_app.command("create")
def key_create(name: str = typer.Argument(..., help="what uses it"),
               role: list[str] = typer.Option(..., "--role"), agency: str = typer.Option(..., "--agency"),
               days: int = typer.Option(365, "--days", help="valid this many days")) -> None:
    """Make an API key; the secret is printed once and kept only hashed."""
    rt = Runtime(get_settings())
    try:
        row, secret = identity.create_api_key(rt, name, role, agency_id=agency, expires_days=days, actor=_operator())
    except identity.IdentityError as exc:
        _fail(str(exc))
    finally:
        rt.close()
    console.print(f"API key {row.id} for {row.name}; send it as X-API-Key (shown once):", highlight=False)
    print(secret)


@key_app.command("list")
def key_list(agency: str | None = typer.Option(None, "--agency")) -> None:
    rt = Runtime(get_settings())
    try:
        for k in identity.list_api_keys(rt, agency):
            d = k.as_dict()
            console.print(f"{d['id']}  {d['name']:<28} {','.join(d['roles']):<20} {d['agency_id'] or ''}"
                          f"{'  (revoked)' if d['revoked'] else ''}", highlight=False)
    finally:
        rt.close()


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    rt = Runtime(get_settings())
    try:
        identity.revoke_api_key(rt, key_id, actor=_operator())
    except LookupError as exc:
        _fail(str(exc))
    finally:
        rt.close()
    console.print(f"API key {key_id} revoked")


@audit_app.command("verify")
def audit_verify(file: Path | None = typer.Option(None, "--file", help="check an exported JSON-lines file instead"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Walk the chain: exit 1 and name every entry that was edited, removed or reordered."""
    if file is not None:
        if not file.is_file():
            _fail(f"{file} does not exist")
        with open(file, encoding="utf-8") as f:
            try:
                report = audit.verify_jsonl(f)
            except (ValueError, KeyError) as exc:
                _fail(f"{file} is not an audit export: {exc}")
    else:
        rt = Runtime(get_settings())
        try:
            with Progress(TextColumn("checking the audit chain"), BarColumn(), TextColumn("{task.completed} entries"),
                          console=console, transient=True) as bar:
                task = bar.add_task("chain", total=None)
                report = audit.verify(rt.catalog, progress=lambda n: bar.update(task, completed=n))
        finally:
            rt.close()
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.intact:
        console.print(f"[green]intact[/green]: {report.entries} entries, head {report.head_hash[:16]}…", highlight=False)
    else:
        console.print(f"[red]TAMPERED[/red]: {len(report.problems)} problem(s) in {report.entries} entries", highlight=False)
        for p in report.problems[:50]:
            console.print(f"  entry {p.seq}: {p.kind}: {p.message}", highlight=False)
    if not report.intact:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(out: Path = typer.Argument(..., help="JSON-lines file to write"),
                 action: str | None = typer.Option(None, "--action"), subject: str | None = typer.Option(None, "--subject"),
                 date_from: str | None = typer.Option(None, "--from"), date_to: str | None = typer.Option(None, "--to")) -> None:
    """Write entries (with their hashes) as JSON lines; a whole export can be checked with ``verify --file``."""
    try:
        q = audit.AuditQuery(action=action, subject=subject, date_from=date.fromisoformat(date_from) if date_from else None,
                             date_to=date.fromisoformat(date_to) if date_to else None)
    except ValueError as exc:
        _fail(f"dates are YYYY-MM-DD: {exc}")
    rt = Runtime(get_settings())
    tmp = out.with_name(out.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            n = audit.export_jsonl(rt.catalog, f, q)
        tmp.replace(out)  # never a half-written export under the real name
        audit.record(rt.catalog, "audit.export", actor=_operator(), detail={"file": out.name, "entries": n})
    finally:
        tmp.unlink(missing_ok=True)
        rt.close()
    console.print(f"{n} entries written to {out}", highlight=False)
