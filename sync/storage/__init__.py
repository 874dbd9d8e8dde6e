"""Where the copy lives: the tables, the store protocols, and the SQL and REST stores.

What lives where:

- `protocols`: what the engine and the scheduler need from a store, one Protocol per role
  (`PageWriter`: pages and the run log; `RunQueue`; `Leasing` and `LeaseManager`;
  `StatusBoard`: heartbeat and status report; `SqlAccess`: `store.sql`, the engine or
  None over REST) and `SyncStore`, all of them together.
- `backend`: `open_store` (the configured store, its schema checked) and
  `uses_supabase_rest`.
- `schema`: the SQLAlchemy Core tables, the one description of the database.
- Rules and values both stores share: `leasing` (lease holders, dead leases),
  `queueing` (run-now requests: validation, claims, orphans), `runlog` (Progress,
  RunInfo, Outcome and the sync_log / sync_state values), `status_report` (the status
  report built from rows), `migrations` (the shipped migration files), `jsoncodec`
  (JSON with exact decimals).
- `sql/`: the store over SQLAlchemy (SQLite, Postgres): `db` (engines, migrations,
  error mapping), `store` (Store: pages, run log), `coordination` (SqlCoordination over
  `leases`, `queue`, `status`), and `retention` (pruning, SQL only).
- `rest/`: the same store over a Supabase project's REST API, file for file: `db`
  (client, error mapping, schema version), `store` (RestStore), `coordination`
  (RestCoordination over `leases`, `queue`, `status`).

`sql/` and `rest/` never import each other; both import the shared modules above.
"""
