"""Gazetteers of the extractor (ingest/data/): provinces, districts and communes, agency names, symbol parts.

OCR drops and swaps tone marks, so names are looked up by their folded spelling and come back as the
gazetteer spells them (``Long Xuyen`` → ``Long Xuyên``); a name that folds like several (``Bình Thạnh`` /
``Bình Thành``) takes the one nearest to what was read; a folded spelling one letter off a known name is
corrected too, for names long enough that this is not a guess. A name no gazetteer knows stays as read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ingest.extract_base import clean
from storage.text import fold, nfc

DATA = Path(__file__).parent / "data"


def read_list(name: str) -> list[str]:
    rows = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [nfc(r.strip()) for r in rows if r.strip() and not r.startswith("#")]


def _read_rows(name: str) -> list[list[str]]:
    return [r.split("\t") for r in read_list(name)]


def _distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, giving up past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


class Names:
    """Names by folded spelling, with a one-deletion index for near misses."""

    def __init__(self, names: list[str]):
        self.by_key: dict[str, list[str]] = {}
        for n in names:
            variants = self.by_key.setdefault(fold(n), [])
            if n not in variants:
                variants.append(n)
        self._deletions: dict[str, set[str]] | None = None
        self._cache: dict[tuple[str, bool], str | None] = {}

    def _index(self) -> dict[str, set[str]]:
        if self._deletions is None:
            idx: dict[str, set[str]] = {}
            for k in self.by_key:
                if len(k) >= 5:
                    for i in range(len(k)):
                        idx.setdefault(k[:i] + k[i + 1:], set()).add(k)
            self._deletions = idx
        return self._deletions

    def lookup(self, text: str, fuzzy: bool = True) -> str | None:
        hit = self._cache.get((text, fuzzy), 0)
        if hit != 0:
            return hit
        if len(self._cache) > 50000:
            self._cache.clear()
        hit = self._lookup(text, fuzzy)
        self._cache[(text, fuzzy)] = hit
        return hit

    def _lookup(self, text: str, fuzzy: bool) -> str | None:
        text = clean(text)
        key = fold(text)
        variants = self.by_key.get(key)
        if not variants and fuzzy and len(key) >= 6:
            idx = self._index()
            near = set(idx.get(key, ())) | (({key[:i] + key[i + 1:] for i in range(len(key))} & self.by_key.keys()))
            for i in range(len(key)):
                near |= idx.get(key[:i] + key[i + 1:], set())
            near = {k for k in near if _distance(k, key, 1) <= 1}
            if len(near) == 1:
                variants = self.by_key[near.pop()]
        if not variants:
            return None
        if len(variants) == 1:
            return variants[0]
        low = text.lower()
        return min(variants, key=lambda v: _distance(v.lower(), low, 10))


@lru_cache(maxsize=None)
def provinces() -> Names:
    return Names(read_list("provinces.txt"))


@lru_cache(maxsize=None)
def districts() -> Names:
    return Names([r[2] for r in _read_rows("districts.txt") if len(r) >= 3])


@lru_cache(maxsize=None)
def communes() -> Names:
    return Names([r[3] for r in _read_rows("communes.txt") if len(r) >= 4])


_UNIT_TYPES = {  # folded type → (as printed in running text, tables to look the name up in)
    "tinh": ("tỉnh", ("p",)), "thanh pho": ("thành phố", ("p", "d")), "tp": ("TP.", ("p", "d")), "huyen": ("huyện", ("d",)),
    "quan": ("quận", ("d",)), "thi xa": ("thị xã", ("d",)), "xa": ("xã", ("c",)), "phuong": ("phường", ("c",)),
    "thi tran": ("thị trấn", ("c",)),
}
UNIT = re.compile(r"^(tinh|thanh pho|tp\.?|huyen|quan|thi xa|thi tran|xa|phuong)\s+(.+)$")


def snap_name(text: str, tables: tuple[str, ...] = ("p", "d", "c")) -> tuple[str, bool]:
    """A unit's name (without its type) as the gazetteers spell it."""
    text = clean(text).strip(" ,.;:")
    if not text or text.isdigit():
        return text, bool(text)
    for fuzzy in (False, True):  # an exact spelling anywhere beats a near one
        for t in tables:
            hit = {"p": provinces, "d": districts, "c": communes}[t]().lookup(text, fuzzy)
            if hit:
                return hit, True
    return text, False


def snap_place(text: str) -> tuple[str, bool]:
    """The place of issue as printed, its name spelled as the gazetteer spells it: ``Long Xuyên``,
    ``TP. Hồ Chí Minh``, ``Thành phố Hồ Chí Minh``, ``Phường 5``."""
    text = clean(text).strip(" ,.;:-")
    key = fold(text)
    whole = provinces().lookup(text, fuzzy=False)  # "Thành phố Hồ Chí Minh" is a name of its own
    if whole:
        return whole, True
    m = UNIT.match(key)
    if m:
        typ = m.group(1).rstrip(".")
        printed, tables = _UNIT_TYPES[typ]
        prefix_len = len(text) - len(text[len(m.group(1)):].lstrip(" ."))
        name, ok = snap_name(text[prefix_len:], tables)
        if typ in ("tp", "thanh pho") and not ok:  # TP. Hồ Chí Minh: a centrally-run city named with its "Thành phố"
            city = provinces().lookup("Thành phố " + text[prefix_len:])
            if city and city.startswith("Thành phố "):
                name, ok = city[len("Thành phố "):], True
        if typ == "tinh":  # a province is named without its "tỉnh"
            return name, ok
        prefix = "TP." if typ == "tp" else printed[:1].upper() + printed[1:]
        return f"{prefix} {name}", ok
    return snap_name(text)


