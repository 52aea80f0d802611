"""Signature and seal images for the test signers: a scan-like signature in black on white and a round seal,
drawn with the synthetic generator's ink so that sohoa's recolouring (blue, red) and transparency are exercised
on what a clerk would really upload (a scan, not a ready-made transparent PNG)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image

from bench.synthetic.ink import seal, signature

DPI = 300


def signature_png(path: Path, seed: int = 1) -> Path:
    """A handwritten-looking signature, dark grey ink on white paper, 300 dpi, ~50 × 20 mm."""
    w, h = int(DPI * 2.0), int(DPI * 0.8)
    rgb = np.full((h, w, 3), 250, np.uint8)
    signature(rgb, (0, 0, w, h), DPI, random.Random(seed), colour=(40, 40, 45))
    Image.fromarray(rgb).save(path, dpi=(DPI, DPI))
    return path


def seal_png(path: Path, text: str = "ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM", seed: int = 2) -> Path:
    """A round seal scanned at 300 dpi (red on white), its physical size in the file (~36-42 mm)."""
    size = int(DPI * 1.75)
    rgb = np.full((size, size, 3), 252, np.uint8)
    seal(rgb, (size // 2, size // 2), DPI, random.Random(seed), text)
    Image.fromarray(rgb).save(path, dpi=(DPI, DPI))
    return path
