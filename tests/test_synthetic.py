"""The scan generator: deterministic, varied, every document type with its truth, separators, scanner feeds."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from datetime import date

import numpy as np
import pikepdf
import pytest
import zxingcpp
from PIL import Image

from bench.synthetic import (BENCH_SEEDS, KINDS, PATCH_T, TRAINING_SEEDS, TRUTH_KEYS, collate_duplex, document_text, document_truth,
                             generate_document, generate_feed, generate_page, generate_separator, iter_document_texts, iter_documents,
                             make_demo_batch, write_feed, write_scan)
from bench.synthetic.core import lay_out
from bench.synthetic.vocab import ID_PROVINCE_CODES
from ingest.doctypes import BY_CODE
from ingest.extract import PROVINCE_CODES, check_personal_id

CITIZEN_ID_KINDS = ("don_de_nghi", "to_khai", "giay_chung_nhan", "can_cuoc")
DOSSIER = re.compile(r"^(?P<agency>[0-9A-Z]+(?:\.[0-9A-Z]+)*)-(?P<d>\d{6})-(?P<n>\d{4})$")


def digest(img: Image.Image) -> str:
    return hashlib.sha256(img.tobytes()).hexdigest()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_same_seed_same_pixels_and_truth():
    a, b = generate_page(3, "office", dpi=150), generate_page(3, "office", dpi=150)
    assert digest(a.image) == digest(b.image) and a.truth_text == b.truth_text and a.meta == b.meta
    assert digest(generate_page(4, "office", dpi=150).image) != digest(a.image)
    f1, f2 = generate_feed(5, "hard", documents=2, dpi=40), generate_feed(5, "hard", documents=2, dpi=40)
    assert [digest(p.image) for p in f1.pages] == [digest(p.image) for p in f2.pages] and f1.as_json() == f2.as_json()


def test_tiers_and_kinds_vary():
    pages = [generate_page(s, tier, dpi=60) for s in range(6) for tier in ("clean", "hard")]
    assert len({p.meta["font"] for p in pages}) >= 2
    assert len({p.kind for p in pages}) >= 3
    clean = [p for p in pages if p.tier == "clean"]
    assert all(abs(p.skew_deg) <= 0.3 and p.rotation == 0 for p in clean)


def test_kinds_are_the_doctype_table():
    assert set(KINDS) == set(BY_CODE) and len(KINDS) == len(BY_CODE)
    assert set(ID_PROVINCE_CODES.values()) <= PROVINCE_CODES


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_with_nfc_truth_and_its_type(kind):
    page = generate_page(21, "clean", kind, dpi=60)
    assert page.meta["type"] == kind and page.kind == kind and page.fields["type"] == kind
    assert page.truth_text and page.truth_text == unicodedata.normalize("NFC", page.truth_text)
    lines = page.truth_text.splitlines()
    assert all(line == " ".join(line.split()) for line in lines)
    assert set(page.fields) <= set(TRUTH_KEYS)
    assert all(isinstance(v, str) and v == unicodedata.normalize("NFC", v) for v in page.fields.values())
    title = BY_CODE[kind].title
    if title and kind not in ("can_cuoc", "khac"):
        assert any(line.startswith(title) for line in lines), (title, lines[:12])
    if "number_symbol" in page.fields and "agency" in page.fields and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines:
        motto = lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")  # the agency block and its number come first
        assert any(line.startswith("Số:") for line in lines[:motto])
    if "recipients" in page.fields:
        assert "Nơi nhận:" in lines


@pytest.mark.parametrize("kind", KINDS)
def test_truth_fields_are_what_the_page_prints(kind):
    for seed in range(6):
        _doc, layouts, t = lay_out(seed, kind)
        text = "\n".join(c.truth() for c in layouts)
        joined, nospace = flat(text), re.sub(r"\s", "", text)
        assert t["type"] == kind
        for key in ("place", "signer_name", "signer_position", "certificate_number", "address", "subject", "parent_agency", "agency"):
            if key in t:
                assert t[key] in joined or t[key].upper() in joined.upper(), (seed, key, t[key])
        if "number_symbol" in t:
            assert t["number_symbol"] in nospace and re.match(r"^(0[1-9]|[1-9]\d+)/", t["number_symbol"]), t["number_symbol"]
        for item in t.get("recipients", "").split("; ") if "recipients" in t else []:
            assert item in joined and not item.startswith("-") and not item.endswith((";", ".")), item
        for key in ("issue_date", "date_of_birth", "certificate_date"):
            if key in t:
                date.fromisoformat(t[key])
        if "signing_authority" in t:
            assert t["signing_authority"] in ("KT.", "TM.", "TL.", "TUQ.") and t["signing_authority"] in joined
        if "full_name" in t:
            assert t["full_name"] == t["full_name"].title() or all(w[:1].isupper() for w in t["full_name"].split())
            assert t["full_name"].upper() in joined.upper()


def test_copies_carry_the_copy_form_and_the_original():
    for kind, abbr in (("sao_y", "SY"), ("trich_sao", "TrS"), ("sao_luc", "SL")):
        page = generate_page(2, "clean", kind, dpi=60)
        assert f"/{abbr}-" in page.fields["number_symbol"] and "subject" not in page.fields
        assert page.meta["original"]["type"] in BY_CODE and page.meta["original"]["number_symbol"] != page.fields["number_symbol"]
        assert any(line.startswith(BY_CODE[kind].title) for line in page.truth_text.splitlines())


@pytest.mark.parametrize("kind", CITIZEN_ID_KINDS)
def test_personal_ids_are_valid_and_match_the_birth_date(kind):
    seen = 0
    for seed in range(30):
        t = document_truth(seed, kind)
        pid = t.get("personal_id")
        if not pid:
            continue
        seen += 1
        assert re.fullmatch(r"\d{12}", pid) and int(pid[:3]) in PROVINCE_CODES
        birth = date.fromisoformat(t["date_of_birth"]) if "date_of_birth" in t else None
        assert check_personal_id(pid, birth) == (pid, None), (seed, pid, birth)
        if birth:
            assert int(pid[3]) // 2 == (0 if birth.year < 2000 else 1) and pid[4:6] == f"{birth.year % 100:02d}"
    assert seen >= 10


def test_content_does_not_depend_on_tier_or_resolution_and_text_needs_no_pixels():
    for kind in ("quyet_dinh", "cong_van", "to_khai", "can_cuoc", "sao_y", "khac"):
        a = generate_page(9, "clean", kind, dpi=60)
        b = generate_page(9, "hard", kind, dpi=100)
        assert a.truth_text == b.truth_text == document_text(9, kind, "office") and a.fields == b.fields
    doc = generate_document(4, "office", pages=3, dpi=40, kind="ke_hoach")
    assert "\f".join(p.truth_text for p in doc) == document_text(4, "ke_hoach", pages=3)


def test_rotation_swaps_dimensions_and_blank_has_no_truth():
    rotated = next(p for s in range(40) if (p := generate_page(s, "hard", "thong_bao", dpi=60)).rotation in (90, 270))
    assert rotated.image.width > rotated.image.height
    blank = generate_page(1, "office", "blank", dpi=100)
    assert blank.truth_text == "" and blank.kind == "blank" and blank.meta["type"] == "blank"


def test_documents_number_their_continuation_pages():
    doc = generate_document(5, "clean", pages=3, dpi=60)
    assert [p.meta["page"] for p in doc] == [1, 2, 3] and len({p.meta["type"] for p in doc}) == 1
    assert doc[1].truth_text.splitlines()[0] == "2" and doc[1].kind == "continuation"
    with pytest.raises(ValueError):
        generate_document(5, "clean", pages=3, dpi=60, kind="giay_moi")  # a short type has at most two pages


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".pdf"])
def test_formats_round_trip_at_100_percent_scale(tmp_path, suffix):
    pages = generate_document(8, "clean", pages=2, dpi=200) if suffix in (".tif", ".pdf") else [generate_page(8, "clean", dpi=200)]
    path = write_scan(pages, tmp_path / f"scan{suffix}")
    if suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) == 2
            box = pdf.pages[0].mediabox
            assert abs(float(box[2]) - pages[0].image.width / 200 * 72) < 0.5
    else:
        with Image.open(path) as im:
            assert getattr(im, "n_frames", 1) == len(pages)
            assert round(im.info["dpi"][0]) == 200


def test_demo_batch_writes_scans_and_truth(tmp_path):
    paths = make_demo_batch(tmp_path, count=4)
    assert len(paths) == 4 and all(p.exists() for p in paths)
    assert all((tmp_path / "truth" / (p.stem + ".txt")).exists() for p in paths)


def _decoded(page) -> set[str]:
    return {r.text for r in zxingcpp.read_barcodes(np.asarray(page.image))}


def test_separator_codes_decode_on_clean_sheets():
    saw_barcode = saw_patch = saw_dossier = False
    for seed in range(8):
        sep = generate_separator(seed, "clean", dpi=200)  # the least Decree 30 allows
        code = sep.meta["code"]
        assert sep.kind == "separator" and sep.meta["type"] == "separator"
        assert code in _decoded(sep), (seed, sep.meta)
        if code == PATCH_T:
            saw_patch = True
        else:
            m = DOSSIER.match(code)
            assert m and len(m["agency"]) <= 35 and 1 <= int(m["n"]) <= 9999, code
            date(2000 + int(m["d"][:2]), int(m["d"][2:4]), int(m["d"][4:]))
            saw_dossier = True
        if sep.meta["barcode"]:
            saw_barcode = True
            formats = {r.format for r in zxingcpp.read_barcodes(np.asarray(sep.image))}
            assert zxingcpp.BarcodeFormat.Code128 in formats
    given = generate_separator(99, "clean", "000.00.12.H01-240315-0042", dpi=150)
    assert given.meta["code"] == "000.00.12.H01-240315-0042" in _decoded(given)
    assert saw_dossier and (saw_patch or saw_barcode)


def test_a_qr_on_a_document_is_not_a_separator():
    for kind in ("giay_chung_nhan", "quyet_dinh"):
        page = generate_page(3, "clean", kind, dpi=200, qr=True)
        assert page.meta["type"] == kind and page.meta["qr"] in _decoded(page)
    assert "qr" not in generate_page(3, "clean", "giay_chung_nhan", dpi=60, qr=False).meta


def _check_feed(feed):
    collated = feed.collated()
    numbers = [n for d in feed.truth for n in d["pages"]]
    assert len(numbers) == len(set(numbers))  # every document page exactly once
    others = set(feed.blank_pages) | set(feed.separator_pages)
    assert not set(numbers) & others and set(numbers) | others == set(range(1, len(collated) + 1))
    assert all(collated[n - 1].kind == "blank" for n in feed.blank_pages)
    dossier = None
    for d in feed.truth:  # a dossier runs from its separator to the next dossier separator
        first = d["pages"][0]
        for s in feed.separators:
            if s["page"] < first and s["code"] not in (None, PATCH_T):
                dossier = s["code"]
        assert d["dossier"] == dossier
        pages = [collated[n - 1] for n in d["pages"]]
        assert pages[0].kind == d["type"] and [p.meta["page"] for p in pages] == list(range(1, len(pages) + 1))
        assert 1 <= len(pages) <= 4 and d["fields"]["type"] == d["type"]
    for s in feed.separators:
        sheet = collated[s["page"] - 1]
        assert (sheet.kind == "separator" and sheet.meta["code"] == s["code"]) or (s["code"] is None and sheet.kind == "blank")


@pytest.mark.parametrize("separators", ["mixed", "qr", "blank", "none"])
def test_feeds_truth_covers_every_page_once(separators):
    feed = generate_feed(11, "office", documents=(3, 6), dpi=30, separators=separators)
    _check_feed(feed)
    assert feed.order == list(range(len(feed.pages)))
    if separators == "none":
        assert not feed.separator_pages
    if separators == "qr":
        assert len(feed.separators) == len(feed.truth) and feed.truth[0]["dossier"]


def test_duplex_feed_is_fronts_then_backs_reversed():
    feed = generate_feed(12, "office", documents=6, dpi=30, separators="mixed", duplex=True)
    _check_feed(feed)
    n = len(feed.pages)
    assert n % 2 == 0
    collated = feed.collated()
    assert collate_duplex(feed.pages) == collated
    for k in range(n // 2):  # sheet k: its front is k-th in the feed, its back (2n - k)-th
        assert collated[2 * k] is feed.pages[k] and collated[2 * k + 1] is feed.pages[n - 1 - k]
    assert all(p % 2 == 1 for d in feed.truth if not d["double_sided"] for p in d["pages"])  # single-sided: fronts only
    assert any(d["double_sided"] for d in feed.truth) or all(len(d["pages"]) == 1 for d in feed.truth)


def test_write_feed(tmp_path):
    feed = generate_feed(13, "clean", documents=2, dpi=30, duplex=True)
    scan, truth = write_feed(feed, tmp_path / "feed.pdf")
    data = json.loads(truth.read_text(encoding="utf-8"))
    with pikepdf.open(scan) as pdf:
        assert len(pdf.pages) == data["page_count"] == len(feed.pages)
    assert data["duplex"] and sorted(data["order"]) == list(range(1, len(feed.pages) + 1))
    assert [d["pages"] for d in data["documents"]] == [d["pages"] for d in feed.truth]


def test_corpora_cycle_over_kinds_and_keep_bench_seeds_apart():
    texts = list(iter_document_texts(range(len(KINDS) + 3), kinds=None, pages=1))
    assert Counter(t["type"] for _text, t in texts) == {k: 1 + (i < 3) for i, k in enumerate(KINDS)}
    assert all(text for text, _t in texts)
    docs = list(iter_documents(range(6), ("clean", "hard"), kinds=("cong_van", "separator", "can_cuoc"), dpi=30))
    assert [t["type"] for _p, t in docs] == ["cong_van", "separator", "can_cuoc"] * 2
    assert {t["tier"] for _p, t in docs} == {"clean", "hard"}
    assert all(pages[0].meta["type"] == t["type"] for pages, t in docs)
    assert TRAINING_SEEDS.stop <= BENCH_SEEDS.start or BENCH_SEEDS.stop <= TRAINING_SEEDS.start
    assert BENCH_SEEDS.start - TRAINING_SEEDS.stop > 10**8