def snap_unit(text: str) -> tuple[str, bool]:
    """An administrative unit in capitals as in an agency block: ``TỈNH AN GIANG``, ``HUYỆN CHÂU THÀNH``."""
    text = clean(text)
    m = UNIT.match(fold(text))
    if not m:
        return text, False
    typ = m.group(1).rstrip(".")
    printed, tables = _UNIT_TYPES[typ]
    if typ == "thanh pho":
        whole = provinces().lookup("Thành phố " + text.split(None, 2)[-1], fuzzy=False)
        if whole and whole.startswith("Thành phố"):
            return whole.upper(), True
    rest = text.split(None, 2 if " " in printed and typ != "tp" else 1)[-1]
    name, ok = snap_name(rest, tables)
    return f"{printed.upper() if typ != 'tp' else 'TP.'} {name.upper()}", ok


@lru_cache(maxsize=None)
def agency_names() -> list[tuple[list[str], str]]:
    """(folded words, printed name), longest first."""
    rows = [(fold(a).split(), a) for a in read_list("agencies.txt")]
    return sorted(rows, key=lambda r: -len(r[0]))


def _words_match(got: list[str], want: list[str]) -> bool:
    if len(got) < len(want):
        return False
    for g, w in zip(got, want):
        if g != w and not (len(w) >= 4 and _distance(g, w, 1) <= 1):
            return False
    return True


def snap_agency(text: str) -> tuple[str, bool]:
    """An agency name in capitals, corrected against the gazetteer (its unit too): ``UY BAN NHAN DAN TINH
    KHANH HOA`` → ``ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA``. Unknown names stay as read."""
    text = clean(text)
    words = fold(text).replace(" - ", " - ").split()
    raw_words = text.split()
    for want, printed in agency_names():
        if not _words_match(words, want):
            continue
        rest_raw = " ".join(raw_words[len(want):]) if len(raw_words) == len(words) else ""
        if len(words) == len(want):
            return printed, True
        if rest_raw:
            unit, ok = snap_unit(rest_raw)
            if ok:
                return f"{printed} {unit}", True
            if UNIT.match(fold(rest_raw)) is None:
                name, ok = snap_name(rest_raw, ("p",))  # "BẢO HIỂM XÃ HỘI AN GIANG"
                if ok:
                    return f"{printed} {name.upper()}", True
        break
    unit, ok = snap_unit(text)
    if ok:
        return unit, True
    return text, False


@lru_cache(maxsize=None)
def symbol_parts() -> dict[str, str]:
    """Parts of a number's symbol as printed (QĐ, HĐND, SKHĐT, TTr), by folded spelling; parts that fold alike
    (HD Hướng dẫn / HĐ Hợp đồng) are left out: OCR's reading of those stays."""
    by: dict[str, set[str]] = {}
    for s in read_list("symbols.txt"):
        by.setdefault(fold(s), set()).add(s)
    return {k: next(iter(v)) for k, v in by.items() if len(v) == 1}


def snap_symbol_part(part: str) -> str | None:
    """A part of a symbol or a unit's code (QĐ, HĐND, KGVX) as printed, from OCR's reading of it: the same letters
    folded, a doubled letter (QĐÐ, HĐĐĐND), or one look-alike confusion away; None when nothing known is that close."""
    known = symbol_parts()
    key = fold(part)
    hit = known.get(key)
    if not hit and re.search(r"(.)\1", key):
        hit = known.get(re.sub(r"(.)\1+", r"\1", key))
    return hit or _one_confusion_away(key, known)


# letters OCR takes for one another in a symbol's capitals; an edit outside these is a different symbol
_LOOKALIKE = [set("il1tj|!"), set("o0dq"), set("cge"), set("s5"), set("b8"), set("z2")]
_STROKES = set("il1|!")  # a stray vertical stroke read as a letter


def _one_confusion_away(part: str, known: dict[str, str]) -> str | None:
    """The one known symbol part that ``part`` becomes by undoing a single OCR confusion (STNMT read SITNMT,
    TTr read TIr, TTPVHCC read TTPVHGC). Parts of fewer than three letters, or with several such neighbours,
    stay as read: an unknown agency's abbreviation must not be rewritten into a known one."""
    if len(part) < 3:
        return None
    hits = set()
    for key, printed in known.items():
        if len(key) == len(part):
            diff = [(a, b) for a, b in zip(part, key) if a != b]
            if len(diff) == 1 and any(diff[0][0] in g and diff[0][1] in g for g in _LOOKALIKE):
                hits.add(printed)
        elif len(key) == len(part) - 1:
            for i, ch in enumerate(part):
                if ch in _STROKES and part[:i] + part[i + 1:] == key:
                    hits.add(printed)
    return hits.pop() if len(hits) == 1 else None
