"""The long-running service: `scheduler` (the loop: scheduled syncs, run-now queue, nightly
maintenance, alerts, clean shutdown), `plan` (which jobs the settings ask for, pure) and
`heartbeat` (the liveness row: alive, current activity, next run)."""
