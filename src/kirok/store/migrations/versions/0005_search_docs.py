"""search_docs: one keyed search row per record (SQLite FTS5 / PostgreSQL GIN) replaces text_grams

Revision ID: 0005
Revises: 0004

The tokens are the first 64 bits of the gram digests ``text_grams`` held, so the index is carried
over without the key. A downgrade cannot restore the 128-bit digests from the tokens: it brings
back an empty ``text_grams``; ``kirok keys rotate`` rebuilds it (see docs/adr/0005).

On SQLite ``blind_index`` becomes a WITHOUT ROWID table: its rows live in the primary-key B-tree
itself instead of in a rowid table plus that B-tree, one write fewer per name and a fifth less
space.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_UP = [
    # External content: FTS5 reads nothing back from search_docs for a query; detail=none and
    # columnsize=0 keep only which rows hold each token (no positions, no lengths).
    "CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_docs', "
    "content_rowid='doc', detail='none', columnsize=0, tokenize='ascii')",
    # New rows enter the FTS index from kirok.store.search, in bulk after the rows themselves:
    # an insert trigger would run each row's FTS insert inside a statement savepoint, at which
    # FTS5 writes out its pending postings, five times slower. Removing and changing rows is
    # rare, so triggers mirror those, whoever does them (a cascade from records included).
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.doc, old.tokens); "
    "END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.doc, old.tokens); "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.doc, new.tokens); END",
    "INSERT INTO search_docs (record_id, tokens) "
    "SELECT record_id, group_concat(token, ' ') FROM "
    "(SELECT DISTINCT record_id, substr(gram, 1, 16) AS token FROM text_grams "
    "ORDER BY record_id, token) GROUP BY record_id",
    "INSERT INTO search_fts(rowid, tokens) SELECT doc, tokens FROM search_docs",
]
_SQLITE_DOWN = [
    "DROP TRIGGER search_docs_au",
    "DROP TRIGGER search_docs_ad",
    "DROP TABLE search_fts",
]
_POSTGRES_UP = [
    "CREATE INDEX ix_search_docs_tokens ON search_docs USING gin (tokens)",
    # hex → signed bigint, the two's complement reading kirok.store.search uses
    "INSERT INTO search_docs (record_id, tokens) "
    "SELECT record_id, array_agg(DISTINCT ('x' || substr(gram, 1, 16))::bit(64)::bigint) "
    "FROM text_grams GROUP BY record_id",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_docs",
        sa.Column("doc", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column(
            "tokens",
            sa.Text().with_variant(postgresql.ARRAY(sa.BigInteger()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_search_docs_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("record_id", name=op.f("uq_search_docs_record_id")),
    )
    for statement in _SQLITE_UP if dialect == "sqlite" else _POSTGRES_UP:
        op.execute(statement)
    with op.batch_alter_table("text_grams", schema=None) as batch_op:
        batch_op.drop_index("ix_text_grams_record_id")
    op.drop_table("text_grams")
    if dialect == "sqlite":
        _rebuild_blind_index(with_rowid=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "text_grams",
        sa.Column("gram", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_text_grams_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gram", "record_id", name=op.f("pk_text_grams")),
    )
    with op.batch_alter_table("text_grams", schema=None) as batch_op:
        batch_op.create_index("ix_text_grams_record_id", ["record_id"], unique=False)
    if dialect == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
        _rebuild_blind_index(with_rowid=True)
    op.drop_table("search_docs")


def _rebuild_blind_index(*, with_rowid: bool) -> None:
    op.create_table(
        "blind_index_rebuilt",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_blind_index_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "field", "digest", name=op.f("pk_blind_index")),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        "INSERT INTO blind_index_rebuilt (record_id, field, digest) "
        "SELECT record_id, field, digest FROM blind_index"
    )
    op.drop_table("blind_index")
    op.rename_table("blind_index_rebuilt", "blind_index")
    op.create_index("ix_blind_index_field_digest", "blind_index", ["field", "digest"])
