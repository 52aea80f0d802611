"""Specialized digital signatures (PAdES, pyHanko) on sohoa documents: keys, looks, signing, validation.

``signing`` knows PDFs, keys and certificates only; Decree 30's rules on who signs when live in
``ingest.signatures``. It never imports ``api`` or ``ingest``.
"""

from signing import pdfspeed as _pdfspeed  # noqa: F401 - faster hex strings in pyHanko's PDF reader
