"""The SQL store (SQLite and Postgres through SQLAlchemy Core).

Engines and migrations, page writes, run-now queue, leases, status reads, retention.
"""
