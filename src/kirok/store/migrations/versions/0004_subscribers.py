"""subscribers: the mailing list of published reports, addresses sealed

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("email_digest", sa.String(64), nullable=False),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_subscribers")),
    )
    op.create_index(op.f("ix_subscribers_state"), "subscribers", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subscribers_state"), table_name="subscribers")
    op.drop_table("subscribers")
