"""The reform targets counted on known data: each measure's numerator and denominator, per agency and month."""

from __future__ import annotations

from datetime import date, datetime, timezone

from ingest import dashboard
from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Agency, CertifiedCopy, Document, DocumentVersion, Dossier, OutboxMessage, Result

PROVINCE, DEPT, OTHER = "000.00.00.H41", "000.00.12.H41", "000.00.31.H44"


def _at(y, m, d=10):
    return datetime(y, m, d, 9, tzinfo=timezone.utc)


def _doc(s, agency, dossier=None, state="visible"):
    doc = Document(source_sha256="s" * 64, pdf_sha256="p" * 64, filename="x.pdf", mime="application/pdf", page_count=1,
                   agency_id=agency, dossier_code=dossier, state=state)
    s.add(doc)
    s.flush()
    return doc


def test_targets_per_agency_and_month(tmp_path):
    rt = Runtime(Settings(data_dir=tmp_path / "var"))
    with rt.catalog.session() as s:
        s.add_all([Agency(id=PROVINCE, name="UBND tỉnh"), Agency(id=DEPT, name="Sở", parent_id=PROVINCE),
                   Agency(id=OTHER, name="Khác")])
        s.flush()
        # November: 4 dossiers received by the department, 3 with a digitized document (one only superseded)
        for n, (filed, state) in enumerate([(True, "visible"), (True, "visible"), (True, "visible"), (True, "superseded")]):
            code = f"{DEPT}-261105-{n + 1:04d}"
            s.add(Dossier(code=code, agency_id=DEPT, received=date(2026, 11, 5), sequence=n + 1, due=date(2026, 11, 20),
                          settled_at=_at(2026, 11, 15 + n * 3), status="settled"))
            _doc(s, DEPT, code, state)
        # the other agency's dossier is not counted for the province
        s.add(Dossier(code=f"{OTHER}-261105-0001", agency_id=OTHER, received=date(2026, 11, 5), sequence=1))
        s.flush()
        # results: dossier 1 valid, dossier 2 revoked, dossier 3 expired, dossier 4 none
        docs = {d.dossier_code: d for d in s.query(Document).filter(Document.agency_id == DEPT)}
        codes = sorted(docs)
        for i, (status, expires) in enumerate([("valid", None), ("revoked", None), ("valid", date(2026, 11, 30))]):
            r = Result(id=f"r{i}", document_id=docs[codes[i]].id, holder_id="001204012345", holder_kind="personal_id",
                       doc_type="giay_phep", dossier_code=codes[i], status=status, expires=expires,
                       verify_code=f"CODE{i}", created_at=_at(2026, 11, 20))
            s.add(r)
        s.add(OutboxMessage(destination="portal", idempotency_key="result:r0:v1", payload={}, state="sent"))
        s.add(OutboxMessage(destination="portal", idempotency_key="result:r1:v1", payload={}, state="dead"))
        # signatures in December: two documents signed personally, one also by the agency; one certified copy
        a, b = _doc(s, DEPT), _doc(s, DEPT)
        for doc, kinds in ((a, ("personal", "agency")), (b, ("personal",))):
            for n, kind in enumerate(kinds, start=2):
                s.add(DocumentVersion(document_id=doc.id, number=n, kind=kind, pdf_sha256="v" * 64, created_at=_at(2026, 12, 2)))
        s.add(CertifiedCopy(document_id=b.id, form="SAO Y", agency="Sở", year=2026, number=1, notation="01/SY-S",
                            pdf_sha256="c" * 64, created_at=_at(2026, 12, 3)))
        s.commit()

    with rt.catalog.session() as s:
        agencies = dashboard.agencies_under(s, PROVINCE)
    assert agencies == [PROVINCE, DEPT]
    rows = dashboard.report(rt, agencies, date(2026, 11, 1), date(2026, 12, 1), today=date(2026, 12, 15))
    by = {(r.agency_id, r.month): r for r in rows}
    nov, dec = by[(DEPT, "2026-11")], by[(DEPT, "2026-12")]
    ratio = lambda r, m: (r.ratios[m].done, r.ratios[m].total)  # noqa: E731
    assert ratio(nov, "dossiers") == (3, 4)
    assert ratio(nov, "results") == (1, 4)  # only dossier 1's result is still valid on 15/12
    assert ratio(nov, "on_time") == (2, 4)  # settled 15/11 and 18/11 by the 20th; 21/11 and 24/11 late
    assert ratio(nov, "portal") == (1, 3)
    assert ratio(dec, "signed") == (2, 3)  # a: personal + agency; b: personal only; the copy
    assert nov.met("dossiers") and not nov.met("results") and nov.ratios["signed"].share is None and nov.met("signed") is None
    assert ratio(by[(PROVINCE, "2026-11")], "dossiers") == (0, 0)
    total = dashboard.totals(rows)
    assert (total["dossiers"].done, total["dossiers"].total) == (3, 4)
    csv = dashboard.to_csv(rows).splitlines()
    assert csv[0].startswith("agency_id,month,dossiers_done,dossiers_total,dossiers_share")
    assert f"{DEPT},2026-11,3,4,0.7500" in csv[3]
