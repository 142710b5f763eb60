-- Entries of the two session actions must be gone before this runs.
DROP TRIGGER check_audit_events_vocabulary_on_insert;
DROP TRIGGER check_audit_events_vocabulary_on_update;

CREATE TRIGGER check_audit_events_vocabulary_on_insert BEFORE INSERT ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read', 'record.create',
        'record.update', 'client.search', 'consent.manage', 'assignment.manage',
        'assignment.read', 'client.protect', 'client.erase', 'client.list',
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
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
        'client.access_log', 'client.register', 'agency.manage', 'officer.manage', 'audit.query'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;
