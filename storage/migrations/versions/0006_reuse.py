"""reuse: agencies, dossier receipt and counters, results, uses, share links, tombstones, fixity, outbox

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("procedure", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("holder_id", sa.String(length=13), nullable=True))
        batch.add_column(sa.Column("holder_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="received"))
        batch.add_column(sa.Column("settled_at", TZ, nullable=True))
        batch.create_index("ix_dossiers_holder_id", ["holder_id"])
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("retention_class", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("changed_at", TZ, nullable=False, server_default=sa.func.now()))
        batch.create_index("ix_documents_changed_at", ["changed_at"])
    op.create_table(
        "dossier_counters",
        sa.Column("agency_id", sa.String(length=35), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(length=35), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.String(length=35), sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_agencies_parent_id", "agencies", ["parent_id"])
    op.create_table(
        "results",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("document_id", sa.String(length=32), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("copy_id", sa.String(length=32), sa.ForeignKey("certified_copies.id"), nullable=True),
        sa.Column("holder_id", sa.String(length=13), nullable=False),
        sa.Column("holder_kind", sa.String(length=16), nullable=False),
        sa.Column("holder_name", sa.String(length=255), nullable=True),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("agency_id", sa.String(length=35), nullable=True),
        sa.Column("dossier_code", sa.String(length=64), nullable=True),
        sa.Column("issued", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="valid"),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("replaced_by", sa.String(length=32), sa.ForeignKey("results.id"), nullable=True),
        sa.Column("verify_code", sa.String(length=32), nullable=False, unique=True),
        sa.Column("disclosed", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    for col in ("document_id", "holder_id", "doc_type", "dossier_code"):
        op.create_index(f"ix_results_{col}", "results", [col])
    op.create_table(
        "result_uses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("result_id", sa.String(length=32), sa.ForeignKey("results.id"), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.String(length=35), nullable=True),
        sa.Column("by", sa.String(length=128), nullable=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_result_uses_result_id", "result_uses", ["result_id"])
    op.create_index("ix_result_uses_dossier_code", "result_uses", ["dossier_code"])
    op.create_table(
        "share_links",
        sa.Column("token", sa.String(length=64), primary_key=True),
        sa.Column("document_id", sa.String(length=32), sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("result_id", sa.String(length=32), sa.ForeignKey("results.id"), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_share_links_document_id", "share_links", ["document_id"])
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("sha256s", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("retention_class", sa.String(length=32), nullable=True),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_tombstones_document_id", "tombstones", ["document_id"])
    op.create_table(
        "object_checks",
        sa.Column("sha256", sa.String(length=64), primary_key=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("checked_at", TZ, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False, unique=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
    )
    op.create_index("ix_outbox_attempts_message_id", "outbox_attempts", ["message_id"])


def downgrade() -> None:
    for table in ("outbox_attempts", "outbox", "object_checks", "tombstones", "share_links", "result_uses",
                  "results", "agencies", "dossier_counters"):
        op.drop_table(table)
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_changed_at")
        batch.drop_column("changed_at")
        batch.drop_column("retention_class")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_holder_id")
        for col in ("settled_at", "status", "due", "holder_name", "holder_id", "procedure"):
            batch.drop_column(col)
