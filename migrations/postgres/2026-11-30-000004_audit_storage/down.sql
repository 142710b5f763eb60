DROP TRIGGER audit_events_enqueue ON audit_events;
DROP FUNCTION audit_events_enqueue();
