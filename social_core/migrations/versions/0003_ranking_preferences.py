"""ranking preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 13:23:55.301424
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import social_core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ranking_preferences",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friends", sa.Float(), server_default="1", nullable=False),
        sa.Column("popular", sa.Float(), server_default="1", nullable=False),
        sa.Column("fresh", sa.Float(), server_default="1", nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("updated_at", social_core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("ranking_preferences")
