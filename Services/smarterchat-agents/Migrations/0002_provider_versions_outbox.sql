-- agents 0002: what configuration history, provider keys, metrics and events need
-- (issue 5, DESIGN.md §1, §4, §5).
--
-- * agents.provider_key_last4: the last four characters of the provider key, shown instead of
--   the key (which is sealed in openai_api_key_encrypted and never returned).
-- * agents.provider_base_url: an OpenAI-compatible base URL per agent; NULL means the
--   platform default (SMARTERCHAT_AGENTS_PROVIDER_BASE_URL).
-- * agents.model keeps its column; its seed default 'gpt-4-turbo-preview' is a retired preview
--   alias, so the default is dropped: NULL (or that alias on an old row) means the platform's
--   default model (SMARTERCHAT_AGENTS_DEFAULT_MODEL).
-- * agents.config_version: the agent's current version in agent_configs.
-- * agents.reply_count: replies counted in avg_response_time_ms (a running mean).
-- * agent_configs.reason / restored_from: why a version exists (create, update, restore).
-- * outbox: events written with the change that causes them (Shared ServiceKit Outbox).

ALTER TABLE agents ADD COLUMN provider_key_last4 VARCHAR(4);
ALTER TABLE agents ADD COLUMN provider_base_url VARCHAR(500);
ALTER TABLE agents ALTER COLUMN model DROP DEFAULT;
ALTER TABLE agents ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;

ALTER TABLE agent_configs ADD COLUMN reason VARCHAR(20) NOT NULL DEFAULT 'update'; -- create, update, restore
ALTER TABLE agent_configs ADD COLUMN restored_from INTEGER;

-- Scripts are read per agent, enabled, by priority on every reply.
CREATE INDEX idx_scripts_agent_priority ON scripts(agent_id, priority DESC) WHERE enabled;

CREATE TABLE outbox (
    sequence BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    aggregate_type VARCHAR(50) NOT NULL,
    aggregate_id UUID NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    delivered_to TEXT[] NOT NULL DEFAULT '{}'
);

CREATE INDEX idx_outbox_occurred_at ON outbox (occurred_at);
