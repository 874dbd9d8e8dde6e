-- Migration 0013: the database, not the roles that use them, keeps the login throttle and
-- the run-now queue within bounds (issue 24).
--
--  * login_attempts: a trigger dates every new row with now() and records the login that
--    took it (db_user); a date chosen by the inserting role is ignored. An attempt's
--    outcome may only move from 'checking' to 'failed' or 'succeeded', on the row the same
--    login took, within a minute; nothing else of a row may change (for every role).
--    dashboard_reader (and sync_api, its member) may insert 'checking' and 'refused' rows
--    and close them, nothing else: no other column, no delete, no 'unlocked' row (that is
--    the writer's `python -m sync unlock`).
--  * sync_requests: reason at most 500 characters, requested_by at most 100; at most 30
--    requests per requested_by per hour (a merged duplicate inserts nothing, so it counts
--    once). Both checked by a trigger for every role.
-- No percent signs in this file: the driver would take them for placeholders.

ALTER TABLE login_attempts ADD COLUMN IF NOT EXISTS db_user TEXT;
ALTER TABLE login_attempts ALTER COLUMN attempted_at SET DEFAULT now();
ALTER TABLE login_attempts ALTER COLUMN db_user SET DEFAULT current_user;

CREATE OR REPLACE FUNCTION login_attempts_stamp() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    NEW.attempted_at := now();
    NEW.db_user := current_user;
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS login_attempts_stamp ON login_attempts;
CREATE TRIGGER login_attempts_stamp BEFORE INSERT ON login_attempts
    FOR EACH ROW EXECUTE FUNCTION login_attempts_stamp();

CREATE OR REPLACE FUNCTION login_attempts_close() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.username IS DISTINCT FROM OLD.username
        OR NEW.client IS DISTINCT FROM OLD.client
        OR NEW.attempted_at IS DISTINCT FROM OLD.attempted_at
        OR NEW.db_user IS DISTINCT FROM OLD.db_user THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'Only the outcome of a login attempt may change.';
    END IF;
    IF OLD.outcome <> 'checking' OR NEW.outcome NOT IN ('failed', 'succeeded') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'A login attempt may only go from checking to failed or succeeded.';
    END IF;
    IF OLD.db_user IS DISTINCT FROM current_user THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'A login attempt may only be closed by the login that took it.';
    END IF;
    IF OLD.attempted_at < now() - interval '1 minute' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'A login attempt may only be closed within a minute.';
    END IF;
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS login_attempts_close ON login_attempts;
CREATE TRIGGER login_attempts_close BEFORE UPDATE ON login_attempts
    FOR EACH ROW EXECUTE FUNCTION login_attempts_close();

CREATE INDEX IF NOT EXISTS ix_sync_requests_requested_by ON sync_requests (requested_by, requested_at);

-- SECURITY DEFINER: the count must see every row, whatever the caller may read.
CREATE OR REPLACE FUNCTION sync_requests_limits() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
    recent integer;
BEGIN
    IF length(NEW.reason) > 500 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'A request''s reason is at most 500 characters; this one has '
                || length(NEW.reason) || '.';
    END IF;
    IF length(NEW.requested_by) > 100 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'A request''s requested_by is at most 100 characters; this one has '
                || length(NEW.requested_by) || '.';
    END IF;
    -- One requester at a time, so that two inserts at once cannot both pass the count.
    PERFORM pg_advisory_xact_lock(7357024, hashtext(coalesce(NEW.requested_by, '')));
    SELECT count(*) INTO recent FROM sync_requests
     WHERE requested_by IS NOT DISTINCT FROM NEW.requested_by
       AND requested_at > now() - interval '1 hour';
    IF recent >= 30 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'Too many run-now requests by one requester (30 an hour at most): '
                || 'wait a while, then ask again.';
    END IF;
    RETURN NEW;
END
$fn$;

-- Fires after sync_requests_check (triggers of one event run in name order).
DROP TRIGGER IF EXISTS sync_requests_limits ON sync_requests;
CREATE TRIGGER sync_requests_limits BEFORE INSERT ON sync_requests
    FOR EACH ROW EXECUTE FUNCTION sync_requests_limits();

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE 'REVOKE ALL ON FUNCTION login_attempts_stamp() FROM ' || r;
            EXECUTE 'REVOKE ALL ON FUNCTION login_attempts_close() FROM ' || r;
            EXECUTE 'REVOKE ALL ON FUNCTION sync_requests_limits() FROM ' || r;
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dashboard_reader') THEN
        RETURN;
    END IF;
    REVOKE INSERT, UPDATE, DELETE ON public.login_attempts FROM dashboard_reader;
    GRANT INSERT (username, client, outcome), UPDATE (outcome)
        ON public.login_attempts TO dashboard_reader;
    DROP POLICY IF EXISTS dashboard_reader_attempt ON public.login_attempts;
    CREATE POLICY dashboard_reader_attempt ON public.login_attempts
        FOR INSERT TO dashboard_reader WITH CHECK (outcome IN ('checking', 'refused'));
    DROP POLICY IF EXISTS dashboard_reader_outcome ON public.login_attempts;
    CREATE POLICY dashboard_reader_outcome ON public.login_attempts
        FOR UPDATE TO dashboard_reader USING (outcome = 'checking')
        WITH CHECK (outcome IN ('failed', 'succeeded'));
END
$$;
