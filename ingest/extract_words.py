"""Tone marks OCR changed, put back from word lists (ingest/data/words.txt, names.txt).

Tesseract often reads one tone mark for another (ể/ế, ổ/ố, ầ/â). A word of several syllables spelled as OCR
read it but unknown, while a known word folds the same (``tập thế`` / ``tập thể``), is taken to be that word;
words spelled as some known word are left alone, and so are capitalised names inside running text (a place,
a person) and anything with digits. Personal names are put right syllable by syllable against lists of
surnames and of middle and given names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ingest.extract_places import _distance, read_list
from storage.text import fold


@lru_cache(maxsize=None)
def _words() -> tuple[dict[str, list[str]], set[str]]:
    by: dict[str, list[str]] = {}
    known: set[str] = set()
    for w in read_list("words.txt") + read_list("terms.txt"):
        by.setdefault(fold(w), []).append(w)
        known.add(w)
    return by, known


@lru_cache(maxsize=None)
def _names() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {"surnames": {}, "given": {}}
    current = "given"
    for row in read_list("names.txt"):
        m = re.match(r"^\[(\w+)\]$", row)
        if m:
            current = m.group(1)
            continue
        if " " in row:
            continue
        variants = sections.setdefault(current, {}).setdefault(fold(row), [])
        if row not in variants:
            variants.append(row)
    return sections


def _cased(like: str, word: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def _toneless(word: str) -> str:
    """The word without its tone mark, its vowels' other marks kept (ư, ơ, â, ê, ô, ă)."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word.lower()) if c not in _TONES))


def _nearest(got: str, variants: list[str]) -> str | None:
    """The variant nearest to what OCR read; on a tie the first (the more frequent) one."""
    best = min(variants, key=lambda v: (_distance(v.lower(), got.lower(), 10), variants.index(v)))
    return best


_DATE_WORD = {"nam": "năm", "thang": "tháng", "ngay": "ngày"}


def _date_words(text: str) -> str:
    """"nắm 2020" is "năm 2020", "thang 5" is "tháng 5": date words before their number (not "Việt Nam 20")."""
    def fix(m: re.Match) -> str:
        w, num = m.group(1), m.group(2)
        f = fold(w)
        if f not in _DATE_WORD or (w[:1].isupper() and not text.isupper() and m.start() > 0):
            return m.group(0)
        if (f == "nam") != bool(re.match(r"\s+[12]\d{3}\b", num)):
            return m.group(0)
        return _cased(w, _DATE_WORD[f]) + num
    return re.sub(r"(?<![^\W\d_])([^\W\d_]{3,5})(\s+\d+)", fix, text)


def restore_tones(text: str) -> str:
    if not text:
        return text
    text = _date_words(text)
    by, known = _words()
    tokens = list(re.finditer(r"[^\W\d_]+", text))
    if len(tokens) < 2:
        return text
    all_upper = text.upper() == text
    words = [t.group(0) for t in tokens]
    joined = [text[tokens[k].end():tokens[k + 1].start()] == " " for k in range(len(tokens) - 1)]  # one space between
    proper = [False] * len(words)
    if not all_upper:  # capitalised words that spell a place or a person are names, not words to correct
        from ingest.extract_places import communes, districts, provinces

        names = _names()
        for k, w in enumerate(words):
            if w[:1].isupper():
                alone = fold(w) in names["surnames"]
                for n in (2, 3, 4):
                    if k + n <= len(words) and all(x[:1].isupper() for x in words[k:k + n]):  # a place: every word capitalised
                        key = " ".join(words[k:k + n])
                        if any(g().lookup(key, fuzzy=False) for g in (provinces, districts, communes)):
                            proper[k:k + n] = [True] * n
                if alone and k + 1 < len(words) and words[k + 1][:1].isupper() and fold(words[k + 1]) in names["given"]:
                    proper[k] = proper[k + 1] = True  # a surname and a given name: a person
    known_here: set[int] = set()  # words that, as read, are part of a known word: never changed
    for n in (5, 4, 3, 2):
        for k in range(len(words) - n + 1):
            if all(joined[k:k + n - 1]) and " ".join(w.lower() for w in words[k:k + n]) in known:
                known_here.update(range(k, k + n))
    changed: set[int] = set()
    out = list(words)
    for n in (5, 4, 3, 2):  # longer words first
        for k in range(len(words) - n + 1):
            span = range(k, k + n)
            if not all(joined[k:k + n - 1]) or any(proper[j] or j in changed for j in span):
                continue
            if n == 2 and any(j in known_here for j in span):
                continue  # two words, one of them already a known word: too little to go on
            variants = by.get(" ".join(fold(w) for w in words[k:k + n]))
            if not variants:
                continue
            # two words: only a tone mark may change (OCR's ể for ế), "của Sở" is not "cửa sổ"; three or more words
            # are context enough for any mark (Chủ đầu tu → tư); a word read as part of a known word stays
            variants = [v for v in variants if (n >= 3 or all(_toneless(a) == _toneless(b) for a, b in zip(v.split(), words[k:k + n])))
                        and all(a == w.lower() or j not in known_here for j, a, w in zip(span, v.split(), words[k:k + n]))]
            if not variants:
                continue
            best = _nearest(" ".join(words[k:k + n]), variants)
            for j, w in zip(span, best.split()):
                if w != words[j].lower():
                    out[j] = _cased(words[j], w)
                    changed.add(j)
    if out == words:
        return text
    pieces, last = [], 0
    for t, w in zip(tokens, out):
        pieces.append(text[last:t.start()])
        pieces.append(w)
        last = t.end()
    pieces.append(text[last:])
    return "".join(pieces)


def restore_name(name: str) -> str:
    """A personal name with each syllable spelled as the name lists spell it (``Đỉnh Hữu Tuấn`` → ``Đinh ...``)."""
    sections = _names()
    words = name.split()
    out = []
    bare = fold(name) == name.lower()  # read without a single mark: OCR lost them all, take the usual spelling
    for k, w in enumerate(words):
        table = sections["surnames"] if k == 0 and len(words) >= 2 else sections["given"]
        variants = table.get(fold(w))
        if variants and bare:
            out.append(_cased(w, variants[0]))
            continue
        if not variants or w in variants:
            out.append(w)
            continue
        out.append(_cased(w, _nearest(w, variants)))
    return " ".join(out)
