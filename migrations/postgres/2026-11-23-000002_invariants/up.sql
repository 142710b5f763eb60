-- Invariants the service already keeps, now kept by the database too, so
-- that no path (a bug, a future feature, a hand-run statement) can store a
-- row the domain would refuse. Each has a name; migrations/sqlite holds the
-- same rules under the same names (as triggers: SQLite cannot add a CHECK
-- to an existing table), and a test compares the two sets.

ALTER TABLE agencies ADD CONSTRAINT agencies_code_format
    CHECK (code ~ '^[a-z][a-z0-9-]{1,31}$');

ALTER TABLE records ADD CONSTRAINT records_kind
    CHECK (kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note'));
ALTER TABLE records ADD CONSTRAINT records_version
    CHECK (version >= 1 AND updated_at >= created_at);

ALTER TABLE record_versions ADD CONSTRAINT record_versions_version
    CHECK (version >= 1);

ALTER TABLE consents ADD CONSTRAINT consents_validity
    CHECK (valid_from < valid_until AND signed_at <= valid_until);
ALTER TABLE consents ADD CONSTRAINT consents_evidence
    CHECK (evidence_method IN ('paper', 'e-signature') AND evidence_sha256 ~ '^[0-9a-f]{64}$');

ALTER TABLE assignments ADD CONSTRAINT assignments_ended
    CHECK ((ended_at IS NULL) = (ended_by IS NULL) AND (ended_at IS NULL OR ended_at >= starts_at));

-- An allowed access has no reason; a denied one always names its reason.
ALTER TABLE audit_events ADD CONSTRAINT audit_events_decision
    CHECK ((decision = 'allow' AND reason IS NULL) OR (decision = 'deny' AND reason IS NOT NULL));
