-- pgbench script of bench/ingest/run.sh: the transaction conversations runs for one inbound
-- WhatsApp message of a contact who already has a conversation (InboundIngest), statement
-- for statement: the receipt check and the contact's open conversation (found and locked)
-- in one statement (IngestStore.lookUp), then in one statement (IngestStore.storeMessage,
-- with the receipt as a known contact with a lead has it) the receipt and, when it was not
-- taken, the message (the stats triggers fire), the reply job (moved to the new message,
-- else created), the outbox event and the timeline row; then their
-- notifications. Run with `-M prepared`, as the service's statements are (variables are
-- parameters, unquoted).
\set n random(1, 2000000000)
\set c random(0, 999)
BEGIN;
SELECT r.conversation_id AS earlier_conversation_id, r.message_id AS earlier_message_id,
       c.id AS conversation_id, c.mode, c.lead_id, c.over_plan_limit, c.unnamed
FROM (VALUES (1)) AS one (n)
LEFT JOIN inbound_receipts r ON r.channel_id = :channel::uuid AND r.external_message_id = 'pgb.' || :n || '.' || :client_id
LEFT JOIN LATERAL (
    SELECT id, mode, lead_id, over_plan_limit, contact_name IS NULL AS unnamed FROM conversations
    WHERE channel_id = :channel::uuid AND contact_identifier = 'pgb' || :c AND status IN ('active', 'waiting')
      AND r.conversation_id IS NULL
    FOR NO KEY UPDATE) c ON TRUE \gset
\set m random(1, 2000000000)
WITH receipt AS (
    INSERT INTO inbound_receipts (channel_id, external_message_id, organization_id, conversation_id, message_id)
    SELECT :channel::uuid, ('pgb.' || :n || '.' || :client_id)::text, :org::uuid, :conversation_id::uuid,
        md5(:m || '.' || :n)::uuid
    WHERE :channel::uuid IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING message_id
), go AS (
    SELECT :channel::uuid IS NULL OR EXISTS (SELECT 1 FROM receipt) AS ok
), message AS (
    INSERT INTO messages (id, conversation_id, sender_type, content, content_type, media_url,
        media_metadata, direction, status, external_id, external_metadata, sent_at)
    SELECT md5(:m || '.' || :n)::uuid, :conversation_id::uuid, 'contact', 'bench message'::text, 'text'::text,
        NULL::text, NULL::jsonb, 'inbound', 'delivered', ('pgb.' || :n)::text, '{}'::jsonb,
        COALESCE(NULL::timestamptz, CURRENT_TIMESTAMP)
    FROM go WHERE go.ok
    RETURNING id
), moved AS (
    UPDATE reply_jobs SET trigger_message_id = md5(:m || '.' || :n)::uuid
    FROM go
    WHERE go.ok AND TRUE AND conversation_id = :conversation_id::uuid AND status = 'pending'
    RETURNING reply_jobs.id
), added AS (
    INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id)
    SELECT :org::uuid, :conversation_id::uuid, md5(:m || '.' || :n)::uuid FROM go
    WHERE go.ok AND TRUE AND NOT EXISTS (SELECT 1 FROM moved)
    RETURNING id
), outboxed AS (
    INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, payload)
    SELECT :org::uuid, 'message.received', 'conversation', :conversation_id::uuid, '{"content":"bench message"}'::jsonb
    FROM go WHERE go.ok
    RETURNING id
), timeline AS (
    INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload)
    SELECT :org::uuid, :conversation_id::uuid, 'message.received', 'contact', '{"content":"bench message"}'::jsonb
    FROM go WHERE go.ok
    RETURNING organization_id
)
SELECT EXISTS (SELECT 1 FROM message) AS stored;
COMMIT;
-- The notifications, after commit and outside the transaction, as the service sends them
-- (it sends one per distinct channel and payload for all commits in between: fewer).
SELECT pg_notify(current_schema() || n.suffix, n.payload)
FROM unnest(ARRAY['_outbox', '_conversation_events'], ARRAY['', :org::text]) AS n(suffix, payload);
