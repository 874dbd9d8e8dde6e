-- Migration 0017: the personal token of each store added with `python -m sync store add`
-- (issue 27), one row per store, kept in the database and never in .env. Like the app's
-- tokens (0008), only the writer may touch it: any grant the read-only roles could have
-- is revoked, RLS is on with no policy (only the owner and Supabase's service_role, which
-- bypasses RLS, reach it), and it is not listed in sync_secure_tables().

CREATE TABLE IF NOT EXISTS lightspeed_store_tokens (
	store TEXT NOT NULL, 
	token TEXT NOT NULL, 
	saved_at TIMESTAMP WITH TIME ZONE NOT NULL, 
	PRIMARY KEY (store)
);

ALTER TABLE lightspeed_store_tokens ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dashboard_reader', 'sync_api', 'anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE 'REVOKE ALL ON lightspeed_store_tokens FROM ' || r;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT ALL ON lightspeed_store_tokens TO service_role;
    END IF;
END
$$;
