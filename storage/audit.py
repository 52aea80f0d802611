"""The audit trail: an append-only log of significant actions in which each entry carries its predecessor's hash.

Anyone who edits, removes or reorders an entry breaks the chain, and ``verify`` says where. An entry is
appended inside the transaction of the action it records (``append``), so an action and its record commit
or roll back together. Appends are serialized by one head row bumped with ``UPDATE … RETURNING`` — the
same lock discipline as the dossier counter — so concurrent workers never fork the chain. The head also holds
the last hash, which is how removing the newest entries is caught; publishing that hash elsewhere (a signed
export, a second system) is what protects against someone who rewrites the whole table and the head.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.catalog import Base, Catalog, utcnow

GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))  # "user:<id>", "apikey:<id>", "instance:<agency>", "system", …
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)  # "document.upload", "exchange.send", …
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)  # "document:<id>", …
    detail: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def as_dict(self) -> dict:
        return {"seq": self.seq, "at": _iso(self.at), "actor": self.actor, "agency_id": self.agency_id,
                "action": self.action, "subject": self.subject, "detail": self.detail,
                "prev_hash": self.prev_hash, "hash": self.hash}


class AuditHead(Base):
    """The one row every append locks: the last sequence number and the last hash."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _plain(value):
    """The detail as JSON will give it back (NFC strings, str for dates and other objects): what is hashed is
    exactly what is stored, on SQLite's TEXT and PostgreSQL's json alike."""
    def default(o):
        if isinstance(o, (datetime, date, time)):
            return o.isoformat()
        return str(o)

    def nfc(o):
        if isinstance(o, str):
            return unicodedata.normalize("NFC", o)
        if isinstance(o, dict):
            return {nfc(str(k)): nfc(v) for k, v in o.items()}
        if isinstance(o, list):
            return [nfc(v) for v in o]
        return o

    return nfc(json.loads(json.dumps(value if value is not None else {}, default=default)))


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, agency_id: str | None, action: str,
               subject: str | None, detail: dict) -> str:
    body = json.dumps([seq, at, actor, agency_id, action, subject, detail], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(session: Session, action: str, *, actor: str = "system", agency_id: str | None = None,
           subject: str | None = None, detail: dict | None = None) -> AuditEntry:
    """Add an entry inside the caller's transaction (the caller commits). Keep the transaction short after
    this call: the head row stays locked until it ends."""
    seq, prev = session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
                                .returning(AuditHead.seq, AuditHead.hash)).one()
    at = utcnow()
    actor = unicodedata.normalize("NFC", actor)[:128]
    detail = _plain(detail)
    subject = subject[:128] if subject else None
    digest = entry_hash(prev, seq, _iso(at), actor, agency_id, action, subject, detail)
    entry = AuditEntry(seq=seq, at=at, actor=actor, agency_id=agency_id, action=action, subject=subject,
                       detail=detail, prev_hash=prev, hash=digest)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    session.flush()
    return entry


def record(catalog: Catalog, action: str, **kwargs) -> AuditEntry:
    """Append in a transaction of its own: for actions that write nothing else (a login failure, a read)."""
    with catalog.session() as session:
        entry = append(session, action, **kwargs)
        session.commit()
        return entry


@dataclass
class Problem:
    seq: int
    kind: str  # "edited", "broken-link", "missing", "reordered", "head"
    message: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass
class ChainReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"intact": self.intact, "entries": self.entries, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "problems": [p.as_dict() for p in self.problems]}


MAX_PROBLEMS = 1000


