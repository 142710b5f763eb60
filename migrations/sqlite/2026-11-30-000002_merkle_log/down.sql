DROP TABLE audit_witness_refusals;
DROP TABLE audit_cosignatures;
DROP TABLE audit_checkpoints;
DROP TABLE audit_sequencer;
DROP TABLE audit_tree;
DROP TABLE audit_tree_nodes;
DROP TABLE audit_leaves;
DROP TABLE audit_pending;

-- Entries of the three new audit actions must be gone before this runs.
DROP TRIGGER check_audit_events_vocabulary_on_insert;
DROP TRIGGER check_audit_events_vocabulary_on_update;

CREATE TRIGGER check_audit_events_vocabulary_on_insert BEFORE INSERT ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

CREATE TRIGGER check_audit_events_vocabulary_on_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;
