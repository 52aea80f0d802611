"""The catalog: batches, scanned pages and documents, in SQLAlchemy 2 (SQLite embedded, PostgreSQL in production).

Rows are the truth about what exists; objects (page images, text layers, PDFs) live in the object store by
SHA-256. A document row is written in the same transaction as its page links, after its PDF is stored, so a
document is either wholly visible or not at all.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    true,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


def record_fields(record: dict | None) -> dict:
    """The extracted fields of a document record: ``Document.fields`` holds ``{"type": …, "fields": {name:
    {"value": …, "page": …, "box": …}}}``, as ``ingest.documents.understand`` writes it."""
    inner = (record or {}).get("fields")
    return inner if isinstance(inner, dict) else {}


def record_value(record: dict | None, name: str) -> str | None:
    """One extracted field's value (None when missing or empty)."""
    value = record_fields(record).get(name)
    value = value.get("value") if isinstance(value, dict) else value
    return value if isinstance(value, str) and value.strip() else None


class Batch(Base):
    """What arrived together through one door (CLI run, watched file, API upload)."""

    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(16))  # cli | watch | api
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done partial failed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # "none", or "duplex": a simplex feeder's fronts then backs in reverse order, to be interleaved
    collate: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True, index=True)  # whose scans these are
    files: Mapped[list[BatchFile]] = relationship(back_populates="batch", order_by="BatchFile.position")


class BatchFile(Base):
    """One file of a batch and what became of it."""

    __tablename__ = "batch_files"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))  # sanitised; shown, never used as a path
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mime: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(8), default="")
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done duplicate failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    batch: Mapped[Batch] = relationship(back_populates="files")


class ScanPage(Base):
    """The work done on one page of one source file; keyed by content so retries never repeat it."""

    __tablename__ = "scan_pages"
    __table_args__ = (UniqueConstraint("source_sha256", "number", name="uq_scan_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1-based
    status: Mapped[str] = mapped_column(String(16))  # ok | blank | ocr_failed | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    width_px: Mapped[int] = mapped_column(Integer, default=0)
    height_px: Mapped[int] = mapped_column(Integer, default=0)
    dpi: Mapped[float] = mapped_column(Float, default=0)
    source_dpi: Mapped[float] = mapped_column(Float, default=0)
    rotation: Mapped[int] = mapped_column(Integer, default=0)
    skew_deg: Mapped[float] = mapped_column(Float, default=0)
    mean_conf: Mapped[float] = mapped_column(Float, default=-1)
    text: Mapped[str] = mapped_column(Text, default="")
    text_folded: Mapped[str] = mapped_column(Text, default="")
    image_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text_layer_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    words_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0)
    # what batch splitting needs from the page: barcodes found ({"codes": [...]}), computed by the page worker
    signals: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """A digitized document: a searchable PDF plus the original upload kept byte for byte.

    One scanned file may hold several documents (a whole dossier in the feeder): ``part`` numbers them in
    feed order. A document merged into another by a clerk stays as ``state="superseded"`` so its history
    survives; only ``visible`` documents are listed and searched.
    """

    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    part: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    state: Mapped[str] = mapped_column(String(16), default="visible", server_default="visible")
    split_confidence: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    dossier_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True, index=True)  # the owner, from its batch
    meta_folded: Mapped[str] = mapped_column(Text, default="", server_default="")  # folded metadata, for search
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(BigInteger, default=0)
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    mime: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    pdfa: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(16), default="vi")
    mean_conf: Mapped[float] = mapped_column(Float, default=-1)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    doc_type: Mapped[str] = mapped_column(String(32), default="khac", server_default="khac", index=True)
    type_confidence: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    fields: Mapped[dict | None] = mapped_column(JSON, default=dict, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # what the retention period is counted from and for (storage.archive's classes); null = by document type
    retention_class: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # any change of the row: a search index kept beside an API node catches up from here
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True)
    pages: Mapped[list[DocumentPage]] = relationship(order_by="DocumentPage.position", cascade="all")

    def field_value(self, name: str) -> str | None:
        return record_value(self.fields, name)


class DocumentPage(Base):
    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_document_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based
    scan_page_id: Mapped[int] = mapped_column(ForeignKey("scan_pages.id"))
    scan_page: Mapped[ScanPage] = relationship()


