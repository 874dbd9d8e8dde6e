"""The long-running scheduler service and its heartbeat."""
