"""records: the list-order index holds live records only, (kind, created_at, id, confidentiality)

Revision ID: 0007
Revises: 0006

PostgreSQL does not take ``deleted_at IS NULL`` for an equality when it matches an index's order
to an ORDER BY, so it sorted a whole kind past ``(kind, deleted_at, created_at, id)`` (0006). A
partial index ``(kind, created_at, id, confidentiality) WHERE deleted_at IS NULL`` is in list
order on both backends, and a list's own ``deleted_at IS NULL`` condition is what lets them use
it. Every list through the API filters on the confidentiality levels the caller may read; with
the level in the index a count no longer reads each record's row. The
planner's statistics on ``records`` are refreshed for the new index (sampled on SQLite, as
``RecordStore.analyze`` does).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        op.f("ix_records_live_kind_created_at_id_confidentiality"),
        "records",
        ["kind", "created_at", "id", "confidentiality"],
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.drop_index(op.f("ix_records_kind_deleted_at_created_at_id"), table_name="records")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=1000")
    op.execute("ANALYZE records")


def downgrade() -> None:
    op.create_index(
        op.f("ix_records_kind_deleted_at_created_at_id"),
        "records",
        ["kind", "deleted_at", "created_at", "id"],
    )
    op.drop_index(op.f("ix_records_live_kind_created_at_id_confidentiality"), table_name="records")
