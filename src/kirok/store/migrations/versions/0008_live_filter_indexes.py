"""records: the list filters get live, kind-first indexes that hold what a count needs

Revision ID: 0008
Revises: 0007

Every list names a kind, reads live records only and filters on the confidentiality levels the
caller may read; its other filters are a place, a date span or vocabulary terms. The single-column
indexes on ``place_id``, ``date_from``, ``date_to`` and ``term`` left the planner a choice between
reading every record of the kind and reading the rows behind a column index one by one: with
100,000 events, counting one place's events took 90-150 ms and one year's 110-140 ms on SQLite.
Partial indexes ``(kind, place_id, confidentiality)``, ``(kind, date_from, date_to,
confidentiality)`` and ``(kind, term, date_from, confidentiality)`` answer such a count from the
index alone (0.1 ms and 12 ms), the last also the dashboard's acts per type and year. ``(kind,
id)`` serves ``iter_kind``, which walks a kind in id order: without it, once the statistics said
a kind was large on average, SQLite walked the primary key over every record to find 96 places.
The single-column indexes they supersede go.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")
_NEW = {
    "ix_records_live_kind_id": ["kind", "id"],
    "ix_records_live_kind_place_id_confidentiality": ["kind", "place_id", "confidentiality"],
    "ix_records_live_kind_date_from_date_to_confidentiality": [
        "kind",
        "date_from",
        "date_to",
        "confidentiality",
    ],
    "ix_records_live_kind_term_date_from_confidentiality": [
        "kind",
        "term",
        "date_from",
        "confidentiality",
    ],
}
_OLD = {
    "ix_records_place_id": ["place_id"],
    "ix_records_date_from": ["date_from"],
    "ix_records_date_to": ["date_to"],
    "ix_records_term": ["term"],
}


def upgrade() -> None:
    for name, columns in _NEW.items():
        op.create_index(op.f(name), "records", columns, sqlite_where=_LIVE, postgresql_where=_LIVE)
    for name in _OLD:
        op.drop_index(op.f(name), table_name="records")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=1000")
    op.execute("ANALYZE records")


def downgrade() -> None:
    for name, columns in _OLD.items():
        op.create_index(op.f(name), "records", columns)
    for name in _NEW:
        op.drop_index(op.f(name), table_name="records")
