CREATE INDEX audit_events_client ON audit_events (client_id, seq);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
DROP TABLE audit_lookups_state;
DROP TABLE audit_actor_seqs;
DROP TABLE audit_client_seqs;
