-- Migration 0004: alert incidents (one open per rule and entity) and every notification
-- attempt. Generated from sync/schema.py.

CREATE TABLE IF NOT EXISTS alert_incidents (
	id INTEGER NOT NULL, 
	rule TEXT NOT NULL, 
	entity TEXT NOT NULL, 
	status TEXT NOT NULL, 
	severity TEXT NOT NULL, 
	title TEXT NOT NULL, 
	message TEXT NOT NULL, 
	error_type TEXT, 
	recovery TEXT, 
	since DATETIME NOT NULL, 
	opened_at DATETIME NOT NULL, 
	last_seen_at DATETIME NOT NULL, 
	resolved_at DATETIME, 
	occurrences INTEGER DEFAULT '1' NOT NULL, 
	last_observation TEXT, 
	acknowledged_at DATETIME, 
	acknowledged_by TEXT, 
	ack_note TEXT, 
	snoozed_until DATETIME, 
	snoozed_by TEXT, 
	notified_severity TEXT, 
	last_notified_at DATETIME, 
	pending_kind TEXT, 
	pending_at DATETIME, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_alert_incidents_opened ON alert_incidents (opened_at);

CREATE INDEX IF NOT EXISTS ix_alert_incidents_status ON alert_incidents (status, severity);

CREATE UNIQUE INDEX IF NOT EXISTS ux_alert_incidents_open ON alert_incidents (rule, entity) WHERE status = 'open';

CREATE TABLE IF NOT EXISTS alert_notifications (
	id INTEGER NOT NULL, 
	incident_id BIGINT, 
	kind TEXT NOT NULL, 
	severity TEXT, 
	channel TEXT NOT NULL, 
	status TEXT NOT NULL, 
	error TEXT, 
	title TEXT, 
	attempted_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS ix_alert_notifications_attempted ON alert_notifications (attempted_at);

CREATE INDEX IF NOT EXISTS ix_alert_notifications_incident ON alert_notifications (incident_id, attempted_at);
