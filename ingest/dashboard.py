"""The reform targets an agency (or a province, over its units) reports each month, counted from the catalogue.

Four measures, per agency and month, each a numerator over a denominator so a page or a CSV can show both:

* **digitized** — dossiers received that month that have at least one digitized document filed under them
  (target ≥ 60 %); and **results digitized**: dossiers settled that month whose result is registered in sohoa
  and still valid (not revoked, replaced or expired), over the dossiers settled (same target);
* **signed electronically** — until agency-to-agency exchange is counted, the agency's outgoing documents are
  the documents it signed personally that month plus the certified copies it made; the numerator is those
  that also carry the agency's specialized signature (every certified copy does) (target 100 %);
* **on time** — dossiers settled that month with a due date, settled by it (``receipt.on_time``; ≥ 99 %);
* **synced to the portal** — results registered that month whose state reached the national portal (an
  outbox message ``sent``).

Rows are read for the period and grouped here rather than in SQL: month arithmetic differs between SQLite
and PostgreSQL, and a year of one agency's dossiers is a few hundred thousand rows at most.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import select

from ingest.receipt import on_time
from ingest.runtime import Runtime
from storage.catalog import Agency, CertifiedCopy, Document, DocumentVersion, Dossier, OutboxMessage, Result

TARGETS = {"dossiers": 0.60, "results": 0.60, "signed": 1.00, "on_time": 0.99, "portal": 1.00}
MEASURES = tuple(TARGETS)


@dataclass
class Ratio:
    done: int = 0
    total: int = 0

    @property
    def share(self) -> float | None:
        return self.done / self.total if self.total else None


@dataclass
class Row:
    agency_id: str
    month: str  # YYYY-MM
    ratios: dict[str, Ratio] = field(default_factory=lambda: {m: Ratio() for m in MEASURES})

    def met(self, measure: str) -> bool | None:
        share = self.ratios[measure].share
        return None if share is None else share >= TARGETS[measure] - 1e-9


def agencies_under(session, agency_id: str) -> list[str]:
    """The agency and every agency below it (a province's departments, their units), parents first."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for a in session.execute(select(Agency.id, Agency.parent_id)).all():
        children[a.parent_id].append(a.id)
    out, todo, seen = [], [agency_id], set()
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        out.append(current)
        todo.extend(sorted(children.get(current, [])))
    return out


def _month(value: date | datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    end = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return (datetime.combine(date(first.year, first.month, 1), time.min, tzinfo=timezone.utc),
            datetime.combine(end, time.min, tzinfo=timezone.utc))


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def report(rt: Runtime, agency_ids: list[str], first: date, last: date, *, today: date | None = None) -> list[Row]:
    """Rows for every agency of ``agency_ids`` and month from ``first`` to ``last`` (inclusive, by month)."""
    today = today or date.today()
    lo, hi = _bounds(first, last)
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + (m == 12), m % 12 + 1)
    rows = {(a, mo): Row(a, mo) for a in agency_ids for mo in months}
    wanted = set(agency_ids)

    def bump(agency: str | None, when, measure: str, done: bool) -> None:
        key = (agency, _month(when))
        if agency in wanted and key in rows:
            r = rows[key].ratios[measure]
            r.total += 1
            r.done += bool(done)

    with rt.catalog.session() as session:
        dossiers = session.scalars(select(Dossier).where(Dossier.agency_id.in_(wanted))).all()
        codes = [d.code for d in dossiers]
        filed = set(session.scalars(select(Document.dossier_code).where(
            Document.dossier_code.in_(codes), Document.state == "visible").distinct())) if codes else set()
        results = session.scalars(select(Result).where(Result.dossier_code.in_(codes))).all() if codes else []
        still_valid = {r.dossier_code for r in results if r.status == "valid" and (r.expires is None or r.expires >= today)}
        for d in dossiers:
            if lo.date() <= d.received < hi.date():
                bump(d.agency_id, d.received, "dossiers", d.code in filed)
            if d.settled_at is not None and lo <= _aware(d.settled_at) < hi:
                bump(d.agency_id, d.settled_at, "results", d.code in still_valid)
                if d.due is not None:
                    bump(d.agency_id, d.settled_at, "on_time", bool(on_time(d)))

        owner = dict(session.execute(select(Document.id, Document.agency_id).where(Document.agency_id.in_(wanted))).all())
        signed = session.execute(select(DocumentVersion.document_id, DocumentVersion.kind, DocumentVersion.created_at)
                                 .where(DocumentVersion.document_id.in_(list(owner)),
                                        DocumentVersion.kind.in_(("personal", "agency")))).all() if owner else []
        personal_at = {}
        sealed = set()
        for doc_id, kind, at in signed:
            if kind == "personal":
                personal_at.setdefault(doc_id, at)
            else:
                sealed.add(doc_id)
        for doc_id, at in personal_at.items():
            if lo <= _aware(at) < hi:
                bump(owner[doc_id], at, "signed", doc_id in sealed)
        copies = session.execute(select(CertifiedCopy.document_id, CertifiedCopy.created_at)
                                 .where(CertifiedCopy.document_id.in_(list(owner)))).all() if owner else []
        for doc_id, at in copies:
            if lo <= _aware(at) < hi:
                bump(owner[doc_id], at, "signed", True)

        registered = session.execute(select(Result.id, Result.document_id, Result.created_at)
                                     .where(Result.document_id.in_(list(owner)))).all() if owner else []
        sent = set()
        for key, state in session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.state)
                                          .where(OutboxMessage.idempotency_key.like("result:%"))).all():
            if state == "sent":
                sent.add(key.split(":")[1])
        for result_id, doc_id, at in registered:
            if lo <= _aware(at) < hi:
                bump(owner[doc_id], at, "portal", result_id in sent)
    return [rows[(a, mo)] for a in agency_ids for mo in months]


def totals(rows: list[Row]) -> dict[str, Ratio]:
    """Every row summed: the whole period and every agency, measure by measure."""
    out = {m: Ratio() for m in MEASURES}
    for row in rows:
        for m in MEASURES:
            out[m].done += row.ratios[m].done
            out[m].total += row.ratios[m].total
    return out


def to_csv(rows: list[Row]) -> str:
    """One line per agency and month: each measure's numerator, denominator and share (empty when 0/0)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["agency_id", "month"] + [f"{m}_{part}" for m in MEASURES for part in ("done", "total", "share")])
    for row in rows:
        cells = []
        for m in MEASURES:
            r = row.ratios[m]
            cells += [r.done, r.total, "" if r.share is None else f"{r.share:.4f}"]
        out.writerow([row.agency_id, row.month] + cells)
    return buf.getvalue()
