-- conversations 0019: an `unsupported` message does not start a wait either.
--
-- Ingest now asks for no AI reply to an `unsupported` message (an Instagram edit or ad
-- referral, a WhatsApp system notice, a kind of message the platform cannot read), as for a
-- reaction (0018): nothing answers it by itself, so a wait it opened would be closed by the
-- answer to the contact's next question and count the time in between. Which content types
-- await an answer is now one function, `message_awaits_answer`, so the rule can change
-- without restating the stats trigger; the trigger's function is 0018's otherwise.
CREATE OR REPLACE FUNCTION message_awaits_answer(content_type TEXT)
RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE
AS $$ SELECT COALESCE(content_type, 'text') NOT IN ('reaction', 'unsupported') $$;

CREATE OR REPLACE FUNCTION update_conversation_stats()
RETURNS TRIGGER AS $$
DECLARE
    responded BOOLEAN := NEW.sender_type IN ('ai', 'user') AND NEW.direction = 'outbound';
    contact BOOLEAN := NEW.sender_type = 'contact';
    asks BOOLEAN := NEW.sender_type = 'contact' AND message_awaits_answer(NEW.content_type);
BEGIN
    UPDATE conversations c
    SET
        message_count = c.message_count + 1,
        last_message_at = NEW.created_at,
        ai_message_count = CASE WHEN NEW.sender_type = 'ai' THEN c.ai_message_count + 1 ELSE c.ai_message_count END,
        human_message_count = CASE WHEN NEW.sender_type = 'user' THEN c.human_message_count + 1 ELSE c.human_message_count END,
        -- A contact's message: when it arrived, since when an answer is awaited, unread.
        last_contact_message_at = CASE WHEN contact
            THEN GREATEST(COALESCE(c.last_contact_message_at, NEW.created_at), NEW.created_at)
            ELSE c.last_contact_message_at END,
        unread_count = c.unread_count + CASE
            WHEN contact AND NEW.direction = 'inbound'
                AND NEW.created_at > COALESCE(c.operator_read_at, '-infinity'::timestamptz)
            THEN 1 ELSE 0 END,
        -- An answer (AI or operator) to an awaiting contact: the response times.
        first_response_time_ms = CASE WHEN responded AND c.awaiting_response_since IS NOT NULL
            THEN COALESCE(c.first_response_time_ms, GREATEST(0, LEAST(2147483647,
                floor(extract(epoch FROM (NEW.created_at - c.awaiting_response_since)) * 1000)))::integer)
            ELSE c.first_response_time_ms END,
        avg_response_time_ms = CASE WHEN responded AND c.awaiting_response_since IS NOT NULL
            THEN ((COALESCE(c.avg_response_time_ms, 0)::bigint * c.response_count
                   + GREATEST(0, LEAST(2147483647,
                       floor(extract(epoch FROM (NEW.created_at - c.awaiting_response_since)) * 1000)))::integer)
                  / (c.response_count + 1))::integer
            ELSE c.avg_response_time_ms END,
        response_count = CASE WHEN responded AND c.awaiting_response_since IS NOT NULL
            THEN c.response_count + 1 ELSE c.response_count END,
        awaiting_response_since = CASE
            WHEN asks THEN COALESCE(c.awaiting_response_since, NEW.created_at)
            WHEN responded THEN NULL
            ELSE c.awaiting_response_since END
    WHERE c.id = NEW.conversation_id;
    RETURN NEW;
END;
$$ language 'plpgsql';

-- CREATE OR REPLACE drops the function's own search_path (set by 0001): put it back, and
-- give the new function the same one.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION update_conversation_stats() SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION message_awaits_answer(text) SET search_path = %I', current_schema());
END;
$$;
