CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
