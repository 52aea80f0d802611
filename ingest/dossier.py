"""Dossier codes (mã hồ sơ) and the role of a code read from a separator sheet.

A dossier code is ``<agency id>-YYMMDD-NNNN``: the receiving agency's Decision 20/2020 identifier, the date
the dossier was received and a 4-digit daily sequence (DOMAIN.md §5). Codes arrive from barcode readers and
from OCR of the printed line, so parsing forgives what those add (surrounding whitespace, lower case, spaces
around the hyphens, typographic dashes) but never guesses a digit: a code that does not validate is refused
with a reason a clerk can act on.

Payload convention: a separator sheet carries the **bare** code (``000.00.12.H01-240315-0007``), the same
string the one-stop centre prints on its receipt and the national portal looks up, so existing receipts'
codes read the same way. A ``HS:`` / ``HOSO:`` / ``HỒ SƠ:`` prefix, which some systems print, is tolerated
when reading but never written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

AGENCY_ID_MAX = 35  # Decision 20/2020: an identifier is at most 35 characters
SEPARATOR_MARKERS = frozenset({"PATCHT", "SOHOA-SEPARATOR"})  # PATCHT: the Paperless-ngx / patch-T convention
GENERIC_SEPARATOR = "SOHOA-SEPARATOR"

_PREFIX = re.compile(r"^(?:HS|HOSO|HỒ\s*SƠ|HO\s*SO)\s*[:#]\s*", re.IGNORECASE)
AGENCY_PATTERN = re.compile(r"[A-Z0-9]+(?:\.[A-Z0-9]+)*")  # dot-separated groups of letters and digits
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")


@dataclass(frozen=True)
class DossierCode:
    code: str  # canonical form: upper case, no whitespace, no prefix
    agency_id: str
    received: date
    sequence: int

    def __str__(self) -> str:
        return self.code


def normalize_code_text(text: str) -> str:
    """What a reader or OCR gave, in the canonical spelling: NFKC, upper case, no prefix, no spaces."""
    s = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
    s = _PREFIX.sub("", s, count=1)
    s = re.sub(r"\s*([-.])\s*", r"\1", s.strip())
    return s.upper()


def agency_id_error(agency: str) -> str | None:
    """Why ``agency`` is not a Decision 20/2020 identifier, or None when it is one."""
    if len(agency) > AGENCY_ID_MAX or not AGENCY_PATTERN.fullmatch(agency):
        why = (f"longer than {AGENCY_ID_MAX} characters" if len(agency) > AGENCY_ID_MAX
               else "it must be dot-separated groups of letters and digits")
        return f"agency id '{agency}' is not a Decision 20/2020 identifier ({why})"
    return None


def _analyse(text: str) -> tuple[DossierCode | None, str | None]:
    if not isinstance(text, str):
        return None, "a dossier code must be text"
    s = normalize_code_text(text)
    if not s:
        return None, "the dossier code is empty"
    if re.search(r"\s", s):
        return None, f"'{s}' contains spaces: a dossier code is <agency id>-YYMMDD-NNNN"
    parts = s.rsplit("-", 2)
    if len(parts) != 3:
        return None, f"'{s}' is not <agency id>-YYMMDD-NNNN"
    agency, ymd, seq = parts
    if not agency:
        return None, "the agency id is missing"
    if (why := agency_id_error(agency)) is not None:
        return None, why
    if not (len(ymd) == 6 and ymd.isascii() and ymd.isdigit()):
        return None, f"the date '{ymd}' must be 6 digits YYMMDD"
    yy, mm, dd = int(ymd[:2]), int(ymd[2:4]), int(ymd[4:])
    try:
        received = date(2000 + yy, mm, dd)
    except ValueError:
        return None, f"the date {dd:02d}/{mm:02d}/{2000 + yy} does not exist"
    if not (seq.isascii() and seq.isdigit()) or len(seq) != 4 or int(seq) == 0:
        return None, f"sequence '{seq}' is invalid: the sequence must be 0001-9999 (4 digits)"
    return DossierCode(code=f"{agency}-{ymd}-{seq}", agency_id=agency, received=received, sequence=int(seq)), None


def parse_dossier_code(text: str) -> DossierCode | None:
    """The dossier code in ``text`` (a whole barcode payload or OCR line), or None if it is not a valid one."""
    return _analyse(text)[0]


def dossier_code_error(text: str) -> str | None:
    """Why ``text`` is not a valid dossier code, in words a clerk can act on; None when it is valid."""
    return _analyse(text)[1]


def separator_role(text: str) -> Literal["dossier", "separator"] | None:
    """What a decoded code on a page means for splitting the scan feed.

    "dossier": a valid dossier code (the following pages belong to it); "separator": a generic marker
    (``PATCHT``, ``SOHOA-SEPARATOR``) that only starts a new document; None for every other code — a URL QR
    on a certificate or a product barcode must never cut a document.
    """
    if not isinstance(text, str):
        return None
    bare = unicodedata.normalize("NFKC", text).strip().upper()
    if bare in SEPARATOR_MARKERS:
        return "separator"
    return "dossier" if parse_dossier_code(text) is not None else None
