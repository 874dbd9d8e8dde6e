"""The SQL store (SQLite and Postgres through SQLAlchemy Core).

`db` engines, migrations and error mapping; `store` the Store, made of `run_log` (sync_log
and sync_state), `page_writes` (a page per transaction) and `queue` (the run-now queue's
I/O), with `leases`, `status` (heartbeat) and `reads` (the read model); `retention`
pruning of old history. Mirrored over REST by sync.storage.rest.
"""
