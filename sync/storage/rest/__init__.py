"""The Supabase REST store (supabase-py / PostgREST), mirroring sync.storage.sql file for file.

`db` the client, error mapping and schema version; `store` the RestStore, made of
`run_log`, `page_writes` (a page per call to the `sync_apply_page` function) and `queue`,
with `leases`, `status` and `reads`. No retention: pruning needs SQL.
"""
