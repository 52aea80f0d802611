"""accounts: users with roles in an agency (or a citizen by personal ID), machine API keys, login failures;
the agency that owns each batch and document

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("batches", "documents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("agency_id", sa.String(length=35), nullable=True))
            batch.create_index(f"ix_{table}_agency_id", ["agency_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("username", sa.String(length=64), nullable=False, unique=True),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("agency_id", sa.String(length=35), nullable=True, index=True),
        sa.Column("citizen_id", sa.String(length=12), nullable=True, unique=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("signer_key", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("password_changed_at", TZ, nullable=True),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("agency_id", sa.String(length=35), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("last_used_at", TZ, nullable=True),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(length=64), nullable=False, index=True),
        sa.Column("ip", sa.String(length=64), nullable=True, index=True),
        sa.Column("at", TZ, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("api_keys")
    op.drop_table("users")
    for table in ("documents", "batches"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_agency_id")
            batch.drop_column("agency_id")
