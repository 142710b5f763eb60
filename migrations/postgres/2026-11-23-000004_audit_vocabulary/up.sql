-- The audit log's closed vocabularies, kept by the database as the service
-- keeps them (crates/policy: `AuditAction` and `DenyReason`): an entry
-- names an action the service knows and, when denied, a reason it knows.
-- A new action or reason comes with a migration that widens this rule;
-- the store's tests insert every value of both vocabularies.

ALTER TABLE audit_events ADD CONSTRAINT audit_events_vocabulary CHECK (
    action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
    )
    AND (reason IS NULL OR reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
);
