"""Who may reach what: dashboard login attempts, the tokens kept for Lightspeed, and the
health API's keys and the stores each may see."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Identity,
    Index,
    Table,
    Text,
)

from sync.storage.column_types import BigId, UtcDateTime
from sync.storage.schema.base import metadata

# Dashboard password checks: a row is taken before the check (outcome 'checking') and
# closed after it, so attempts in flight count against the limit (sync.auth). The database
# sets attempted_at and db_user (the login that took the row) itself (migration 0013).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("username", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("outcome", Text, nullable=False),  # checking/failed/succeeded/refused/unlocked
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("db_user", Text),
)
Index("ix_login_attempts_username", login_attempts.c.username, login_attempts.c.attempted_at)
Index("ix_login_attempts_client", login_attempts.c.client, login_attempts.c.attempted_at)

# The OAuth tokens of each store connected as an app (0008: one row; 0016: one row per store,
# written by `connect`), read only by the writer. The dashboard role has no privilege on it
# (0008 revokes it; RLS on Supabase).
lightspeed_app_tokens = Table(
    "lightspeed_app_tokens",
    metadata,
    Column("store", Text, primary_key=True),
    Column("domain_prefix", Text),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("expires_at", BigInteger),  # epoch seconds, as Lightspeed's `expires`
    Column("scope", Text),
    Column("refreshed_at", BigInteger),  # epoch seconds of the last exchange or refresh
    Column("connected_at", UtcDateTime()),
)

# The personal token of each store added with `store add` (migration 0017), read only by
# the writer: no read-only role has a privilege on it (RLS on, no policy).
lightspeed_store_tokens = Table(
    "lightspeed_store_tokens",
    metadata,
    Column("store", Text, primary_key=True),
    Column("token", Text, nullable=False),
    Column("saved_at", UtcDateTime(), nullable=False),
)

# Health API keys (migration 0010): only a SHA-256 hash of each key is kept. The API's role
# (sync_api) reads them and stamps last_used_at; dashboard_reader has no privilege on it.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False),
    Column("scope", Text, nullable=False),  # read / admin
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    CheckConstraint("scope IN ('read', 'admin')", name="ck_api_keys_scope"),
)
Index("ux_api_keys_name", api_keys.c.name, unique=True)
Index("ix_api_keys_prefix", api_keys.c.prefix)

# The stores each API key may see (migration 0019); a key with no row sees every store.
api_key_stores = Table(
    "api_key_stores",
    metadata,
    Column("key_id", BigInteger, primary_key=True),
    Column("store", Text, primary_key=True),
)
