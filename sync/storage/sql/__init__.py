"""The SQL store (SQLite and Postgres through SQLAlchemy Core).

`db` engines, migrations and error mapping; `store` the Store (pages, run log);
`coordination` its run-now queue (`queue`), leases (`leases`) and status (`status`);
`retention` pruning of old history. Mirrored over REST by sync.storage.rest.
"""
