"""Text normal forms: NFC for storage, a folded form so search ignores case and Vietnamese diacritics."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: ``Thủ tục Hành chính`` → ``thu tuc hanh chinh``.

    ``đ``/``Đ`` do not decompose under NFD, so they are mapped to ``d`` explicitly.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip()
