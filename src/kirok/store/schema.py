"""The physical schema (SQLAlchemy Core). Alembic migrations create it; this module names it.

All record kinds share one ``records`` table: common bookkeeping columns, a few indexed columns that
list filters use (primary vocabulary term, date span, place), the non-sensitive fields as JSON and
the sensitive ones sealed with the record's own data key. References between records live in
``record_refs`` with real foreign keys, so a dangling reference is refused by the database too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("confidentiality", sa.String(16), nullable=False),
    sa.Column("source", sa.String(200)),
    sa.Column("external_id", sa.String(200)),
    sa.Column("term", sa.String(64)),
    sa.Column("date_from", sa.Date),
    sa.Column("date_to", sa.Date),
    sa.Column("place_id", sa.String(64)),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("sealed", sa.LargeBinary),
    sa.Column("wrapped_key", sa.LargeBinary),
    sa.Column("created_by", sa.String(100)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("kind", "source", "external_id"),
    # a kind's live records in list order: a page reads only its rows, a count only the index
    # (lists through the API filter on the confidentiality levels the caller may read)
    sa.Index(
        "ix_records_live_kind_created_at_id_confidentiality",
        "kind",
        "created_at",
        "id",
        "confidentiality",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    ),
    # the list filters, each answering its count from the index alone (migration 0008); a
    # place's records also in list order (0010); the last also groups the dashboard's acts by
    # type and year; (kind, id) walks a kind by id
    *(
        sa.Index(
            f"ix_records_live_{'_'.join(columns)}",
            *columns,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        for columns in (
            ("kind", "id"),
            ("kind", "place_id", "created_at", "id", "confidentiality"),
            ("kind", "date_from", "date_to", "confidentiality"),
            ("kind", "term", "date_from", "confidentiality"),
        )
    ),
)

record_refs = sa.Table(
    "record_refs",
    metadata,
    sa.Column("record_id", sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("target_id", sa.ForeignKey("records.id"), nullable=False, index=True),
)

record_versions = sa.Table(
    "record_versions",
    metadata,
    sa.Column("record_id", sa.ForeignKey("records.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.String(100)),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("sealed", sa.LargeBinary),
)

# The keyed search index (``kirok.store.search``): one row per record with its gram tokens.
# ``doc`` is the row's number in SQLite's FTS5 index, which triggers keep in step with this
# table; PostgreSQL stores the tokens as ``bigint[]`` under a GIN index. Those per-backend
# objects are not SQLAlchemy tables: migration 0005 creates them, ``BACKEND_SEARCH_OBJECTS``
# names them.
search_docs = sa.Table(
    "search_docs",
    metadata,
    sa.Column("doc", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "record_id",
        sa.ForeignKey("records.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column(
        "tokens",
        sa.Text().with_variant(postgresql.ARRAY(sa.BigInteger), "postgresql"),
        nullable=False,
    ),
)

SQLITE_SEARCH_TABLE = "search_fts"
BACKEND_SEARCH_OBJECTS = {
    # the FTS5 table and the shadow tables FTS5 keeps its segments in
    "sqlite": frozenset(
        {SQLITE_SEARCH_TABLE, *(f"{SQLITE_SEARCH_TABLE}_{s}" for s in ("data", "idx", "config"))}
    ),
    "postgresql": frozenset({"ix_search_docs_tokens"}),
}

blind_index = sa.Table(
    "blind_index",
    metadata,
    sa.Column("record_id", sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Index("ix_blind_index_field_digest", "field", "digest"),
    sqlite_with_rowid=False,  # rows live in the key's B-tree (migration 0005)
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(100)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("entity", sa.String(40)),
    sa.Column("record_id", sa.String(64)),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

meta = sa.Table(
    "kirok_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# -- web users and API tokens (web application) ------------------------------------------------
# Failed logins are kept as a JSON list of ISO timestamps since the last successful login; the
# lockout rule itself lives in ``kirok.security.passwords``. API tokens are stored as SHA-256
# digests only: a copy of the database does not hand out working tokens.

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("clearance", sa.Integer, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("totp_secret", sa.Text),  # sealed with a data key of its own (services.users)
    sa.Column("totp_last_step", sa.Integer),  # a code is accepted once (RFC 6238 §5.2)
    sa.Column("failed_logins", sa.Text, nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# -- mailing-list subscribers (publishing) -----------------------------------------------------
# An address is personal data: it is sealed with a data key of its own and found through a keyed
# digest, like a blind index. The state machine (pending → confirmed → removed) lives in
# ``kirok.reports.publishing``.

subscribers = sa.Table(
    "subscribers",
    metadata,
    sa.Column("email_digest", sa.String(64), primary_key=True),
    sa.Column("email_sealed", sa.LargeBinary, nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
