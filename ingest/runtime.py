"""The live parts one process works with — settings, object store, catalog — built once from settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

from ingest.settings import Settings
from ocr.cleanup import CleanupOptions
from ocr.image import Limits
from storage.catalog import Catalog
from storage.objects import ObjectStore, make_object_store


@dataclass
class Runtime:
    settings: Settings
    _catalog: Catalog | None = field(default=None, repr=False)

    @cached_property
    def store(self) -> ObjectStore:
        s = self.settings
        if s.object_store == "minio":
            return make_object_store(
                "minio",
                endpoint=s.minio_endpoint,
                access_key=s.minio_access_key,
                secret_key=s.minio_secret_key.get_secret_value(),
                bucket=s.minio_bucket,
                secure=s.minio_secure,
                region=s.minio_region,
            )
        return make_object_store("fs", data_dir=s.objects_dir)

    @property
    def catalog(self) -> Catalog:
        with _catalog_lock:  # API request threads and the runner thread may both ask first
            if self._catalog is None:
                self._catalog = Catalog(self.settings.catalog_url)
            return self._catalog

    @cached_property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(max_pixels=s.max_page_pixels, max_pages=s.max_pages, render_dpi=s.ocr_dpi)

    @cached_property
    def cleanup_options(self) -> CleanupOptions:
        return CleanupOptions(tesseract_cmd=self.settings.tesseract_cmd, output_dpi=self.settings.output_dpi)

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.dispose()
            self._catalog = None


_runtimes: dict[str, Runtime] = {}
_catalog_lock = threading.RLock()


def runtime_for(settings: Settings) -> Runtime:
    """One Runtime per distinct configuration per process (workers reuse connections across tasks)."""
    key = settings.model_dump_json()
    rt = _runtimes.get(key)
    if rt is None:
        rt = _runtimes[key] = Runtime(settings)
    return rt
