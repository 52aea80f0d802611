"""Reuse: dossiers received without gaps, results registered to their holder, reused by reference."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from ingest import receipt
from ingest.runtime import Runtime
from ingest.settings import Settings
from storage.catalog import Dossier

AGENCY = "000.00.12.H01"


def _rt(tmp_path, url: str | None = None) -> Runtime:
    return Runtime(Settings(data_dir=tmp_path / "var", database_url=url or ""))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_200_dossiers_from_8_threads_get_unique_gapless_codes(tmp_path, backend, request):
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    rt = _rt(tmp_path, url)
    try:
        receipt.add_agency(rt, AGENCY, "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm")
        day = date(2026, 12, 1)
        codes, errors = [], []
        lock = threading.Lock()

        def clerk(n: int) -> None:
            for i in range(25):
                try:
                    row = receipt.receive(rt, AGENCY, procedure="Cấp giấy phép xây dựng", holder_id="001204012345",
                                          holder_name="Trần Thị Bình", days=15, on=day)
                    with lock:
                        codes.append(row.code)
                except Exception as exc:  # noqa: BLE001 - the test reports every failure
                    with lock:
                        errors.append(repr(exc))

        threads = [threading.Thread(target=clerk, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        assert len(codes) == 200 == len(set(codes))
        numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
        assert numbers == list(range(1, 201))  # no gap
        assert all(c.startswith(f"{AGENCY}-261201-") for c in codes)
        with rt.catalog.session() as s:
            assert s.query(Dossier).filter(Dossier.agency_id == AGENCY).count() == 200
    finally:
        rt.close()


def test_receipt_errors_and_sheet_codes(tmp_path):
    rt = _rt(tmp_path)
    try:
        with pytest.raises(receipt.ReceiptError, match="not known"):
            receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345")
        receipt.add_agency(rt, AGENCY, "Trung tâm")
        for bad in ("12345", "00120401234X", "999204012345", ""):
            with pytest.raises(receipt.ReceiptError):
                receipt.receive(rt, AGENCY, procedure="x", holder_id=bad)
        assert receipt.holder_kind("0101234567-001") == ("0101234567001", "tax_code")
        day = date(2026, 12, 2)
        with rt.catalog.session() as s:  # a separator sheet already named the day's first code
            s.add(Dossier(code=f"{AGENCY}-261202-0001", agency_id=AGENCY, received=day, sequence=1))
            s.commit()
        row = receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345", on=day)
        assert row.code.endswith("-0002")
        with pytest.raises(receipt.ReceiptError, match="before"):
            receipt.receive(rt, AGENCY, procedure="x", holder_id="001204012345", on=day, due=date(2026, 11, 1))
    finally:
        rt.close()
