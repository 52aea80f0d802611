"""sohoa ocr package: page clean-up (OpenCV), one Tesseract pass per page, reading order, PDF pages."""

import os


def one_thread_per_process() -> None:
    """Pages run in parallel, one process per core: neither Tesseract nor OpenCV may start threads of their own.

    Measured on 2 cores: Tesseract's OpenMP threads made a page 1.6× slower, and OpenCV's thread pool added
    ~0.12 CPU seconds a page of synchronisation to clean-up for no gain in wall time. Call it in the process
    that forks the page workers, before forking: OpenCV's thread pool does not survive a fork, and changing
    its size in a forked child whose parent had used it hangs the child.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2

    cv2.setNumThreads(1)
