"""A scanner's drop folder: files that have finished arriving are digitized, then moved to done/ or failed/.

A file is taken only when its size and modification time have stood still for ``settle_s`` seconds (scanners
and network shares write slowly). It is first renamed into ``.processing/`` (atomic on one filesystem) and
a journal entry names its batch; after a crash or restart, files found there resume the same batch, so no
file is lost and none is digitized twice.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.intake import Incoming, IntakeError, intake, safe_filename
from ingest.runtime import Runtime
from ingest.status import batch_status

log = logging.getLogger(__name__)

IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".error.txt", ".batch")
TERMINAL_BATCH = ("done", "partial", "failed")


@dataclass
class FolderWatcher:
    rt: Runtime
    runner: object  # EmbeddedRunner or CeleryRunner
    folder: Path
    settle_s: float = 2.0
    interval_s: float = 1.0
    collate: str = "none"  # "duplex": every file is fronts then backs in reverse order (a simplex feeder)
    _seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder = self.folder.resolve()
        self.processing = self.folder / ".processing"
        self.done = self.folder / "done"
        self.failed = self.folder / "failed"
        for d in (self.processing, self.done, self.failed):
            d.mkdir(parents=True, exist_ok=True)

    # --- the loop ---------------------------------------------------------------------------------

    def run_forever(self, stop=lambda: False) -> None:
        self.resume()
        while not stop():
            self.poll_once()
            time.sleep(self.interval_s)

    def resume(self) -> int:
        """Finish whatever a previous run had claimed but not filed away."""
        claimed = sorted(p for p in self.processing.iterdir() if p.is_file() and not p.name.endswith(".batch"))
        by_batch: dict[str | None, list[Path]] = {}
        for path in claimed:
            journal = self._journal(path)
            batch_id = journal.read_text().strip() if journal.exists() else None
            by_batch.setdefault(batch_id or None, []).append(path)
        for batch_id, paths in by_batch.items():
            if batch_id and batch_status(self.rt, batch_id) is not None:
                log.info("resuming batch %s (%d files)", batch_id, len(paths))
                self._finish(batch_id, paths)
            else:
                self._digitize(paths)
        return len(claimed)

    def poll_once(self) -> int:
        """Claim every file that has settled and digitize them as one batch; returns how many."""
        ready = self._settled()
        if not ready:
            return 0
        claimed = []
        for path in ready:
            target = self._free_name(self.processing, path.name)
            try:
                os.rename(path, target)
            except FileNotFoundError:
                continue  # someone else took it
            claimed.append(target)
        if claimed:
            self._digitize(claimed)
        return len(claimed)

    # --- steps ------------------------------------------------------------------------------------

    def _settled(self) -> list[Path]:
        now = time.monotonic()
        ready, present = [], set()
        for entry in os.scandir(self.folder):
            name = entry.name
            if not entry.is_file(follow_symlinks=False) or name.startswith((".", "~$")) or name.endswith(IGNORED_SUFFIXES):
                continue
            present.add(name)
            st = entry.stat(follow_symlinks=False)
            sig = (st.st_size, st.st_mtime_ns)
            prev = self._seen.get(name)
            if prev is None or prev[:2] != sig:
                self._seen[name] = (*sig, now)
            elif now - prev[2] >= self.settle_s:
                ready.append(Path(entry.path))
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for path in ready:
            self._seen.pop(path.name, None)
        return sorted(ready)

    def _digitize(self, paths: list[Path]) -> None:
        try:
            batch = intake(self.rt, [Incoming(p, p.name) for p in paths], source="watch", collate=self.collate)
        except IntakeError as exc:
            for p, err in zip(paths, exc.errors):
                self._file_away(p, self.failed, err.get("error") or str(exc))
            return
        for p in paths:
            _atomic_write(self._journal(p), batch.id)
        self._finish(batch.id, paths)

    def _finish(self, batch_id: str, paths: list[Path]) -> None:
        status = batch_status(self.rt, batch_id)
        if status["state"] not in TERMINAL_BATCH:
            if hasattr(self.runner, "run"):
                self.runner.run(batch_id)
            else:
                self.runner.submit(batch_id)
            while (status := batch_status(self.rt, batch_id))["state"] not in TERMINAL_BATCH:
                time.sleep(self.interval_s)
        status = batch_status(self.rt, batch_id)
        by_name = {item["filename"]: item for item in status["files"]}
        for path in paths:
            item = by_name.get(safe_filename(path.name), {"state": "failed", "error": "not found in its batch"})
            if item["state"] in ("done", "duplicate"):
                self._file_away(path, self.done)
            else:
                self._file_away(path, self.failed, item["error"] or "failed")

    def _file_away(self, path: Path, dest_dir: Path, error: str | None = None) -> None:
        target = self._free_name(dest_dir, path.name)
        if error:
            _atomic_write(target.with_name(target.name + ".error.txt"), error.rstrip() + "\n")
        os.rename(path, target)
        self._journal(path).unlink(missing_ok=True)
        log.info("%s → %s%s", path.name, dest_dir.name, f" ({error})" if error else "")

    def _journal(self, path: Path) -> Path:
        return self.processing / (path.name + ".batch")

    @staticmethod
    def _free_name(folder: Path, name: str) -> Path:
        target = folder / name
        stem, suffix = os.path.splitext(name)
        i = 1
        while target.exists():
            target = folder / f"{stem} ({i}){suffix}"
            i += 1
        return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
