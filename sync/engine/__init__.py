"""Running syncs: one run skeleton shared by incremental and full runs (runner) and backfills.

`skeleton` records every run of one entity, `runner` walks the version feed, `backfill`
walks /search by date, and `reconcile` compares the copy with Lightspeed.
"""
