-- Migration 0015: a reconciliation can be queued like a sync (the dashboard's Data trust
-- button). The request check of migration 0007 learns the action 'reconcile': the whole
-- store (entity 'all'), no date range; the scheduler reconciles the store's yesterday.
-- Same rules as sync.storage.queueing.request_problem.

CREATE OR REPLACE FUNCTION sync_requests_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $fn$
DECLARE
    days integer;
BEGIN
    IF NEW.entity_type IS NULL OR NEW.entity_type NOT IN
        ('all', 'customers', 'inventory', 'outlets', 'products', 'sales') THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'Unknown entity ' || coalesce(quote_literal(NEW.entity_type), 'NULL')
                || ': use one of all, customers, inventory, outlets, products, sales.';
    END IF;
    IF NEW.action IS NULL OR NEW.action NOT IN ('incremental', 'backfill', 'reconcile') THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'Unknown action ' || coalesce(quote_literal(NEW.action), 'NULL')
                || ': use incremental, backfill or reconcile.';
    END IF;
    IF NEW.action = 'reconcile' THEN
        IF NEW.entity_type <> 'all' OR NEW.date_from IS NOT NULL OR NEW.date_to IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '23514',
                MESSAGE = 'A reconciliation checks the whole store''s yesterday: entity all, no dates.';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.action = 'incremental' THEN
        IF NEW.date_from IS NOT NULL OR NEW.date_to IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = '23514',
                MESSAGE = 'Only a backfill has a date range.';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.entity_type = 'all' THEN
        RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'Backfill one entity at a time.';
    END IF;
    IF NEW.date_from IS NULL OR NEW.date_to IS NULL OR NEW.date_to < NEW.date_from THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'A backfill needs a date range (date_from on or before date_to).';
    END IF;
    days := NEW.date_to - NEW.date_from + 1;
    IF days > 90 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'A queued backfill covers at most 90 days; this one covers '
                || days || '.';
    END IF;
    -- One day of slack: it is already tomorrow east of UTC.
    IF NEW.date_to > (now() AT TIME ZONE 'UTC')::date + 1 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = 'A backfill cannot reach into the future (date_to '
                || NEW.date_to || ').';
    END IF;
    RETURN NEW;
END
$fn$;
