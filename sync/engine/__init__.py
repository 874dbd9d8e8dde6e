"""Running syncs: incremental and full runs, backfills, reconciliation against Lightspeed."""
