"""progress: digest_schedule (when each opted-in chat's weekly summary or nudge is due)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_schedule",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_digest_schedule_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "kind", name=op.f("pk_digest_schedule")),
    )
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.create_index("ix_digest_schedule_due_at", ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_schedule_due_at")
    op.drop_table("digest_schedule")
