-- conversations 0003: what channels, web chat and the plan limit need.
--
-- * channels.public_id: the public id of a web chat channel (/webchat/{public_id}); random,
--   unguessable, unique. channels.allowed_origins: origins allowed to embed the widget.
-- * channels.config holds the channel's secrets, each sealed with Cryptography.KeyRing under
--   the associated data "conversations.channels.<secret>:<channel id>":
--   {"access_token": "<sealed>", "app_secret": ..., "verify_token": ..., "bot_token": ...,
--    "secret_token": ...} (ChannelSecretBox reads and writes it).
-- * webchat_sessions: one per visitor session; the token is kept as its SHA-256 only.
-- * conversations.over_plan_limit: a conversation opened over the organization's
--   max_conversations_per_month; stored (a customer's message is never lost) but it gets no
--   AI reply. idx_conversations_org_created counts an organization's conversations of the
--   month.
-- * messages(external_id) already has an index: status callbacks find the outbound message
--   by it.

ALTER TABLE channels ADD COLUMN public_id VARCHAR(64);
ALTER TABLE channels ADD COLUMN allowed_origins TEXT[] NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX idx_channels_public_id ON channels(public_id) WHERE public_id IS NOT NULL;

CREATE TABLE webchat_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    channel_id UUID NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,
    visitor_name VARCHAR(255),
    origin VARCHAR(500),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX idx_webchat_sessions_channel ON webchat_sessions(channel_id);
CREATE INDEX idx_webchat_sessions_expires_at ON webchat_sessions(expires_at);

ALTER TABLE conversations ADD COLUMN over_plan_limit BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_conversations_org_created ON conversations(organization_id, created_at);
