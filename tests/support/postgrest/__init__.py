"""A PostgREST (v12, as run by Supabase) stand-in for tests, backed by a real Postgres.

supabase-py is pointed at `PostgrestStandIn.url`. Every request is recorded and checked
against PostgREST's documented protocol; anything the real server would reject or that
this stand-in cannot reproduce faithfully is appended to `violations` (tests assert it
stays empty). Legal requests are answered as PostgREST answers them: the SQL mirrors the
SQL PostgREST generates and runs in one transaction as the API key's role
(`SET LOCAL ROLE`, `request.jwt.claims`), so grants and Row-Level Security are enforced by
Postgres itself, and the JSON comes out of Postgres (`json_agg`) byte for byte.

The package: `parser` (protocol types and grammar, request validation), `sql` (the SQL
PostgREST would run, executed as the key's role) and `server` (HTTP, faults, recording).
"""

from tests.support.postgrest.parser import RecordedRequest
from tests.support.postgrest.server import PostgrestStandIn

__all__ = ["PostgrestStandIn", "RecordedRequest"]
