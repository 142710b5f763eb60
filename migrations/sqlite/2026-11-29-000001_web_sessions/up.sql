-- Signed-in browser sessions. The cookie holds a random token; only its
-- SHA-256 is stored, so the table alone cannot be used to sign in.
-- `previous_visit` is when the account's previous session began (the
-- officer's "new since my last visit"). Signing out sets `ended_at`.
CREATE TABLE web_sessions (
    token_sha256 BLOB PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES officers (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT,
    previous_visit BIGINT
);
CREATE INDEX web_sessions_account ON web_sessions (account_id, created_at);

-- The rule web_sessions_lifetime, as the other rules are kept on SQLite
-- (see 2026-11-23-000002_invariants).
CREATE TRIGGER check_web_sessions_lifetime_on_insert BEFORE INSERT ON web_sessions
WHEN NOT (NEW.expires_at > NEW.created_at AND (NEW.ended_at IS NULL OR NEW.ended_at >= NEW.created_at)
          AND (NEW.previous_visit IS NULL OR NEW.previous_visit <= NEW.created_at))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: web_sessions_lifetime'); END;

CREATE TRIGGER check_web_sessions_lifetime_on_update BEFORE UPDATE ON web_sessions
WHEN NOT (NEW.expires_at > NEW.created_at AND (NEW.ended_at IS NULL OR NEW.ended_at >= NEW.created_at)
          AND (NEW.previous_visit IS NULL OR NEW.previous_visit <= NEW.created_at))
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: web_sessions_lifetime'); END;

-- Who an OpenID Connect provider's subject is in ingång: the SHA-256 of
-- the issuer and subject (a subject can be a personal number at some
-- providers, so it is not kept in plain text), and the account.
CREATE TABLE account_subjects (
    subject_sha256 BLOB PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES officers (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX account_subjects_account ON account_subjects (account_id);
