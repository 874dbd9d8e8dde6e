"""Where the copy lives: the tables, the store protocols, and the SQL and REST stores.

What lives where:

- `protocols`: what the engine, the scheduler and the alerts need from a store, one
  Protocol per role (`RunLog`; `PageWriter`: pages; `RunQueue`; `Leasing` and
  `LeaseManager`; `StatusBoard`: heartbeat in, `read_snapshot` out; `Alerting` and
  `IncidentBook`: the alert incidents; `SqlAccess`: `store.sql`, the engine or None over
  REST) and `SyncStore`, all of them together.
- `backend`: `open_store` (the configured store, its schema checked) and
  `uses_supabase_rest`.
- `schema`: the SQLAlchemy Core tables, the one description of the database; `checks`:
  the CHECK constraints of the vocabulary columns (migration 0012), generated from
  sync/runs.py.
- Rules and values both stores share: `reads` (the read model's rules: streaks, baselines,
  24 h groups), `incidents` (incident rows, what is owed), `leasing` (lease holders, dead
  leases), `queueing` (what a run-now request may ask), `request_queue` (the queue's merges,
  claims and orphans, over each store's I/O), `runlog` (Progress,
  RunInfo, Outcome and the sync_log / sync_state values), `status_report` (the status
  report, a pure function of a RunLogSnapshot), `migrations` (the shipped migration
  files), `jsoncodec` (JSON with exact decimals).
- `sql/`: the store over SQLAlchemy (SQLite, Postgres): `db` (engines, migrations,
  error mapping), `store` (Store: `run_log`, `page_writes`, `queue`, with `leases`, `status`,
  `reads`, `incidents`), `retention` (pruning), and the
  reads only SQL serves: `history` (History and Sync now pages, performance history),
  `alert_reads` (Alerts and data-trust pages), `bounded` (the API's time-bounded engine).
- `rest/`: the same store over a Supabase project's REST API, file for file: `db`
  (client, error mapping, schema version), `store` (RestStore: `run_log`,
  `page_writes`, `queue`, with `leases`, `status`, `reads`, `incidents`).

`sql/` and `rest/` never import each other; both import the shared modules above. Every
read and write of the database lives here, except the backfill estimate, the reconciler's
counts and `check`'s schema probe (not moved yet; the import-direction test lists them).
"""
