DROP TABLE audit_witness_refusals;
DROP TABLE audit_cosignatures;
DROP TABLE audit_checkpoints;
DROP TABLE audit_sequencer;
DROP TABLE audit_tree;
DROP TABLE audit_tree_nodes;
DROP TABLE audit_leaves;
DROP TABLE audit_pending;
DROP FUNCTION audit_tree_append_only();

-- Entries of the three new audit actions must be gone before this runs.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_vocabulary;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_vocabulary CHECK (
    action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query',
        'session.start', 'session.end'
    )
    AND (reason IS NULL OR reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
);
