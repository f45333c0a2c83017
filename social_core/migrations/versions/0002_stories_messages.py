"""stories messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:23:10.696595
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import social_core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("pair_key", sa.String(length=41), nullable=True),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", social_core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_key"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("media_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", social_core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_thread", ["thread_id", "id"], unique=False)

    op.create_table(
        "stories",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("media_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", social_core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", social_core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", social_core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("media_id"),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index("ix_stories_author_expires", ["author_id", "expires_at"], unique=False)
        batch_op.create_index("ix_stories_expires", ["expires_at"], unique=False)

    op.create_table(
        "thread_participants",
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("accepted", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("last_activity_id", sa.BigInteger(), nullable=True),
        sa.Column("last_read_message_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("joined_at", social_core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("thread_id", "user_id"),
    )
    with op.batch_alter_table("thread_participants", schema=None) as batch_op:
        batch_op.create_index("ix_thread_participants_inbox", ["user_id", "accepted", "last_activity_id"], unique=False)

    op.create_table(
        "story_views",
        sa.Column("story_id", sa.BigInteger(), nullable=False),
        sa.Column("viewer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", social_core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["viewer_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "viewer_id"),
    )
    with op.batch_alter_table("story_views", schema=None) as batch_op:
        batch_op.create_index("ix_story_views_story_created", ["story_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_views", schema=None) as batch_op:
        batch_op.drop_index("ix_story_views_story_created")

    op.drop_table("story_views")
    with op.batch_alter_table("thread_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_participants_inbox")

    op.drop_table("thread_participants")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index("ix_stories_expires")
        batch_op.drop_index("ix_stories_author_expires")

    op.drop_table("stories")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_thread")

    op.drop_table("messages")
    op.drop_table("threads")