class Correction(Base):
    """A clerk's change to a document's type or a field: the old value is kept, and it trains the model."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))  # "type" or a field name
    old: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    new: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Split(Base):
    """How one scanned file was cut into documents: written with those documents, in one transaction.

    ``plan`` = {"segments": [{"pages": [...], "confidence": .., "reasons": [...], "dossier": ..}],
    "blank_pages": [...], "separator_pages": [...], "order": [...]}; the row's unique key makes assembly
    idempotent when two workers race.
    """

    __tablename__ = "splits"
    source_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan: Mapped[dict] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Dossier(Base):
    """A dossier (hồ sơ thủ tục hành chính), coded ``<agency id>-YYMMDD-NNNN``.

    Either received at the one-stop desk (``storage.dossiers.receive`` numbers it without gaps) or first seen
    on a separator sheet; procedure, holder and due date are known in the first case only.
    """

    __tablename__ = "dossiers"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(35))
    received: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[str | None] = mapped_column(String(255), nullable=True)  # thủ tục hành chính
    holder_id: Mapped[str | None] = mapped_column(String(13), nullable=True, index=True)  # personal ID or tax code
    holder_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="received", server_default="received")
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DossierCounter(Base):
    """The last sequence number given to an agency's dossiers on one day: the row every receipt locks."""

    __tablename__ = "dossier_counters"
    agency_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Agency(Base):
    """An agency by its electronic identifier (Decision 20/2020/QĐ-TTg), in its parent/child tree."""

    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Result(Base):
    """A result (kết quả) issued to a holder — licence, certificate, decision — reusable until it lapses.

    ``document_id`` is the digitized or certified electronic copy; ``status`` is valid, revoked or replaced
    (``replaced_by`` then names the newer result). ``verify_code`` is the short code printed as a QR code.
    """

    __tablename__ = "results"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    copy_id: Mapped[str | None] = mapped_column(ForeignKey("certified_copies.id"), nullable=True)
    holder_id: Mapped[str] = mapped_column(String(13), index=True)
    holder_kind: Mapped[str] = mapped_column(String(16))  # personal_id | tax_code
    holder_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    doc_type: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    issued: Mapped[date | None] = mapped_column(Date, nullable=True)
    expires: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="valid", server_default="valid")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(ForeignKey("results.id"), nullable=True)
    verify_code: Mapped[str] = mapped_column(String(32), unique=True)
    disclosed: Mapped[list] = mapped_column(JSON, default=list)  # fields the holder agreed to show on /verify
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # a revocation or replacement: the search index beside each API node catches up from here
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, index=True)


class ResultUse(Base):
    """An agency attached a prior result to a new dossier by reference: who, when, for which dossier."""

    __tablename__ = "result_uses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(35), nullable=True)
    by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ShareLink(Base):
    """A time-limited link to one document, made by its holder; the token is random and unguessable."""

    __tablename__ = "share_links"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    result_id: Mapped[str | None] = mapped_column(ForeignKey("results.id"), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Tombstone(Base):
    """What remains of a document deleted after its retention period: who, when, why, what it was."""

    __tablename__ = "tombstones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(32), index=True)
    sha256s: Mapped[list] = mapped_column(JSON, default=list)  # the objects removed
    record: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # type, number, title, dates: not the content
    retention_class: Mapped[str | None] = mapped_column(String(32), nullable=True)
    by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ObjectCheck(Base):
    """The last fixity check of one stored object: ok, changed, missing (changed/missing are quarantined)."""

    __tablename__ = "object_checks"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMessage(Base):
    """A message to deliver to another system (the national portal), sent until acknowledged, exactly once.

    ``idempotency_key`` is unique: queueing the same result twice is one message, and the receiver sees the
    same key on every retry, so a retry after a lost answer is not a second delivery."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destination: Mapped[str] = mapped_column(String(32))  # portal
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending sending sent dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OutboxAttempt(Base):
    """One delivery attempt of an outbox message, kept as its record."""

    __tablename__ = "outbox_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0)


class ClassifierModel(Base):
    """A trained document-type model, stored in the object store; the newest ``active`` one is used."""

    __tablename__ = "classifier_models"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    info: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class DocumentVersion(Base):
    """One PDF a document has been: the digitized one first, then each signed or renewed one.

    Versions are only ever added: a signature makes a new version and the one before it stays, byte for byte,
    in the object store. ``Document.pdf_sha256`` is always the newest version's PDF.
    """

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 = as digitized
    kind: Mapped[str] = mapped_column(String(24))  # digitized | personal | agency | renewal
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(BigInteger, default=0)
    signer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # keyring id, never a secret
    signer_name: Mapped[str | None] = mapped_column(String(255), nullable=True)  # certificate common name
    level: Mapped[str | None] = mapped_column(String(8), nullable=True)  # PAdES level
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignJob(Base):
    """A request to sign a document (or make a certified copy), queued and run by a worker."""

    __tablename__ = "sign_jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # sign | certified_copy | renew
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)  # personal | agency
    signer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    options: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # level, appearance, box: never a PIN
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # version number or copy id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CertifiedCopy(Base):
    """A certified electronic copy (SAO Y, TRÍCH SAO, SAO LỤC) of a document, signed by the copying agency.

    Its number (``Số: 05/SY-UBND``) runs per copying agency and year; the unique key keeps it gap-free and
    unique when two clerks certify at once (the loser retries with the next number).
    """

    __tablename__ = "certified_copies"
    __table_args__ = (UniqueConstraint("agency", "year", "number", name="uq_certified_copy_number"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    form: Mapped[str] = mapped_column(String(16))  # SAO Y | TRÍCH SAO | SAO LỤC
    agency: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    notation: Mapped[str] = mapped_column(String(64))  # "05/SY-UBND"
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(BigInteger, default=0)
    signer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verify_code: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)  # printed as a QR code
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Catalog:
    """Engine and sessions for one database URL, with the schema migrated to the latest version."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        kwargs: dict = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (API) never block the writer (pipeline)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def schema_revisions(engine: Engine) -> tuple[set[str], set[str], set[str]]:
    """(revisions the database is at, revisions the code's migrations end at, every revision the code knows),
    touching nothing: for a check."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current, set(script.get_heads()), {r.revision for r in script.walk_revisions()}


def upgrade(engine: Engine) -> None:
    """Bring the schema to Alembic's head (creates it on a fresh database)."""
    from alembic import command

    if engine.url.drivername.startswith("sqlite") and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
