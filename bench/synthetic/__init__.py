"""Synthetic scans of Vietnamese administrative documents and dossiers, with ground truth.

Deterministic for a given seed (same seed, same bytes), fast, and deliberately varied — every document type of
``ingest/doctypes.py`` with several wordings and layouts each, fonts, sizes, margins, agency hierarchies,
signature blocks, seals, QR codes, paper, lighting, noise, skew and rotation — so tests and benches exercise the
pipeline rather than one template. Never tune the pipeline to it alone.

    python -m bench.synthetic OUT_DIR [--count N] [--tier clean|office|hard|mixed] [--seed S] [--format jpg]
                                      [--feeds N] [--duplex]

Kinds
    ``KINDS`` holds every doctype code: the 29 Decree 30 types (``nghi_quyet`` ... ``phieu_bao``, ``cong_van``,
    ``thu_cong``), the copy forms ``sao_y``, ``trich_sao``, ``sao_luc`` (the copied document with the copying
    agency's copy form after it, or on a sheet of its own as the last page) and the citizen-side papers
    ``don_de_nghi``, ``to_khai``, ``giay_chung_nhan``, ``giay_phep``, ``can_cuoc`` (a grey photocopy of an ID card
    at 100 % on A4) and ``khac`` (a letter in English, a price list, a fee receipt, a dossier receipt, plain prose,
    a site plan). ``generate_page`` also takes ``"blank"`` and ``"separator"``. Content depends on the seed and
    the kind only: the same seed gives the same document in every tier and at every resolution.

Truth
    ``page.meta`` holds the truth of the document the page belongs to, under the extractor's field names
    (ingest/extract.py), with the value a clerk would type; a key is present only when the document prints it.
    ``page.fields`` is that subset alone.

    ``type``               doctype code (``"blank"``/``"separator"`` for those sheets)
    ``number_symbol``      ``12/QĐ-UBND``, ``245/UBND-KGVX``, ``05/2024/NQ-HĐND``; numbers below 10 with a leading zero
    ``issue_date``         ISO date of the place-and-date line (citizen forms: the date above the signature;
                           contracts without a header: the "Hôm nay, ngày ..." date)
    ``place``              the place before that date, as printed (``Long Xuyên``, ``Cà Mau``, ``Quận 1``)
    ``agency``             the issuing agency: ``ỦY BAN NHÂN DÂN TỈNH CÀ MAU`` when printed on two lines, the child
                           ``SỞ TƯ PHÁP`` under a printed parent; a wrapped name joined with single spaces
    ``parent_agency``      the parent printed above it (``UBND TỈNH CÀ MAU``, ``SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH AN GIANG``)
    ``subject``            the trích yếu as printed (case kept, lines joined) without ``V/v ``/``Về việc ``
    ``signing_authority``  ``KT.``/``TM.``/``TL.``/``TUQ.``; with two authority lines (``TM. ỦY BAN NHÂN DÂN`` /
                           ``KT. CHỦ TỊCH``) the one nearest the position
    ``signer_position``    ``PHÓ CHỦ TỊCH``; the authority line itself when it is the position (``GIÁM ĐỐC``)
    ``signer_name``        Title Case, without a rank (``Đại tá``) printed before it
    ``recipients``         the Nơi nhận items joined by ``"; "``, without ``- `` and the final ``;``/``.``
    ``full_name``          citizen papers: the applicant / holder, Title Case
    ``date_of_birth``      ISO; only when the full date is printed
    ``personal_id``        12 digits, valid: province code (``PROVINCE_CODES`` of ingest/extract.py), century and
                           gender digit (0/1 1900s, 2/3 2000s), birth year, 6 digits
    ``address``            the permanent address as printed
    ``certificate_number`` certificates and permits: Mã số hộ kinh doanh / doanh nghiệp, the permit's number, the
                           land certificate's serial
    ``certificate_date``   ISO: Đăng ký lần đầu, cấp ngày, the permit's date

    Documents with two equal signature columns (hợp đồng, bản ghi nhớ, bản thỏa thuận, biên bản) carry no signer
    keys; both columns are in ``meta["signers"]``. A copy's fields are those of its copy form (copying agency,
    its number and date, its signer and recipients; no subject); the copied document's are in
    ``meta["original"]``. ``khac`` pages carry ``type`` and, when they have a Decree 30 header (dossier receipts),
    its agency, place and date. Pages printing a QR code that is not a separator have ``meta["qr"]`` = its payload.
    Separator sheets: ``{"type": "separator", "code": payload}``. Kept from the first version of this module:
    ``number`` (= number_symbol or None), ``signer``, ``citizen``, ``authority``, ``province``, ``issuer``,
    ``doc_type``, ``day``/``month``/``year``, ``font``, ``seed``, ``body_pt``, ``page``, ``pages``, ``has_seal``,
    ``has_signature``.

Seeds
    ``TRAINING_SEEDS`` and ``BENCH_SEEDS`` are far-apart ranges: train (or tune) on the first, bench on the second,
    never the other way round. Documents inside feeds get seeds derived from the feed's seed in a third range.
    The generator's vocabulary and templates are shared by all seeds, so a model trained here and benched here is
    measured in distribution: real scans remain the only test of generalisation.

Feeds
    ``generate_feed`` builds a scanner batch of documents with blank backs and separator sheets and its split
    truth (see :class:`Feed` for the page numbering, in particular with ``duplex=True``); ``write_feed`` writes
    it as a multi-page PDF or TIFF with ``<stem>.truth.json`` beside it.

Fast paths
    ``document_text(seed, kind, tier)`` and ``document_truth`` lay a document out on the 300 dpi grid with the
    real font metrics but draw no pixel; ``iter_document_texts`` streams a text corpus; ``iter_documents``
    streams rendered documents, cycling over kinds and tiers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .canvas import FAMILIES, available_families
from .core import (ADMIN_KINDS, CITIZEN_KINDS, COPY_KINDS, KINDS, PAGE_KINDS, TIERS, TRUTH_KEYS, SyntheticPage, document_text, document_truth,
                   generate_document, generate_page, make_demo_batch, pick_kind, tier_pages, write_scan, write_truth)
from .feed import (BENCH_SEEDS, PATCH_T, TRAINING_SEEDS, Feed, collate_duplex, generate_feed, generate_separator, iter_document_texts,
                   iter_documents, write_feed)

__all__ = ["ADMIN_KINDS", "BENCH_SEEDS", "CITIZEN_KINDS", "COPY_KINDS", "FAMILIES", "Feed", "KINDS", "PAGE_KINDS", "PATCH_T", "TIERS",
           "TRAINING_SEEDS", "TRUTH_KEYS", "SyntheticPage", "available_families", "collate_duplex", "document_text", "document_truth",
           "generate_document", "generate_feed", "generate_page", "generate_separator", "iter_document_texts", "iter_documents",
           "make_demo_batch", "main", "pick_kind", "tier_pages", "write_feed", "write_scan", "write_truth"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=6)
    ap.add_argument("--tier", default="mixed", choices=[*TIERS, "mixed"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default=None, choices=["jpg", "png", "tif", "pdf"])
    ap.add_argument("--feeds", type=int, default=0, help="also write N scanner feeds (PDF + truth JSON)")
    ap.add_argument("--duplex", action="store_true", help="feeds of a double-sided stack scanned in two simplex passes")
    args = ap.parse_args(argv)
    if args.tier == "mixed" and args.format is None:
        paths = make_demo_batch(args.out, args.count, args.seed)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(args.count):
            tier = args.tier if args.tier != "mixed" else TIERS[i % 3]
            page = generate_page(args.seed + i, tier=tier)
            path = write_scan([page], args.out / f"{i + 1:03d}-{tier}-{page.kind}.{args.format or 'jpg'}")
            write_truth([page], path)
            paths.append(path)
    for i in range(args.feeds):
        tier = args.tier if args.tier != "mixed" else TIERS[i % 3]
        feed = generate_feed(args.seed + i, tier, duplex=args.duplex)
        paths.append(write_feed(feed, args.out / f"feed-{i + 1:02d}-{tier}{'-duplex' if args.duplex else ''}.{'pdf' if args.format != 'tif' else 'tif'}")[0])
    print(f"wrote {len(paths)} scans to {args.out}")
    return 0
