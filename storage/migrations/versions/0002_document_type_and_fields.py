"""document type, its confidence, the review flag and the extracted fields

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("doc_type", sa.String(length=32), nullable=False, server_default="khac"))
        batch.add_column(sa.Column("type_confidence", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch.create_index("ix_documents_doc_type", ["doc_type"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_doc_type")
        for col in ("fields", "needs_review", "type_confidence", "doc_type"):
            batch.drop_column(col)
