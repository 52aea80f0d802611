"""The embedded runner's page workers: forked from a parent that may already have used OpenCV's threads."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import os, sys
import numpy as np, cv2
cv2.setNumThreads(2)  # the parent (an API server, a bench) has used OpenCV's thread pool before forking
big = np.random.default_rng(0).integers(0, 255, (3000, 3000, 3), dtype=np.uint8)
for _ in range(3):
    cv2.GaussianBlur(big, (0, 0), 5)
os.environ["SOHOA_DATA_DIR"] = sys.argv[1]
from ingest.runner import EmbeddedRunner
from ingest.runtime import Runtime
from ingest.settings import Settings
from ocr.cleanup import flatten_illumination
runner = EmbeddedRunner(Runtime(Settings()), jobs=2)
grey = np.full((2000, 1500), 200, np.uint8)
print([f.result(timeout=60).shape for f in [runner.pool.submit(flatten_illumination, grey, 300.0) for _ in range(4)]])
print("threads", runner.pool.submit(cv2.getNumThreads).result(timeout=60))
"""


def test_page_workers_forked_after_opencv_threads_ran_do_not_hang(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "var")], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "threads 1" in done.stdout  # and the workers run OpenCV single-threaded
