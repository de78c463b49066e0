-- conversations 0008: the inbox's unread count is kept on the conversation instead of counted
-- per row of every list page (a page of 50 conversations with 1,000,000 messages spent most
-- of its 18 ms reading each conversation's messages since the operator's read mark).
--
-- unread_count: inbound messages newer than operator_read_at. The response-stats trigger
-- (0004), which already updates the conversation for each contact message, adds one; marking
-- the conversation read sets it to 0 with the mark (DeliveryStore.markInboundRead).
ALTER TABLE conversations ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;

UPDATE conversations c SET unread_count = (
    SELECT count(*) FROM messages m
    WHERE m.conversation_id = c.id AND m.direction = 'inbound'
      AND m.created_at > COALESCE(c.operator_read_at, '-infinity'::timestamptz))
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound');

CREATE OR REPLACE FUNCTION update_conversation_response_stats()
RETURNS TRIGGER AS $$
DECLARE
    waited_ms INTEGER;
BEGIN
    IF NEW.sender_type = 'contact' THEN
        UPDATE conversations
        SET last_contact_message_at = GREATEST(COALESCE(last_contact_message_at, NEW.created_at), NEW.created_at),
            awaiting_response_since = COALESCE(awaiting_response_since, NEW.created_at),
            unread_count = unread_count + CASE
                WHEN NEW.direction = 'inbound' AND NEW.created_at > COALESCE(operator_read_at, '-infinity'::timestamptz)
                THEN 1 ELSE 0 END
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

-- CREATE OR REPLACE drops the function's own search_path (set by 0004): put it back, so the
-- trigger finds the schema's tables whoever inserts the message.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION update_conversation_response_stats() SET search_path = %I', current_schema());
END;
$$;
