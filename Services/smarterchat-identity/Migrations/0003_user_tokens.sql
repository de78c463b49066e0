-- identity 0003: single-use tokens for users (invitations now; email verification next).
--
-- Like session tokens, they are 256-bit random strings handed out once and stored only as
-- their SHA-256 (hex). `used_at` makes them single-use. An invited user is created with the
-- unusable password hash '!' until they accept.

CREATE TABLE user_tokens (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose VARCHAR(30) NOT NULL, -- invitation, email_verification
    token_hash CHAR(64) NOT NULL UNIQUE,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_user_tokens_user ON user_tokens(user_id);
