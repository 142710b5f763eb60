-- The rules as `2026-11-30-000002_merkle_log` and `2026-11-23-000002_invariants` wrote them.

DROP TRIGGER check_audit_events_vocabulary_on_insert;
DROP TRIGGER check_audit_events_vocabulary_on_update;
DROP TRIGGER check_records_kind_on_insert;
DROP TRIGGER check_records_kind_on_update;

CREATE TRIGGER check_audit_events_vocabulary_on_insert BEFORE INSERT ON audit_events
WHEN NOT (
    NEW.action IN (
        'client.read', 'record.list', 'plan.read', 'record.read',
        'record.create', 'record.update', 'client.search', 'consent.manage',
        'assignment.manage', 'assignment.read', 'client.protect', 'client.erase',
        'client.list', 'client.access_log', 'client.register', 'agency.manage',
        'officer.manage', 'audit.query', 'session.start', 'session.end',
        'audit.export', 'audit.proof', 'audit.verify'
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
        'client.read', 'record.list', 'plan.read', 'record.read',
        'record.create', 'record.update', 'client.search', 'consent.manage',
        'assignment.manage', 'assignment.read', 'client.protect', 'client.erase',
        'client.list', 'client.access_log', 'client.register', 'agency.manage',
        'officer.manage', 'audit.query', 'session.start', 'session.end',
        'audit.export', 'audit.proof', 'audit.verify'
    )
    AND (NEW.reason IS NULL OR NEW.reason IN (
        'not-found', 'no-assignment', 'client-erased', 'role-not-permitted',
        'officer-inactive', 'no-active-consent', 'consent-withdrawn', 'consent-expired',
        'outside-consent-scope', 'not-authoring-agency'
    ))
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: audit_events_vocabulary'); END;

CREATE TRIGGER check_records_kind_on_insert BEFORE INSERT ON records
WHEN NOT (NEW.kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_kind'); END;

CREATE TRIGGER check_records_kind_on_update BEFORE UPDATE ON records
WHEN NOT (NEW.kind IN ('action_plan', 'assessment', 'follow_up', 'meeting_note', 'closure', 'note'))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: records_kind'); END;
