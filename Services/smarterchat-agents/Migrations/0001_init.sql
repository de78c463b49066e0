-- agents 0001: agents, scripts and agent_configs (seed/data-model.md §2.3, §2.11, §5.1;
-- DESIGN.md §1 for agent_configs).
--
-- Runs with search_path set to the `agents` schema, as the role that owns it: names are
-- unqualified and the functions and triggers live in this schema.
--
-- Departures from the seed:
-- * agents.organization_id references identity.organizations, another service's schema: it is a
--   plain UUID column (NOT NULL kept, indexed by idx_agents_organization) without a foreign
--   key; organization.deleted events replace the ON DELETE CASCADE.
-- * scripts.agent_id keeps its foreign key and cascade (both ends live here).
-- * agent_configs is not in the seed: the version history of an agent's configuration that
--   DESIGN.md §1 gives this service (one row per saved version, unique per agent).
-- * agents.openai_api_key_encrypted holds a Cryptography.KeyRing sealed value (base64 text).
-- * The agent_performance view (§3.2) joins conversations and leads, which live in other
--   services: it becomes a read model in analytics, not a view here.

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TABLE agents (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id), no cross-schema foreign key

    name VARCHAR(255) NOT NULL,
    description TEXT,
    avatar_url VARCHAR(500),

    personality TEXT NOT NULL,
    tone VARCHAR(50) DEFAULT 'professional', -- professional, friendly, casual, formal
    objective TEXT NOT NULL,

    system_message TEXT NOT NULL,
    custom_scripts JSONB DEFAULT '[]',
    context_data JSONB DEFAULT '{}',

    openai_api_key_encrypted TEXT, -- AES-256-GCM sealed value
    model VARCHAR(50) DEFAULT 'gpt-4-turbo-preview',
    temperature DECIMAL(2,1) DEFAULT 0.7,
    max_tokens INTEGER DEFAULT 1000,

    auto_response_enabled BOOLEAN DEFAULT TRUE,
    handoff_rules JSONB DEFAULT '{}',
    lead_qualification_rules JSONB DEFAULT '{}',

    languages JSONB DEFAULT '["pt-BR"]',
    default_language VARCHAR(10) DEFAULT 'pt-BR',

    status VARCHAR(20) NOT NULL DEFAULT 'active', -- active, inactive, training
    is_published BOOLEAN DEFAULT FALSE,

    total_conversations INTEGER DEFAULT 0,
    avg_response_time_ms INTEGER,
    satisfaction_score DECIMAL(3,2),

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_agents_organization ON agents(organization_id);
CREATE INDEX idx_agents_status ON agents(status);

CREATE TABLE scripts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id UUID NOT NULL REFERENCES agents(id) ON DELETE CASCADE,

    name VARCHAR(255) NOT NULL,
    description TEXT,

    content TEXT NOT NULL,
    type VARCHAR(50) NOT NULL, -- prompt_modifier, response_filter, intent_handler

    priority INTEGER DEFAULT 0,

    enabled BOOLEAN DEFAULT TRUE,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_scripts_agent ON scripts(agent_id);
CREATE INDEX idx_scripts_enabled ON scripts(enabled);

CREATE TABLE agent_configs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id UUID NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    config JSONB NOT NULL,
    created_by UUID, -- identity.users(id), no cross-schema foreign key
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (agent_id, version)
);

-- The unique constraint's index (agent_id, version) also serves lookups by agent.
CREATE INDEX idx_agent_configs_created_by ON agent_configs(created_by);

CREATE TRIGGER update_agents_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_scripts_updated_at BEFORE UPDATE ON scripts
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
