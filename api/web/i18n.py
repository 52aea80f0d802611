"""The pages' words in Vietnamese (first) and English: one JSON catalogue per locale, chosen by a cookie.

A key missing from a catalogue is a test failure (tests/test_web.py), never a silent English fallback on a
Vietnamese page; the key itself is shown only if a template names a key no catalogue has.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from fastapi import Request

LOCALES = ("vi", "en")
DEFAULT = "vi"
LANG_COOKIE = "sohoa_lang"
_DIR = Path(__file__).parent / "messages"


@lru_cache(maxsize=None)
def catalogue(locale: str) -> dict[str, str]:
    data = json.loads((_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    return {k: unicodedata.normalize("NFC", v) for k, v in data.items()}


def locale_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LOCALES else DEFAULT


def translator(locale: str):
    """``t(key, **values)``: the message in ``locale``, its ``{placeholders}`` filled in."""
    messages = catalogue(locale)

    def t(key: str, **values) -> str:
        text = messages.get(key, key)
        return text.format(**values) if values else text

    return t
