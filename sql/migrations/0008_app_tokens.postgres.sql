-- Migration 0008: the Lightspeed app's OAuth tokens (`python -m sync connect`).
-- One row, id 1, present from the start so that a refresh can always lock it
-- (SELECT ... FOR UPDATE). Only the writer may touch it: 0003's default privileges (revoked
-- by 0007) gave dashboard_reader SELECT on new tables, so any grant is revoked here; RLS is
-- on with no policy for anyone but the owner and service_role (Supabase's writer key,
-- which bypasses RLS). Not listed in sync_secure_tables(), which grants the reader SELECT.

CREATE TABLE IF NOT EXISTS lightspeed_app_tokens (
	id INTEGER NOT NULL, 
	domain_prefix TEXT, 
	access_token TEXT, 
	refresh_token TEXT, 
	expires_at BIGINT, 
	scope TEXT, 
	refreshed_at BIGINT, 
	connected_at TIMESTAMP WITH TIME ZONE, 
	PRIMARY KEY (id)
);

INSERT INTO lightspeed_app_tokens (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

ALTER TABLE lightspeed_app_tokens ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dashboard_reader', 'anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE 'REVOKE ALL ON lightspeed_app_tokens FROM ' || r;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT ALL ON lightspeed_app_tokens TO service_role;
    END IF;
END
$$;
