"""The Supabase REST store (supabase-py / PostgREST), mirroring sync.storage.sql file for file.

`db` the client, error mapping and schema version; `store` the RestStore (pages through
the `sync_apply_page` function, run log); `coordination` its run-now queue (`queue`),
leases (`leases`) and status (`status`). No retention: pruning needs SQL.
"""
