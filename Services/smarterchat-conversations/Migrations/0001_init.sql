-- conversations 0001: channels, conversations and messages (seed/data-model.md §2.4–§2.6,
-- §4, §5, §6).
--
-- Runs with search_path set to the `conversations` schema, as the role that owns it: names
-- are unqualified and the functions and triggers live in this schema.
--
-- Departures from the seed:
-- * References to other services' tables are plain UUID columns without foreign keys, each
--   indexed (the seed's indexes already cover them); events from the owning service replace
--   ON DELETE CASCADE / SET NULL:
--     channels.organization_id, conversations.organization_id (NOT NULL kept),
--     channels.agent_id, conversations.agent_id, conversations.lead_id,
--     conversations.assigned_to_user_id, messages.sender_id.
-- * conversations.channel_id -> channels and messages.conversation_id -> conversations keep
--   their foreign keys and cascades (both ends live here).
-- * messages is partitioned by month on created_at (§6 applied to the table itself rather
--   than a copy): its primary key is (id, created_at), since a partitioned table's unique
--   keys must contain the partition key, which makes created_at NOT NULL (it keeps its
--   DEFAULT). Rows outside every monthly partition land in messages_default.
--   ensure_monthly_partitions(months_ahead) creates the current month and the next
--   months_ahead months; the service calls it on a schedule. The §7 retention rules are
--   scheduled jobs of the service, not part of this file.
-- * channels.config, channels.webhook_secret hold secrets sealed with Cryptography.KeyRing.
-- * The conversation_summary view (§3.1) joins leads and users, which live in other
--   services: it becomes a read model, not a view here.
-- * Reply jobs and the outbox (DESIGN.md §1) arrive with the issues that own them.

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TABLE channels (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id)
    agent_id UUID, -- agents.agents(id)

    type VARCHAR(50) NOT NULL, -- whatsapp, instagram, telegram, webchat
    name VARCHAR(255) NOT NULL,

    config JSONB NOT NULL,

    phone_number VARCHAR(20),
    phone_number_id VARCHAR(100),
    business_account_id VARCHAR(100),

    instagram_account_id VARCHAR(100),
    instagram_username VARCHAR(100),

    webhook_url VARCHAR(500),
    webhook_secret VARCHAR(255),

    status VARCHAR(20) NOT NULL DEFAULT 'inactive', -- active, inactive, error
    last_sync_at TIMESTAMP WITH TIME ZONE,
    error_message TEXT,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_channels_organization ON channels(organization_id);
CREATE INDEX idx_channels_agent ON channels(agent_id);
CREATE INDEX idx_channels_type ON channels(type);

CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id)
    agent_id UUID, -- agents.agents(id)
    channel_id UUID NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    lead_id UUID, -- crm.leads(id)

    contact_identifier VARCHAR(255) NOT NULL,
    contact_name VARCHAR(255),
    contact_metadata JSONB DEFAULT '{}',

    status VARCHAR(50) NOT NULL DEFAULT 'active', -- active, waiting, closed, archived
    mode VARCHAR(50) NOT NULL DEFAULT 'ai', -- ai, human, hybrid

    assigned_to_user_id UUID, -- identity.users(id)
    assigned_at TIMESTAMP WITH TIME ZONE,

    context JSONB DEFAULT '{}',
    summary TEXT,

    sentiment VARCHAR(20), -- positive, neutral, negative
    priority VARCHAR(20) DEFAULT 'normal', -- low, normal, high, urgent
    tags JSONB DEFAULT '[]',

    message_count INTEGER DEFAULT 0,
    ai_message_count INTEGER DEFAULT 0,
    human_message_count INTEGER DEFAULT 0,
    first_response_time_ms INTEGER,
    avg_response_time_ms INTEGER,

    last_message_at TIMESTAMP WITH TIME ZONE,
    closed_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_conversations_organization ON conversations(organization_id);
CREATE INDEX idx_conversations_agent ON conversations(agent_id);
CREATE INDEX idx_conversations_channel ON conversations(channel_id);
CREATE INDEX idx_conversations_lead ON conversations(lead_id);
CREATE INDEX idx_conversations_assigned_to ON conversations(assigned_to_user_id);
CREATE INDEX idx_conversations_status ON conversations(status);
CREATE INDEX idx_conversations_mode ON conversations(mode);
CREATE INDEX idx_conversations_contact ON conversations(contact_identifier);
CREATE INDEX idx_conversations_org_status ON conversations(organization_id, status);
CREATE INDEX idx_conversations_org_assigned ON conversations(organization_id, assigned_to_user_id);

