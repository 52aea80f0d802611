"""The one place sohoa reads its configuration: ``SOHOA_*`` environment variables.

It lives in ``ingest`` (not ``api``) because both the API process and the Celery workers need it, and
lower layers must never import ``api``. ``ocr`` and ``storage`` never read it: they get plain parameters.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob, with the default that makes the embedded mode work with no server at all."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the embedded store, catalog and work files live")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in data_dir")
    object_store: Literal["fs", "minio"] = Field("fs", description="fs (embedded) or minio (S3)")
    minio_endpoint: str = Field("127.0.0.1:9000", description="host:port of MinIO / S3")
    minio_access_key: str = Field("", description="MinIO access key")
    minio_secret_key: SecretStr = Field(SecretStr(""), description="MinIO secret key")
    minio_bucket: str = Field("sohoa", description="Bucket holding every object")
    minio_secure: bool = Field(False, description="Use HTTPS to reach MinIO")
    minio_region: str | None = Field(None, description="S3 region, if the server needs one")
    broker_url: str = Field("", description="Celery broker (redis://...); empty = in-process runner")
    broker_visibility_timeout: int = Field(
        3600, description="Seconds before an unacknowledged task is redelivered to another worker"
    )
    jobs: int = Field(0, description="Parallel OCR processes; 0 = one per core")
    ocr_lang: str = Field("vie", description="Tesseract language(s), e.g. vie or vie+eng")
    tesseract_cmd: str = Field("tesseract", description="Tesseract binary")
    tesseract_timeout: float = Field(180.0, description="Seconds one page may take in Tesseract")
    output_dpi: int = Field(200, description="Page images are downsampled to this (never upsampled)")
    ocr_dpi: int = Field(300, description="Resolution pages are recognised at")
    pdfa: bool = Field(False, description="Write PDF/A-2b instead of plain PDF")
    max_upload_bytes: int = Field(2 * 1024**3, description="Largest accepted file")
    max_page_pixels: int = Field(120_000_000, description="Largest page (pixels) before it is refused")
    max_pages: int = Field(2000, description="Most pages one file may have")
    review_threshold: float = Field(0.8, description="Documents classified below this confidence await a clerk")
    retrain_interval_hours: float = Field(
        24.0, description="Hours between retrainings of the type model from clerks' corrections (skipped when there are none); 0 = never"
    )
    signing_keyring: Path | None = Field(
        None, description="TOML file naming the signers: PKCS#12 files or PKCS#11 tokens, images (PINs by reference only)"
    )
    trust_anchors: Path | None = Field(None, description="Directory or PEM bundle of trusted root certificates (never the OS store)")
    tsa_url: str = Field("", description="RFC 3161 timestamp authority; needed for PAdES B-T and above")
    signature_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = Field("B-LT", description="Default PAdES level of new signatures")
    stamp_font: Path | None = Field(None, description="OpenType font for text stamps; empty = Liberation Serif (Times New Roman metrics)")
    renew_before_days: int = Field(
        90, description="Long-term documents get fresh revocation data and a new document timestamp this many days before the last timestamp's certificate expires"
    )
    renew_interval_hours: float = Field(24.0, description="Hours between checks for long-term signatures to renew; 0 = never")
    public_url: str = Field("", description="The public address printed in verification QR codes, e.g. https://sohoa.tinh.gov.vn; empty = the API's own")
    portal_url: str = Field("", description="National public-service portal endpoint that receives results; empty = results wait in the outbox")
    portal_token: SecretStr = Field(SecretStr(""), description="Bearer token for the portal endpoint")
    portal_interval_seconds: float = Field(30.0, description="Seconds between outbox delivery rounds; 0 = only on demand")
    portal_timeout_seconds: float = Field(10.0, description="Seconds to wait for the portal's answer before retrying later")
    retention_table: Path | None = Field(None, description="JSON file overriding the retention classes per document type (storage/archive.py's defaults)")
    fixity_interval_hours: float = Field(168.0, description="Hours between fixity checks of every stored object (sohoa.fixity); 0 = never")
    agency_id: str = Field("", description="This instance's own agency identifier (Decision 20/2020), the From of every envelope it sends")
    agency_name: str = Field("", description="This instance's agency name, shown in the envelopes it sends")
    exchange_signer: str = Field("", description="Keyring id of the agency key that signs outgoing envelopes and status messages")
    exchange_timeout_seconds: float = Field(30.0, description="Seconds to wait for another agency's instance to answer a delivery")
    exchange_ca_bundle: Path | None = Field(None, description="PEM bundle that https exchange endpoints are verified against; empty = the system's")
    exchange_interval_seconds: float = Field(5.0, description="Seconds between exchange delivery rounds in the embedded mode and celery beat; 0 = only on demand")
    exchange_retry_base_seconds: float = Field(30.0, description="First wait before a failed exchange delivery is retried; doubles each attempt, with jitter")
    exchange_max_envelope_bytes: int = Field(64 * 1024**2, description="Largest envelope the inbox accepts")
    secret_key: SecretStr = Field(
        SecretStr(""), description="Key that signs access tokens and share links (the same on every API node); empty = a random key kept in data_dir"
    )
    token_minutes: int = Field(60, description="Lifetime of a person's access token (JWT) in minutes")
    login_max_failures: int = Field(5, description="Failed logins per username within login_window_minutes before it is refused (HTTP 429)")
    login_window_minutes: int = Field(15, description="Window over which failed logins are counted, per username and per address")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as text (a terminal) or as JSON objects with request and batch ids (a log collector)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest level logged")
    metrics_dir: Path | None = Field(
        None, description="Directory shared by the API and the Celery workers of one host where each process keeps its Prometheus metrics; empty = this process's metrics only"
    )
    metrics_port: int = Field(
        0, description="Port on which a Celery worker serves its host's metrics (SOHOA_METRICS_DIR) itself, for worker hosts without an API; 0 = off"
    )
    metrics_networks: str = Field(
        "", description="Comma-separated networks (CIDR) allowed to read /metrics; empty = anyone who reaches the API"
    )
    host: str = Field("127.0.0.1", description="API bind address")
    port: int = Field(8000, description="API port")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("signing_keyring", "trust_anchors", "stamp_font", "retention_table", "exchange_ca_bundle", "metrics_dir",
                     mode="before")
    @classmethod
    def _unset(cls, v):
        """An empty variable (compose's ``${X:-}``) means unset, not the current directory."""
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'catalog.sqlite3'}"

    @property
    def worker_count(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)

    @property
    def embedded(self) -> bool:
        return not self.broker_url

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (tests build their own ``Settings`` instead)."""
    return Settings()


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, description) rows: feeds ``sohoa config`` and README's table."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            default = ""
        rows.append((f"SOHOA_{name.upper()}", str(default), field.description or ""))
    return rows
