"""The one Tesseract pass per page: words with boxes and confidences, and the invisible text layer.

Tesseract is wrapped here once, so its timeouts and crashes are handled in one place. It is given a file
path, never a PIL image (pytesseract would spend ~1 s re-encoding it as PNG), and runs single-threaded:
on two cores, one single-threaded process per core beats Tesseract's own threads fighting each other.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytesseract

from ocr.layout import Word, lines_text, text_lines

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
_SIGNALS = {int(s) for s in signal.Signals}


class OcrError(RuntimeError):
    """Tesseract crashed, timed out or produced nothing usable for this page."""


@dataclass(frozen=True)
class OcrResult:
    words: list[Word]
    lines: list[list[Word]]  # reading order, noise lines left out
    text: str  # NFC, in reading order
    mean_conf: float  # 0..100 over recognised words, -1 when there are none
    text_layer: Path  # one-page PDF holding only invisible text, same geometry as the image


def recognize(
    image_path: Path,
    out_base: Path,
    *,
    dpi: float,
    lang: str = "vie",
    tesseract_cmd: str = "tesseract",
    timeout_s: float = 180.0,
) -> OcrResult:
    """Recognise ``image_path``; write ``out_base``.pdf (text layer) and .tsv; return the words in order."""
    pytesseract.pytesseract.tesseract_cmd = tesseract_cmd
    config = f"--dpi {int(round(dpi))} -c textonly_pdf=1 -c tessedit_create_tsv=1"
    try:
        pytesseract.pytesseract.run_tesseract(
            input_filename=str(image_path),
            output_filename_base=str(out_base),
            extension="pdf tsv",
            lang=lang,
            config=config,
            timeout=max(1, int(round(timeout_s))),
        )
    except pytesseract.TesseractNotFoundError:
        raise OcrError(f"Tesseract is not installed or not at {tesseract_cmd!r}") from None
    except pytesseract.TesseractError as exc:
        status = exc.status
        how = f"killed by {signal.Signals(-status).name}" if isinstance(status, int) and status < 0 and -status in _SIGNALS else f"exit {status}"
        raise OcrError(f"Tesseract crashed ({how}) {exc.message}".strip()) from None
    except RuntimeError as exc:  # pytesseract raises a bare RuntimeError on timeout
        if "timeout" in str(exc).lower():
            raise OcrError(f"Tesseract took longer than {timeout_s:.0f} s on this page") from None
        raise OcrError(f"Tesseract failed: {exc}") from None
    pdf, tsv = Path(f"{out_base}.pdf"), Path(f"{out_base}.tsv")
    if not pdf.exists() or not tsv.exists() or pdf.stat().st_size == 0:
        raise OcrError("Tesseract ended without writing its output")
    words = parse_tsv(tsv.read_text(encoding="utf-8", errors="replace"))
    confs = [w.conf for w in words if w.conf >= 0]
    mean = sum(confs) / len(confs) if confs else -1.0
    lines = text_lines(words)
    return OcrResult(words=words, lines=lines, text=lines_text(lines), mean_conf=mean, text_layer=pdf)


def parse_tsv(tsv: str) -> list[Word]:
    """Words (level 5 rows) from Tesseract's TSV, text NFC-normalised."""
    words: list[Word] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        if row.get("level") != "5":
            continue
        text = unicodedata.normalize("NFC", (row.get("text") or "").strip())
        if not text:
            continue
        try:
            words.append(
                Word(
                    text=text,
                    left=int(row["left"]),
                    top=int(row["top"]),
                    width=int(row["width"]),
                    height=int(row["height"]),
                    conf=float(row["conf"]),
                    block=int(row["block_num"]),
                    par=int(row["par_num"]),
                    line=int(row["line_num"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return words
