-- Migration 0003: the role the dashboard reads through (DASHBOARD_DATABASE_URL).
-- It may SELECT every table, and INSERT only into sync_requests ("Sync now").
-- Roles belong to the whole cluster, so it is created only when absent; log in as a
-- member of it, e.g.  CREATE ROLE dashboard LOGIN PASSWORD '...' IN ROLE dashboard_reader;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dashboard_reader') THEN
        CREATE ROLE dashboard_reader NOLOGIN;
    END IF;
EXCEPTION
    -- Another database of this cluster created it at the same moment.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO dashboard_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO dashboard_reader;
GRANT INSERT ON sync_requests TO dashboard_reader;

DO $$
BEGIN
    -- (string concatenation, not format(): the driver would read a percent sign as a
    -- parameter placeholder)
    EXECUTE 'GRANT USAGE ON SEQUENCE ' || pg_get_serial_sequence('sync_requests', 'id')
        || ' TO dashboard_reader';
END
$$;

-- Tables added by later migrations (run as this same owner) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO dashboard_reader;
