-- Migration 0015: a reconciliation can be queued like a sync (the dashboard's Data trust
-- button). SQLite has no check on sync_requests.action (sync.storage.queueing checks it
-- before every insert and again at claim time): nothing to change here.
SELECT 1;
