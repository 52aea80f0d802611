"""What a document is, from its layout and its symbol: the type name printed under the header, the
abbreviation in ``12/QĐ-UBND``, ``V/v`` for a công văn. Every answer carries a confidence; below the
review threshold a clerk looks at it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.doctypes import BY_CODE, BY_TITLE, DocType
from ingest.extract import Extracted, Line
from storage.text import fold


@dataclass(frozen=True)
class Classification:
    type: DocType
    confidence: float
    evidence: str


def _abbreviation_type(symbol: str | None) -> DocType | None:
    if not symbol:
        return None
    head = re.split(r"[-/]", symbol.split("/")[-1] if re.match(r"^\d{4}/", symbol) else symbol)[0]
    key = fold(head)
    for t in BY_CODE.values():
        if t.abbreviation and fold(t.abbreviation) == key:
            return t
    return None


def _title_type(lines: list[Line]) -> tuple[DocType, Line] | None:
    """A line in capitals, on the first page, that is (or begins with) a type name."""
    first = lines[0].page if lines else 1
    for line in lines[:40]:
        if line.page != first:
            break
        letters = [c for c in line.text if c.isalpha()]
        if not letters or sum(c.isupper() for c in letters) / len(letters) < 0.8:
            continue
        key = fold(line.text).rstrip(":. ")
        if key.startswith("cong hoa") or key.startswith("doc lap"):
            continue
        for title, t in BY_TITLE:
            if key == title or key.startswith(title + " "):
                return t, line
    return None


def classify(lines: list[Line], fields: Extracted) -> Classification:
    by_title = _title_type(lines)
    by_symbol = _abbreviation_type(fields.value("symbol"))
    has_vv = any(fold(l.text).startswith("v/v") for l in lines[:30])
    if by_title and by_symbol:
        t, line = by_title
        if t.code == by_symbol.code:
            return Classification(t, 0.98, f"type name '{line.text}' and symbol {fields.value('symbol')} agree")
        return Classification(t, 0.6, f"type name '{line.text}' but symbol {fields.value('symbol')} says {by_symbol.name}")
    if by_title:
        t, line = by_title
        return Classification(t, 0.9 if line.conf >= 80 else 0.75, f"type name '{line.text}' under the header")
    if by_symbol:
        return Classification(by_symbol, 0.85, f"abbreviation in symbol {fields.value('symbol')}")
    if has_vv or (fields.value("number_symbol") and fields.value("subject")):
        return Classification(BY_CODE["cong_van"], 0.85 if has_vv else 0.6, "a 'V/v' subject under the number, no type name")
    if fields.value("personal_id") or fields.value("full_name"):
        return Classification(BY_CODE["don_de_nghi"], 0.5, "citizen fields without a form title")
    return Classification(BY_CODE["khac"], 0.3, "no type name, symbol or form fields recognised")
