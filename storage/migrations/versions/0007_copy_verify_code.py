"""certified copies carry a verification code (printed on them as a QR code); results record their last change

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certified_copies") as batch:
        batch.add_column(sa.Column("verify_code", sa.String(length=32), nullable=True))
        batch.create_unique_constraint("uq_certified_copies_verify_code", ["verify_code"])
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch.create_index("ix_results_changed_at", ["changed_at"])


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_changed_at")
        batch.drop_column("changed_at")
    with op.batch_alter_table("certified_copies") as batch:
        batch.drop_constraint("uq_certified_copies_verify_code", type_="unique")
        batch.drop_column("verify_code")
