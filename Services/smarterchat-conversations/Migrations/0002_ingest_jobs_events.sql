-- conversations 0002: what reliable ingest, replies and live updates need (DESIGN.md §4–§5).
--
-- * inbound_receipts: one row per (channel, external message id) — the dedupe key of
--   ingest. messages is partitioned by month, so a unique index there would have to include
--   created_at; this table is the platform-wide unique key instead.
-- * one open conversation per (channel, contact): concurrent first messages of a new
--   contact find the same conversation (INSERT ... ON CONFLICT on the partial unique index).
-- * reply_jobs: work for the reply worker (FOR UPDATE SKIP LOCKED on due pending jobs).
-- * outbox: events written with the change that causes them (Shared ServiceKit Outbox).
-- * conversation_events: each conversation's timeline (status, mode, assignment, messages)
--   and the organization's live feed: `seq` orders it, SSE resumes from Last-Event-ID = seq.

CREATE TABLE inbound_receipts (
    channel_id UUID NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    external_message_id VARCHAR(255) NOT NULL,
    organization_id UUID NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id UUID NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (channel_id, external_message_id)
);

CREATE INDEX idx_inbound_receipts_received_at ON inbound_receipts(received_at);

CREATE UNIQUE INDEX idx_conversations_open_contact ON conversations(channel_id, contact_identifier)
    WHERE status IN ('active', 'waiting');

CREATE TABLE reply_jobs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- The inbound message that asked for a reply (messages' key is (id, created_at): no FK).
    trigger_message_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending', -- pending, running, done, failed, skipped
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    locked_until TIMESTAMP WITH TIME ZONE,
    result VARCHAR(50), -- replied, no_agent, no_reply, handoff, failed, ...
    last_error TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_reply_jobs_due ON reply_jobs(run_after) WHERE status IN ('pending', 'running');
CREATE INDEX idx_reply_jobs_conversation ON reply_jobs(conversation_id);

CREATE TRIGGER update_reply_jobs_updated_at BEFORE UPDATE ON reply_jobs
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

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

CREATE INDEX idx_outbox_occurred_at ON outbox(occurred_at);

CREATE TABLE conversation_events (
    seq BIGSERIAL PRIMARY KEY,
    organization_id UUID NOT NULL,
    conversation_id UUID REFERENCES conversations(id) ON DELETE CASCADE,
    -- message.received, message.sent, message.failed, conversation.created, status_changed,
    -- mode_changed, assigned, priority_changed, tags_changed, closed, reopened, ...
    event_type VARCHAR(100) NOT NULL,
    actor_type VARCHAR(20) NOT NULL DEFAULT 'system', -- contact, ai, user, system
    actor_id UUID,
    payload JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_conversation_events_org_seq ON conversation_events(organization_id, seq);
CREATE INDEX idx_conversation_events_conversation ON conversation_events(conversation_id, seq);
