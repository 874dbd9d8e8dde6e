-- Migration 0019: API keys limited to some stores (issue 27, tenant isolation). Each row
-- lets one key see one store; a key with no row sees every store, as every key made
-- before this migration does. Like api_keys (0010), only the writer changes it: the API's
-- role (sync_api) may read it, dashboard_reader and Supabase's anon and authenticated get
-- nothing, RLS is on, and it is not listed in sync_secure_tables().
-- There is no foreign key to lightspeed_stores on purpose: removing a store must never
-- turn a key limited to it into a key that sees everything.

CREATE TABLE IF NOT EXISTS api_key_stores (
	key_id BIGINT NOT NULL, 
	store TEXT NOT NULL, 
	PRIMARY KEY (key_id, store)
);

ALTER TABLE api_key_stores ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dashboard_reader', 'sync_api', 'anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE 'REVOKE ALL ON public.api_key_stores FROM ' || r;
        END IF;
    END LOOP;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT ALL ON public.api_key_stores TO service_role;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sync_api') THEN
        GRANT SELECT ON public.api_key_stores TO sync_api;
        DROP POLICY IF EXISTS sync_api_select ON public.api_key_stores;
        CREATE POLICY sync_api_select ON public.api_key_stores
            FOR SELECT TO sync_api USING (true);
    END IF;
END
$$;
