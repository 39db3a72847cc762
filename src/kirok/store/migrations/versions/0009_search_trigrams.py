"""kirok_meta: which grams the search index holds ("2": bigrams; "2+3": bigrams and trigrams)

Revision ID: 0009
Revises: 0008

Records written from this revision on are indexed under their words' trigrams as well as their
bigrams, and a query for a word of three characters or more asks for its trigrams, which few
unrelated records share. Tokens are keyed under the master key, so a migration cannot compute
them: a database that already holds indexed records is marked "2", and searches keep asking for
bigrams (correct, only less selective) until ``kirok reindex`` has rebuilt every record's row
and marks it "2+3". An empty database starts at "2+3".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY = "search_grams"


def upgrade() -> None:
    connection = op.get_bind()
    indexed = connection.execute(sa.text("SELECT 1 FROM search_docs LIMIT 1")).first()
    connection.execute(
        sa.text("INSERT INTO kirok_meta (key, value) VALUES (:key, :value)"),
        {"key": KEY, "value": "2" if indexed is not None else "2+3"},
    )


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM kirok_meta WHERE key = :key"), {"key": KEY})
