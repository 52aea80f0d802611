"""one scan, several documents: splits, dossiers, page signals, metadata search, classifier models

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# 0001 left the documents.source_sha256 unique constraint unnamed; this names it the way each dialect did.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    bind = op.get_bind()
    uq_name = "documents_source_sha256_key" if bind.dialect.name == "postgresql" else "uq_documents_source_sha256"
    with op.batch_alter_table("documents", naming_convention=_NAMING) as batch:
        batch.drop_constraint(uq_name, type_="unique")
        batch.add_column(sa.Column("part", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("state", sa.String(length=16), nullable=False, server_default="visible"))
        batch.add_column(sa.Column("split_confidence", sa.Float(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("dossier_code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("meta_folded", sa.Text(), nullable=False, server_default=""))
        batch.create_index("ix_documents_source_sha256", ["source_sha256"])
        batch.create_index("ix_documents_dossier_code", ["dossier_code"])
    with op.batch_alter_table("scan_pages") as batch:
        batch.add_column(sa.Column("signals", sa.JSON(), nullable=True))
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("collate", sa.String(length=16), nullable=False, server_default="none"))
    op.create_table(
        "splits",
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_sha256"),
    )
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.String(length=35), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "classifier_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("info", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("classifier_models")
    op.drop_table("dossiers")
    op.drop_table("splits")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("collate")
    with op.batch_alter_table("scan_pages") as batch:
        batch.drop_column("signals")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_dossier_code")
        batch.drop_index("ix_documents_source_sha256")
        for col in ("meta_folded", "dossier_code", "split_confidence", "state", "part"):
            batch.drop_column(col)
        batch.create_unique_constraint("uq_documents_source_sha256", ["source_sha256"])
