"""exchange: the address book of agencies, envelopes sent per recipient, envelopes received, status messages

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "exchange_agencies",
        sa.Column("id", sa.String(length=35), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("cert_sha256", sa.String(length=64), nullable=False),
        sa.Column("cert_subject", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "exchange_sent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("envelope_id", sa.String(length=32), nullable=False, index=True),
        sa.Column("to_agency", sa.String(length=35), nullable=False, index=True),
        sa.Column("document_id", sa.String(length=32), sa.ForeignKey("documents.id"), nullable=True, index=True),
        sa.Column("business_type", sa.Integer(), nullable=False),
        sa.Column("ref_envelope_id", sa.String(length=32), nullable=True, index=True),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, index=True),
        sa.Column("status", sa.String(length=2), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("envelope_id", "to_agency", name="uq_exchange_sent"),
    )
    op.create_table(
        "exchange_received",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("envelope_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column("envelope_id", sa.String(length=32), nullable=True, index=True),
        sa.Column("from_agency", sa.String(length=35), nullable=True, index=True),
        sa.Column("authenticated", sa.Boolean(), nullable=False),
        sa.Column("business_type", sa.Integer(), nullable=True),
        sa.Column("ref_envelope_id", sa.String(length=32), nullable=True),
        sa.Column("document_id", sa.String(length=32), sa.ForeignKey("documents.id"), nullable=True, index=True),
        sa.Column("header", sa.JSON(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, index=True),
        sa.Column("status", sa.String(length=2), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("answer_code", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("replaced_by", sa.String(length=32), nullable=True),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "exchange_statuses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("status_id", sa.String(length=32), nullable=False, unique=True),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("envelope_id", sa.String(length=32), nullable=False, index=True),
        sa.Column("agency_id", sa.String(length=35), nullable=False, index=True),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("staff", sa.String(length=128), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("message_sha256", sa.String(length=64), nullable=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_outbox_destination_state", "outbox", ["destination", "state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_destination_state", table_name="outbox")
    op.drop_table("exchange_statuses")
    op.drop_table("exchange_received")
    op.drop_table("exchange_sent")
    op.drop_table("exchange_agencies")
