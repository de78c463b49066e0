-- identity 0002: what a login system needs beside the seed's tables (DESIGN.md §1, §6).
--
-- * sessions: one row per issued token pair. A login starts a family (family_id, the
--   session id users see); each refresh adds a row to the family and marks the one it
--   replaced `rotated_at`. Presenting a rotated refresh token again is a reuse: the whole
--   family is revoked. Tokens are 256-bit random strings; only their SHA-256 (hex) is kept.
-- * api_keys: org-scoped integration keys (stored hashed, shown once by prefix); the table
--   comes now so sessions and keys share one audit trail, the RPCs come later.
-- * audit_log: security events (signup, login, failed and refused logins, refresh reuse,
--   revocations). organization_id / user_id are plain UUIDs so the trail outlives a delete.
-- * login_attempts: the brute-force window (5 failures per email or address in 15 minutes).

CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id UUID NOT NULL,
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,

    access_token_hash CHAR(64) NOT NULL UNIQUE,
    access_expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    refresh_token_hash CHAR(64) NOT NULL UNIQUE,
    refresh_expires_at TIMESTAMP WITH TIME ZONE NOT NULL,

    rotated_at TIMESTAMP WITH TIME ZONE, -- its refresh token was exchanged for the next row's
    revoked_at TIMESTAMP WITH TIME ZONE,
    revoked_reason VARCHAR(50), -- logout, revoked, refresh_reuse

    ip_address VARCHAR(64),
    user_agent VARCHAR(500),

    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_sessions_family ON sessions(family_id);
CREATE INDEX idx_sessions_user_live ON sessions(user_id) WHERE revoked_at IS NULL AND rotated_at IS NULL;

CREATE TABLE api_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_by_user_id UUID REFERENCES users(id) ON DELETE SET NULL,

    name VARCHAR(255) NOT NULL,
    prefix VARCHAR(16) NOT NULL, -- the first characters of the key, shown in lists
    key_hash CHAR(64) NOT NULL UNIQUE,
    role VARCHAR(50) NOT NULL DEFAULT 'consultant',
    scopes TEXT[] NOT NULL DEFAULT '{}',

    expires_at TIMESTAMP WITH TIME ZONE,
    last_used_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_api_keys_organization ON api_keys(organization_id);

CREATE TRIGGER update_api_keys_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    organization_id UUID,
    user_id UUID,
    event VARCHAR(100) NOT NULL, -- e.g. login.succeeded, login.locked, session.refresh_reused
    ip_address VARCHAR(64),
    user_agent VARCHAR(500),
    details JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_audit_log_organization ON audit_log(organization_id, created_at DESC);
CREATE INDEX idx_audit_log_event ON audit_log(event, created_at DESC);

CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(255) NOT NULL, -- as typed, lowercased
    ip_address VARCHAR(64) NOT NULL DEFAULT '',
    succeeded BOOLEAN NOT NULL,
    attempted_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_login_attempts_email ON login_attempts(email, attempted_at DESC) WHERE NOT succeeded;
CREATE INDEX idx_login_attempts_address ON login_attempts(ip_address, attempted_at DESC) WHERE NOT succeeded;
