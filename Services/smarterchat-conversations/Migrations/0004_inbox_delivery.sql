-- conversations 0004: what the inbox, handoff, response-time stats and outbound delivery need.
--
-- * conversations gains the bookkeeping of the 24-hour windows (last_contact_message_at),
--   of response times (awaiting_response_since, response_count: first_response_time_ms and
--   avg_response_time_ms are kept by update_conversation_response_stats below), of
--   operator activity (last_operator_activity_at, ai_resume_after_minutes: the
--   organization's "return to AI after N minutes without an operator" setting, copied from
--   identity's settings when an operator acts) and the operator's read mark.
-- * idx_conversations_org_activity: the inbox's page order (organization, last activity,
--   id) so a page is an index range scan whatever the table's size.
-- * assignment_cursors: where round-robin assignment of handoffs stands per organization.
-- * outbound_deliveries: the delivery queue. A row is written with the outbound message, in
--   its transaction; the sender records `sending` (the intent) before calling the provider
--   and the provider's id after (docs/delivery.md says how an unknown outcome is reconciled).
-- * Full-text search: idx_messages_content_fts (0001, the seed's) serves `q`; this adds
--   the (conversation, created_at, id) order the message pages walk.

ALTER TABLE conversations ADD COLUMN last_contact_message_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE conversations ADD COLUMN awaiting_response_since TIMESTAMP WITH TIME ZONE;
ALTER TABLE conversations ADD COLUMN response_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN last_operator_activity_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE conversations ADD COLUMN ai_resume_after_minutes INTEGER;
ALTER TABLE conversations ADD COLUMN operator_read_at TIMESTAMP WITH TIME ZONE;

CREATE INDEX idx_conversations_org_activity
    ON conversations(organization_id, (COALESCE(last_message_at, created_at)) DESC, id DESC);
CREATE INDEX idx_conversations_human_idle
    ON conversations(last_operator_activity_at) WHERE mode = 'human' AND ai_resume_after_minutes IS NOT NULL;
CREATE INDEX idx_messages_conv_created_id ON messages(conversation_id, created_at DESC, id DESC);

-- Response times: a contact's message starts the wait (unless one is already running); the
-- next AI or operator message ends it. Messages inserted out of time order (an import) do
-- not count a negative wait.
CREATE OR REPLACE FUNCTION update_conversation_response_stats()
RETURNS TRIGGER AS $$
DECLARE
    waited_ms INTEGER;
BEGIN
    IF NEW.sender_type = 'contact' THEN
        UPDATE conversations
        SET last_contact_message_at = GREATEST(COALESCE(last_contact_message_at, NEW.created_at), NEW.created_at),
            awaiting_response_since = COALESCE(awaiting_response_since, NEW.created_at)
        WHERE id = NEW.conversation_id;
    ELSIF NEW.sender_type IN ('ai', 'user') AND NEW.direction = 'outbound' THEN
        UPDATE conversations
        SET first_response_time_ms = COALESCE(first_response_time_ms, w.ms),
            avg_response_time_ms = ((COALESCE(avg_response_time_ms, 0)::bigint * response_count + w.ms)
                                    / (response_count + 1))::integer,
            response_count = response_count + 1,
            awaiting_response_since = NULL
        FROM (SELECT GREATEST(0, LEAST(2147483647,
                     floor(extract(epoch FROM (NEW.created_at - c.awaiting_response_since)) * 1000)))::integer AS ms
              FROM conversations c WHERE c.id = NEW.conversation_id AND c.awaiting_response_since IS NOT NULL) w
        WHERE id = NEW.conversation_id;
    END IF;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TRIGGER update_conversation_response_stats_trigger
AFTER INSERT ON messages
FOR EACH ROW
EXECUTE FUNCTION update_conversation_response_stats();

CREATE TABLE assignment_cursors (
    organization_id UUID PRIMARY KEY,
    last_user_id UUID NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE outbound_deliveries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Queue order: a conversation's deliveries go out one at a time in this order.
    seq BIGSERIAL NOT NULL,
    organization_id UUID NOT NULL,
    channel_id UUID NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- The outbound message (messages' key is (id, created_at): no FK); NULL for mark_read.
    message_id UUID,
    message_created_at TIMESTAMP WITH TIME ZONE,
    kind VARCHAR(20) NOT NULL, -- text, template, mark_read
    -- The channel's id of the contact (WhatsApp number, IGSID, Telegram chat id).
    recipient VARCHAR(255) NOT NULL,
    -- text: {"text"}; template: {"name", "language", "parameters"}; mark_read: {"external_message_id"}
    body JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(20) NOT NULL DEFAULT 'pending', -- pending, sending, sent, failed, unknown
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sending_started_at TIMESTAMP WITH TIME ZONE,
    external_id VARCHAR(255),
    last_error TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_outbound_deliveries_due ON outbound_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX idx_outbound_deliveries_sending ON outbound_deliveries(sending_started_at) WHERE status = 'sending';
CREATE INDEX idx_outbound_deliveries_message ON outbound_deliveries(message_id);
CREATE INDEX idx_outbound_deliveries_conversation ON outbound_deliveries(conversation_id, seq);

CREATE TRIGGER update_outbound_deliveries_updated_at BEFORE UPDATE ON outbound_deliveries
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION update_conversation_response_stats() SET search_path = %I', current_schema());
END;
$$;
