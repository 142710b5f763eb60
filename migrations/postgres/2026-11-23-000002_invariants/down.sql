ALTER TABLE audit_events DROP CONSTRAINT audit_events_decision;
ALTER TABLE assignments DROP CONSTRAINT assignments_ended;
ALTER TABLE consents DROP CONSTRAINT consents_evidence;
ALTER TABLE consents DROP CONSTRAINT consents_validity;
ALTER TABLE record_versions DROP CONSTRAINT record_versions_version;
ALTER TABLE records DROP CONSTRAINT records_version;
ALTER TABLE records DROP CONSTRAINT records_kind;
ALTER TABLE agencies DROP CONSTRAINT agencies_code_format;
