-- hooks 0001: webhooks and webhook_logs (seed/data-model.md §2.9, §2.10, §5.1).
--
-- Runs with search_path set to the `hooks` schema, as the role that owns it: names are
-- unqualified and the functions and triggers live in this schema.
--
-- Departures from the seed:
-- * webhooks.organization_id (NOT NULL kept) and webhooks.agent_id reference other services'
--   tables: plain UUID columns without foreign keys, indexed by the seed's indexes;
--   organization.deleted and agent deletion events replace the ON DELETE CASCADEs.
-- * webhook_logs.webhook_id keeps its foreign key and cascade (both ends live here).
-- * webhooks.secret holds a secret sealed with Cryptography.KeyRing (base64 text); the
--   signature it keys is HMAC-SHA256 with a timestamp (DESIGN.md §6).
-- * The deliveries table (DESIGN.md §1) arrives with the issue that owns it.

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TABLE webhooks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id)
    agent_id UUID, -- agents.agents(id)

    name VARCHAR(255) NOT NULL,
    url VARCHAR(500) NOT NULL,
    method VARCHAR(10) DEFAULT 'POST',
    headers JSONB DEFAULT '{}',

    events JSONB NOT NULL, -- ['message.received', 'lead.created', ...]

    secret VARCHAR(255),

    retry_enabled BOOLEAN DEFAULT TRUE,
    max_retries INTEGER DEFAULT 3,
    retry_delay_seconds INTEGER DEFAULT 60,

    status VARCHAR(20) NOT NULL DEFAULT 'active',
    last_triggered_at TIMESTAMP WITH TIME ZONE,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_webhooks_organization ON webhooks(organization_id);
CREATE INDEX idx_webhooks_agent ON webhooks(agent_id);

CREATE TABLE webhook_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id UUID NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,

    event_type VARCHAR(100) NOT NULL,
    payload JSONB NOT NULL,

    status_code INTEGER,
    response_body TEXT,
    error_message TEXT,

    duration_ms INTEGER,

    attempt_number INTEGER DEFAULT 1,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_webhook_logs_webhook ON webhook_logs(webhook_id);
CREATE INDEX idx_webhook_logs_created_at ON webhook_logs(created_at DESC);

CREATE TRIGGER update_webhooks_updated_at BEFORE UPDATE ON webhooks
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
