"""What a document is: rules from its layout and symbol, combined with a text model.

The rules read the type name printed in capitals under the header, the abbreviation in ``12/QĐ-UBND`` and
``V/v`` for a công văn. The model (``ingest.typemodel``, trained on text and on clerks' corrections) gives a
probability for every type. Two rules that agree give a high confidence; where the rules are absent or
conflict the model decides and its probability is the confidence; where rules and model disagree the
confidence drops below the review threshold, so a clerk looks. Without a model the rules work alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.doctypes import ALL, BY_CODE, BY_TITLE, DocType
from ingest.extract import Extracted, Line
from storage.text import fold, nfc

if TYPE_CHECKING:
    from ingest.typemodel import TypeModel

KHAC = BY_CODE["khac"]
AGREE = 0.98  # title and symbol agree (and the model does not object)
DISAGREE = 0.6  # the rules say one thing, the model another: a clerk decides
MODEL_VETO = 0.05  # below this probability for the rules' type, the model objects
MODEL_OVERRULES = 0.95  # ... and at this probability for its own type, the model's type is shown first
COPY_DOUBT = 0.15  # the model's probability for a copy type that makes agreeing rules doubtful


@dataclass(frozen=True)
class Classification:
    type: DocType
    confidence: float
    evidence: str  # which rule fired, what the model said
    alternatives: tuple[tuple[str, float], ...] = field(default=())  # the model's top 3 (code, probability)


@dataclass(frozen=True)
class _Rules:
    title: tuple[DocType, Line] | None
    symbol: DocType | None
    symbol_text: str | None
    vv: bool
    numbered_subject: bool
    citizen: bool
    copy: bool = False  # the title and symbol are those of a copy form after the document
    header: bool = True  # a Decree 30 header: the national motto or a "Số:" line at the top of the first page


# --- rules ------------------------------------------------------------------------------------------------------


def _abbreviation_type(symbol: str | None) -> DocType | None:
    """The type whose abbreviation opens the symbol: exact (QĐ, HĐ vs HD, ĐA vs DA) first, folded if unambiguous."""
    if not symbol:
        return None
    head = re.split(r"[-/]", symbol.split("/")[-1] if re.match(r"^\d{4}/", symbol) else symbol)[0]
    printed = nfc(head).replace("Ð", "Đ")
    exact = [t for t in ALL if t.abbreviation and t.abbreviation == printed]
    if exact:
        return exact[0]
    key = fold(head)
    folded = [t for t in ALL if t.abbreviation and fold(t.abbreviation) == key]
    return folded[0] if len(folded) == 1 else None


_AUTHORITY = re.compile(r"^(kt|tm|tl|tuq)\s*[.,]")
_NUMBER_LINE = re.compile(r"^[s5]\s?[o06]\s*[:;.,]?\s*[0-9oOlI|]{1,6}\s*/\s*(\S+)")
COPY_CODES = ("sao_y", "trich_sao", "sao_luc")
CITIZEN_CODES = ("don_de_nghi", "to_khai", "giay_chung_nhan", "giay_phep", "can_cuoc")


def _is_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) >= 0.8


def title_key(text: str) -> str:
    """A line folded for matching a type name: no specks before it (``'TỜ KHAI``), no punctuation after."""
    return re.sub(r"^[^0-9a-z]+", "", fold(text)).rstrip(":.,; ")


def _title_of(text: str, titles=BY_TITLE) -> DocType | None:
    """The type whose name this line is (or begins with), tolerating OCR's merged and split words."""
    key = title_key(text)
    compact = key.replace(" ", "")
    for title, t in titles:
        tc = title.replace(" ", "")
        if key == title or key.startswith(title + " ") or compact == tc or (" " in title and compact.startswith(tc)):
            if t.code == "thu_cong" and not nfc(text).upper().startswith("THƯ"):
                continue  # one short word: THỨ TRƯỞNG, THU HỒI fold to the same letters
            return t
    return None


def _title_type(lines: list[Line]) -> tuple[DocType, Line] | None:
    """A line in capitals, on the first page above the recipients and signer, that is (or begins with) a type name."""
    first = lines[0].page if lines else 1
    page = [l for l in lines[:40] if l.page == first]
    # the type name comes after the header: agency names above it can fold like a type ("PHƯỜNG AN BIÊN")
    start = next((i + 1 for i, l in enumerate(page[:15]) if "doc lap" in fold(l.text)), 0)
    for line in page[start:]:
        key = fold(line.text)
        if key.startswith("noi nhan") or _AUTHORITY.match(key):
            break  # the closing block: its capitals are positions (THỨ TRƯỞNG), not a type name
        if not _is_capitals(line.text) or "cong hoa" in key or "doc lap" in key:
            continue
        t = _title_of(line.text)
        if t is not None:
            return t, line
    return None


_COPY_TITLES = [(fold(BY_CODE[c].title), BY_CODE[c]) for c in COPY_CODES]


def _copy_rules(lines: list[Line]) -> tuple[tuple[DocType, Line] | None, DocType | None, str | None]:
    """A copy form after the document (SAO Y / TRÍCH SAO / SAO LỤC, ``Số: 05/SY-VP``), on its last page."""
    last = lines[-1].page
    tail = [l for l in lines if l.page == last][-30:]
    form = symbol = symbol_text = None
    for line in tail:
        # the form's name: in capitals, or a short line of its own whatever OCR did to the case
        if form is None and (_is_capitals(line.text) or len(line.text.split()) <= 4):
            t = _title_of(line.text, _COPY_TITLES)
            if t is not None:
                form = (t, line)
        m = _NUMBER_LINE.match(fold(line.text))
        if symbol is None and m:
            printed = re.search(r"/\s*(\S+)", line.text)
            t = _abbreviation_type(printed.group(1) if printed else m.group(1))
            if t is not None and t.code in COPY_CODES:
                symbol, symbol_text = t, (printed.group(1) if printed else m.group(1)).rstrip(".,;")
    return form, symbol, symbol_text


def _symbol_in(lines: list[Line]) -> str | None:
    """The symbol of a ``Số:`` line the extractor could not read (``S ố: 12/QĐ-UBND``, ``5ố: ...``)."""
    first = lines[0].page
    for line in lines[:15]:
        if line.page != first:
            break
        m = _NUMBER_LINE.match(fold(line.text))
        if m:
            printed = re.search(r"/\s*(\S+)", line.text)
            return (printed.group(1) if printed else m.group(1)).rstrip(".,;")
    return None


def _copy_hint(lines: list[Line]) -> bool:
    """What is left of a copy form that OCR damaged: the word "sao" or a second "Số:" line near the end."""
    last = lines[-1].page
    tail = [fold(l.text) for l in lines if l.page == last][-30:]
    first_number = next((l.text for l in lines[:15] if _NUMBER_LINE.match(fold(l.text))), None)
    return any(re.search(r"\bsao\b", f) or (_NUMBER_LINE.match(f) and f != (fold(first_number) if first_number else None)) for f in tail)


def _rules(lines: list[Line], fields: Extracted) -> _Rules:
    form, copy_symbol, copy_symbol_text = _copy_rules(lines)
    if form or copy_symbol:  # a copy prints the copied document (its title, its symbol) above its own form
        return _Rules(title=form, symbol=copy_symbol, symbol_text=copy_symbol_text, vv=False, numbered_subject=False, citizen=False, copy=True)
    symbol = fields.value("symbol") or _symbol_in(lines)
    top = [fold(l.text) for l in lines[:15] if l.page == lines[0].page]
    header = any(f.startswith(("cong hoa xa", "doc lap")) or _NUMBER_LINE.match(f) for f in top)
    return _Rules(
        header=header,
        title=_title_type(lines),
        symbol=_abbreviation_type(symbol),
        symbol_text=symbol,
        vv=any(fold(l.text).startswith("v/v") for l in lines[:30]),
        numbered_subject=bool(fields.value("number_symbol") and fields.value("subject")),
        citizen=bool(fields.value("personal_id") or fields.value("full_name")),
    )


def _by_rules(r: _Rules) -> tuple[DocType, float, str, str]:
    """(type, confidence, evidence, strength) from the rules alone: today's behaviour without a model.

    strength: "both" (title and symbol agree), "conflict", "strong" (one of them), "weak" (V/v, form
    fields) or "none".
    """
    if r.title and r.symbol:
        t, line = r.title
        if t.code == r.symbol.code:
            return t, AGREE, f"type name '{line.text}' and symbol {r.symbol_text} agree", "both"
        return t, 0.6, f"type name '{line.text}' but symbol {r.symbol_text} says {r.symbol.name}", "conflict"
    if r.title:
        t, line = r.title
        where = "after the document (a copy)" if r.copy else "under the header"
        return t, 0.9 if line.conf >= 80 else 0.75, f"type name '{line.text}' {where}", "strong"
    if r.symbol:
        return r.symbol, 0.85, f"abbreviation in symbol {r.symbol_text}", "strong"
    if r.vv or r.numbered_subject:
        return BY_CODE["cong_van"], 0.85 if r.vv else 0.6, "a 'V/v' subject under the number, no type name", "weak"
    if r.citizen:
        return BY_CODE["don_de_nghi"], 0.5, "citizen fields without a form title", "weak"
    return KHAC, 0.3, "no type name, symbol or form fields recognised", "none"


# --- text checks ----------------------------------------------------------------------------------------------

_VI_MARKED = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")


def _text_of(lines: list[Line]) -> str:
    from ingest.typemodel import text_of_lines

    return text_of_lines(lines)


def _looks_foreign(text: str) -> bool:
    """Plenty of Latin letters and almost none with Vietnamese marks: a page in another language."""
    letters = [c for c in unicodedata.normalize("NFC", text.lower()) if c.isalpha()]
    if len(letters) < 200:
        return False
    marked = len(_VI_MARKED.findall("".join(letters)))
    return marked / len(letters) < 0.02


def _fmt(p: float) -> str:
    return f"{p:.2f}"


# --- the combination -------------------------------------------------------------------------------------------


SCANT_WORDS = 15  # fewer words than this and no strong layout rule: the type is never confident


def classify(lines: list[Line], fields: Extracted, model: TypeModel | None = None) -> Classification:
    """The document's type and how sure we are; never raises on odd input (no lines → khac, low confidence)."""
    lines = [l for l in (lines or []) if l.text and l.text.strip()]
    fields = fields if fields is not None else Extracted()
    if not lines:
        return Classification(KHAC, 0.1, "no text was recognised")
    r = _rules(lines, fields)
    rule_type, rule_conf, rule_why, strength = _by_rules(r)
    if model is None:
        return Classification(rule_type, rule_conf, rule_why)

    text = _text_of(lines)
    try:
        ranked = [(c, p) for c, p in model.predict(text) if c in BY_CODE]
    except Exception as exc:  # a model that cannot read this text must not lose the document
        return Classification(rule_type, min(rule_conf, 0.75), f"{rule_why}; the model failed ({exc})")
    if not ranked:
        return Classification(rule_type, rule_conf, rule_why)
    probs = dict(ranked)
    alternatives = tuple((c, round(p, 3)) for c, p in ranked[:3])
    top, p_top = ranked[0]
    said = f"model: {BY_CODE[top].name} {_fmt(p_top)}"

    scant = len(text.split()) < SCANT_WORDS and strength in ("none", "weak")

    def out(t: DocType, conf: float, why: str) -> Classification:
        if scant:  # a line or two of text is too little to be sure of anything without a header: a clerk looks
            conf, why = min(conf, 0.6), f"{why}; very little text"
        return Classification(t, round(max(0.0, min(conf, 0.99)), 3), why, alternatives)

    if strength == "none" and _looks_foreign(text):
        return out(KHAC, max(0.85, probs.get("khac", 0.0)), f"text in another language, no Vietnamese header; {said}")

    # a copy prints the copied document's title and symbol: when its own form was not read, the model may
    # still see it (the words of the copy block), and the rules' agreement proves nothing
    best_copy = max(COPY_CODES, key=lambda c: probs.get(c, 0.0))
    if (strength in ("both", "strong") and rule_type.code not in COPY_CODES and probs.get(best_copy, 0.0) >= COPY_DOUBT
            and _copy_hint(lines)):
        pick = BY_CODE[best_copy] if probs.get(best_copy, 0.0) >= 0.5 else rule_type
        return out(pick, DISAGREE, f"{rule_why}; but the model sees a copy ({BY_CODE[best_copy].name} {_fmt(probs[best_copy])})")

    if strength == "both":
        p_rule = probs.get(rule_type.code, 0.0)
        if top == rule_type.code or p_rule >= MODEL_VETO:
            return out(rule_type, max(AGREE, p_rule), f"{rule_why}; model agrees ({_fmt(p_rule)})")
        return out(rule_type, DISAGREE, f"{rule_why}; but {said}")

    if strength == "conflict":
        t_title, t_symbol = r.title[0], r.symbol
        pick = max((t_title, t_symbol), key=lambda t: probs.get(t.code, 0.0))
        p_pick = probs.get(pick.code, 0.0)
        if top not in (t_title.code, t_symbol.code) and p_top >= 0.5:
            return out(BY_CODE[top], min(p_top, DISAGREE), f"{rule_why}; {said}")
        return out(pick, p_pick, f"{rule_why}; the model decides for {pick.name} ({_fmt(p_pick)})")

    if strength == "strong":
        p_rule = probs.get(rule_type.code, 0.0)
        if top == rule_type.code:
            return out(rule_type, 1 - (1 - rule_conf) * (1 - p_rule), f"{rule_why}; model agrees ({_fmt(p_rule)})")
        if p_rule >= MODEL_VETO:  # the model hesitates between the two: the rule's type, below the review line
            return out(rule_type, p_rule + 0.5 * p_top, f"{rule_why}; {said}, {rule_type.name} {_fmt(p_rule)}")
        if p_top >= MODEL_OVERRULES:
            return out(BY_CODE[top], DISAGREE, f"{said}, although {rule_why}")
        return out(rule_type, DISAGREE, f"{rule_why}; but {said}")

    # weak or no rules: the model decides, and a weak rule that agrees adds to its confidence
    if strength == "weak":
        if top == rule_type.code or (r.citizen and rule_type.code == "don_de_nghi" and top in CITIZEN_CODES):
            rule_type = BY_CODE[top]  # form fields say "a citizen's paper"; the model says which one
            return out(rule_type, 1 - (1 - rule_conf * 0.5) * (1 - p_top), f"{rule_why}; {said}")
        return out(BY_CODE[top], min(p_top, 0.75), f"{said}, although {rule_why}")
    if top == "khac" and not r.header:  # no header, no type name, no symbol: what "other" means; the model agrees
        return out(KHAC, 1 - (1 - 0.3) * (1 - p_top), f"no Decree 30 header, type name or symbol; {said}")
    return out(BY_CODE[top], p_top, f"no type name or symbol; {said}")
