"""Receiving a dossier at the one-stop desk: the code ``<agency id>-YYMMDD-NNNN`` without gaps or duplicates.

The day's counter row is bumped with one ``UPDATE … RETURNING`` inside the transaction that inserts the
dossier: PostgreSQL row-locks it and SQLite takes its write lock at that statement, so concurrent receipts
queue on the counter, and a receipt that fails rolls its number back with it — no gap, no duplicate.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from ingest.dossier import agency_id_error
from ingest.runtime import Runtime
from storage.catalog import Agency, Dossier, DossierCounter, utcnow

STATUSES = ("received", "processing", "settled", "returned", "cancelled")
MAX_PER_DAY = 9999


class ReceiptError(ValueError):
    """A dossier that cannot be received as given (unknown agency, bad holder ID, day full)."""


def holder_kind(holder_id: str) -> tuple[str, str]:
    """(canonical id, kind) of a holder: a 12-digit personal ID, or a 10- or 13-digit tax code (``-`` allowed)."""
    raw = unicodedata.normalize("NFKC", holder_id or "").strip()
    digits = raw.replace("-", "").replace(" ", "")
    if not digits.isdigit() or not digits.isascii():
        raise ReceiptError(f"'{raw}' is not a personal ID (12 digits) or a tax code (10 or 13 digits)")
    if len(digits) == 12:
        if not 1 <= int(digits[:3]) <= 96:
            raise ReceiptError(f"personal ID {digits}: its first three digits are a province code 001-096")
        return digits, "personal_id"
    if len(digits) in (10, 13):
        return digits, "tax_code"
    raise ReceiptError(f"'{raw}' has {len(digits)} digits: a personal ID has 12, a tax code 10 or 13")


def add_agency(rt: Runtime, agency_id: str, name: str, parent_id: str | None = None) -> Agency:
    agency_id = agency_id.strip().upper()
    if (why := agency_id_error(agency_id)) is not None:
        raise ReceiptError(why)
    with rt.catalog.session() as session:
        if parent_id and session.get(Agency, parent_id) is None:
            raise ReceiptError(f"parent agency {parent_id} is not known")
        row = session.get(Agency, agency_id)
        if row is None:
            row = Agency(id=agency_id, name=unicodedata.normalize("NFC", name.strip()), parent_id=parent_id)
            session.add(row)
        else:
            row.name, row.parent_id = unicodedata.normalize("NFC", name.strip()), parent_id
        session.commit()
        return row


def receive(rt: Runtime, agency_id: str, *, procedure: str, holder_id: str, holder_name: str | None = None,
            due: date | None = None, days: int | None = None, on: date | None = None) -> Dossier:
    """Receive a dossier today (or ``on``): number it, record who it is for and when it is due."""
    canonical, _kind = holder_kind(holder_id)
    day = on or date.today()
    if due is None and days is not None:
        due = day + timedelta(days=days)
    if due is not None and due < day:
        raise ReceiptError("the due date is before the day the dossier is received")
    for attempt in range(20):
        try:
            return _receive_once(rt, agency_id, day, procedure, canonical, holder_name, due)
        except OperationalError as exc:  # SQLite busy past its timeout, PostgreSQL deadlock: try again
            if attempt == 19:
                raise ReceiptError(f"the catalog is too busy to number the dossier: {exc.orig}") from None
    raise AssertionError("unreachable")


def _receive_once(rt: Runtime, agency_id: str, day: date, procedure: str, holder_id: str,
                  holder_name: str | None, due: date | None) -> Dossier:
    with rt.catalog.session() as session:
        if session.get(Agency, agency_id) is None:
            raise ReceiptError(f"agency {agency_id} is not known; add it first (POST /api/v1/agencies)")
        dialect = session.bind.dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DossierCounter)
        session.execute(ins.values(agency_id=agency_id, day=day, last=0).on_conflict_do_nothing())
        while True:
            number = session.execute(
                update(DossierCounter).where(DossierCounter.agency_id == agency_id, DossierCounter.day == day)
                .values(last=DossierCounter.last + 1).returning(DossierCounter.last)).scalar_one()
            if number > MAX_PER_DAY:
                session.rollback()
                raise ReceiptError(f"agency {agency_id} has received {MAX_PER_DAY} dossiers today: the code has 4 digits")
            code = f"{agency_id}-{day:%y%m%d}-{number:04d}"
            if session.get(Dossier, code) is None:  # a separator sheet may have named this code already
                break
        row = Dossier(code=code, agency_id=agency_id, received=day, sequence=number,
                      procedure=unicodedata.normalize("NFC", procedure.strip())[:255], holder_id=holder_id,
                      holder_name=unicodedata.normalize("NFC", holder_name.strip()) if holder_name else None,
                      due=due, status="received")
        session.add(row)
        session.commit()
        return row


def set_status(rt: Runtime, code: str, status: str) -> Dossier:
    if status not in STATUSES:
        raise ReceiptError(f"status must be one of {', '.join(STATUSES)}")
    with rt.catalog.session() as session:
        row = session.get(Dossier, code)
        if row is None:
            raise LookupError(f"no dossier {code}")
        row.status = status
        row.settled_at = utcnow() if status == "settled" else None
        session.commit()
        return row


def on_time(row: Dossier) -> bool | None:
    """Settled by its due date (None while open or without one): what the ≥ 99 % target counts."""
    if row.due is None or row.settled_at is None:
        return None
    return row.settled_at.date() <= row.due