def _walk(report: ChainReport, rows, progress: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Check each row (a dict of an entry's stored values) against the one before it; returns the last
    (seq, hash) seen, for the caller to compare with the head."""
    expected_seq, prev_hash = 1, GENESIS
    for d in rows:
        report.entries += 1
        seq = d["seq"]
        if seq != expected_seq:
            gap = seq - expected_seq
            report.problems.append(Problem(seq, "missing", f"entry {seq} follows {expected_seq - 1}: {gap} "
                                           f"entr{'y' if gap == 1 else 'ies'} removed") if gap > 0 else
                                   Problem(seq, "reordered", f"entry {seq} is out of order"))
        if entry_hash(d["prev_hash"], seq, d["at"], d["actor"], d["agency_id"], d["action"], d["subject"],
                      d["detail"]) != d["hash"]:
            report.problems.append(Problem(seq, "edited", f"entry {seq} ({d['action']}) was changed after it was written"))
        if d["prev_hash"] != prev_hash:
            report.problems.append(Problem(seq, "broken-link", f"entry {seq} does not carry the hash of the entry before it"))
        expected_seq, prev_hash = seq + 1, d["hash"]
        if progress and report.entries % 2000 == 0:
            progress(report.entries)
        if len(report.problems) >= MAX_PROBLEMS:
            break
    return expected_seq - 1, prev_hash


def verify(catalog: Catalog, *, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the whole chain in order, streaming, and report every entry that does not follow from the one
    before it: its own hash recomputed, its link to its predecessor, and sequence numbers without holes."""
    report = ChainReport()
    with catalog.session() as session:
        head = session.get(AuditHead, 1)
        report.head_seq, report.head_hash = (head.seq, head.hash) if head else (0, GENESIS)
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)).scalars()
        last_seq, last_hash = _walk(report, (e.as_dict() for e in rows), progress)
    if len(report.problems) < MAX_PROBLEMS and (report.head_seq != last_seq or report.head_hash != last_hash):
        report.problems.append(Problem(report.head_seq, "head", (
            f"the log ends at entry {last_seq} but {report.head_seq} were written: the newest entries were removed"
            if report.head_seq > last_seq else "the last entry does not match the chain's head")))
    if progress:
        progress(report.entries)
    return report


@dataclass
class AuditQuery:
    action: str | None = None  # exact, or a prefix ending in "." ("exchange.")
    actor: str | None = None
    agency_id: str | None = None
    subject: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    after_seq: int = 0


def _filtered(q: AuditQuery):
    stmt = select(AuditEntry).where(AuditEntry.seq > q.after_seq)
    if q.action:
        stmt = stmt.where(AuditEntry.action.startswith(q.action) if q.action.endswith(".") else AuditEntry.action == q.action)
    if q.actor:
        stmt = stmt.where(AuditEntry.actor == q.actor)
    if q.agency_id:
        stmt = stmt.where(AuditEntry.agency_id == q.agency_id)
    if q.subject:
        stmt = stmt.where(AuditEntry.subject == q.subject)
    if q.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(q.date_from, time.min, tzinfo=timezone.utc))
    if q.date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(q.date_to, time.max, tzinfo=timezone.utc))
    return stmt


def entries(catalog: Catalog, query: AuditQuery | None = None, *, limit: int = 100) -> list[AuditEntry]:
    """A page of entries in chain order; page on with ``after_seq`` = the last seq seen."""
    with catalog.session() as session:
        return list(session.execute(_filtered(query or AuditQuery()).order_by(AuditEntry.seq).limit(limit)).scalars())


def iter_entries(catalog: Catalog, query: AuditQuery | None = None) -> Iterator[AuditEntry]:
    """Every matching entry, streamed (for exports of any size)."""
    with catalog.session() as session:
        yield from session.execute(_filtered(query or AuditQuery()).order_by(AuditEntry.seq)
                                   .execution_options(yield_per=2000)).scalars()


def export_jsonl(catalog: Catalog, out, query: AuditQuery | None = None) -> int:
    """Write entries as JSON lines (each with its hashes, so an export can be checked on its own)."""
    n = 0
    for e in iter_entries(catalog, query):
        out.write(json.dumps(e.as_dict(), ensure_ascii=False) + "\n")
        n += 1
    return n


def verify_jsonl(lines) -> ChainReport:
    """Check an exported chain (complete, from entry 1) without the database."""
    report = ChainReport()
    report.head_seq, report.head_hash = _walk(report, (json.loads(line) for line in lines if line.strip()))
    return report
