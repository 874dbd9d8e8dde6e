"""Running syncs: one run skeleton shared by incremental and full runs (runner) and backfills.

`skeleton` records every run of one entity from a frozen `context.RunContext` (store,
clock, stop flag, `lease.EntityLease`, page callback); `runner` walks the version feed,
`backfill` walks /search by date, and `reconcile` compares the copy with Lightspeed.
`decode` turns Lightspeed's answers into pages (the one meaning of "plain"), `pages`
writes them, `isolation` bisects a page the database refuses.
"""
