-- Migration 0013: the database dates login attempts and bounds the run-now queue (see the
-- Postgres script; SQLite has no roles, so only what needs no role is here).
--  * login_attempts: a trigger replaces attempted_at with the database's clock.
--  * sync_requests: reason at most 500 characters, requested_by at most 100, at most 30
--    requests per requested_by per hour (counted from the new row's requested_at, which
--    on SQLite only this product's code writes).

ALTER TABLE login_attempts ADD COLUMN db_user TEXT;

CREATE TRIGGER IF NOT EXISTS login_attempts_stamp AFTER INSERT ON login_attempts
BEGIN
    UPDATE login_attempts SET attempted_at = strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'
     WHERE id = NEW.id;
END;

CREATE INDEX IF NOT EXISTS ix_sync_requests_requested_by ON sync_requests (requested_by, requested_at);

CREATE TRIGGER IF NOT EXISTS sync_requests_limits BEFORE INSERT ON sync_requests
BEGIN
    SELECT RAISE(ABORT, 'A request''s reason is at most 500 characters.')
     WHERE length(NEW.reason) > 500;
    SELECT RAISE(ABORT, 'A request''s requested_by is at most 100 characters.')
     WHERE length(NEW.requested_by) > 100;
    SELECT RAISE(ABORT, 'Too many run-now requests by one requester (30 an hour at most): wait a while, then ask again.')
     WHERE (SELECT count(*) FROM sync_requests
             WHERE requested_by IS NEW.requested_by
               AND requested_at > datetime(NEW.requested_at, '-1 hour')) >= 30;
END;