CREATE TABLE messages (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,

    sender_type VARCHAR(20) NOT NULL, -- contact, ai, user
    sender_id UUID, -- identity.users(id) when sender_type = 'user'

    content TEXT NOT NULL,
    content_type VARCHAR(50) DEFAULT 'text', -- text, image, video, audio, document
    media_url VARCHAR(500),
    media_metadata JSONB,

    direction VARCHAR(20) NOT NULL, -- inbound, outbound
    status VARCHAR(50) DEFAULT 'sent', -- sent, delivered, read, failed

    ai_generated BOOLEAN DEFAULT FALSE,
    ai_model VARCHAR(50),
    ai_confidence DECIMAL(3,2),
    ai_processing_time_ms INTEGER,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,

    intent VARCHAR(100),
    entities JSONB DEFAULT '{}',

    external_id VARCHAR(255),
    external_metadata JSONB,

    sent_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    delivered_at TIMESTAMP WITH TIME ZONE,
    read_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE messages_default PARTITION OF messages DEFAULT;

CREATE INDEX idx_messages_conversation ON messages(conversation_id);
CREATE INDEX idx_messages_sender ON messages(sender_type, sender_id);
CREATE INDEX idx_messages_created_at ON messages(created_at DESC);
CREATE INDEX idx_messages_external_id ON messages(external_id);
CREATE INDEX idx_messages_conv_created ON messages(conversation_id, created_at DESC);
CREATE INDEX idx_messages_content_fts ON messages USING gin(to_tsvector('portuguese', content));

CREATE OR REPLACE FUNCTION update_conversation_stats()
RETURNS TRIGGER AS $$
BEGIN
    UPDATE conversations
    SET
        message_count = message_count + 1,
        last_message_at = NEW.created_at,
        ai_message_count = CASE WHEN NEW.sender_type = 'ai' THEN ai_message_count + 1 ELSE ai_message_count END,
        human_message_count = CASE WHEN NEW.sender_type = 'user' THEN human_message_count + 1 ELSE human_message_count END
    WHERE id = NEW.conversation_id;

    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TRIGGER update_conversation_stats_trigger
AFTER INSERT ON messages
FOR EACH ROW
EXECUTE FUNCTION update_conversation_stats();

CREATE TRIGGER update_channels_updated_at BEFORE UPDATE ON channels
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_conversations_updated_at BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Creates the monthly partitions of messages from the current month (UTC) through
-- months_ahead months later, named messages_YYYY_MM, and returns how many it created.
-- Rows already in messages_default for a new month are moved into the new partition before
-- it is attached (ATTACH refuses while the default partition holds rows of its range); the
-- move happens outside the partition tree, so the stats trigger does not count them again.
-- Safe to call repeatedly and from several replicas (a transaction-level advisory lock
-- serialises callers).
CREATE OR REPLACE FUNCTION ensure_monthly_partitions(months_ahead int)
RETURNS int AS $$
DECLARE
    parent text := 'messages';
    first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    month_start timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
    created int := 0;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 120' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.' || parent || '.partitions'));
    IF to_regclass(format('%I.%I', current_schema(), parent || '_default')) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
    END IF;
    FOR i IN 0..months_ahead LOOP
        month_start := first_month + make_interval(months => i);
        lower_bound := month_start AT TIME ZONE 'UTC';
        upper_bound := (month_start + interval '1 month') AT TIME ZONE 'UTC';
        partition_name := parent || '_' || to_char(month_start, 'YYYY_MM');
        CONTINUE WHEN to_regclass(format('%I.%I', current_schema(), partition_name)) IS NOT NULL;
        IF created = 0 THEN
            -- Take the locks ATTACH needs before the move below, instead of upgrading the
            -- move's lock on the default partition later (a classic deadlock). Inserts of
            -- rows that have a partition never touch the default one; rows that would land
            -- in it wait. Only when there is work: a no-op call blocks nobody.
            EXECUTE format('LOCK TABLE %I IN SHARE UPDATE EXCLUSIVE MODE', parent);
            EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', parent || '_default');
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       partition_name, parent);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE created_at >= $1 AND created_at < $2 RETURNING *) '
                       'INSERT INTO %I SELECT * FROM moved', parent || '_default', partition_name)
            USING lower_bound, upper_bound;
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       parent, partition_name, lower_bound, upper_bound);
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$ language 'plpgsql';

-- Pin the functions that name tables to this schema, so they resolve the same whatever
-- search_path the caller (or a trigger firing from another session) has.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION update_conversation_stats() SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION ensure_monthly_partitions(int) SET search_path = %I', current_schema());
END;
$$;

SELECT ensure_monthly_partitions(3);
