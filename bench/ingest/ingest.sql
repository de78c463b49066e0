-- pgbench script of bench/ingest/run.sh: the transaction conversations runs for one inbound
-- WhatsApp message of a contact who already has a conversation (InboundIngest): the receipt
-- check, find-or-open of the conversation, the receipt, the message (the stats trigger
-- fires), the reply job, the outbox event and the timeline row, with their NOTIFYs.
\set n random(1, 2000000000)
\set c random(0, 999)
BEGIN;
SELECT 1 FROM inbound_receipts WHERE channel_id = ':channel' AND external_message_id = 'pgb.' || :n || '.' || :client_id;
INSERT INTO conversations (organization_id, channel_id, agent_id, contact_identifier, contact_name, contact_metadata)
VALUES (':org', ':channel', NULL, 'pgb' || :c, 'Bench', '{}')
ON CONFLICT (channel_id, contact_identifier) WHERE status IN ('active', 'waiting') DO NOTHING
RETURNING id, mode, lead_id, over_plan_limit;
UPDATE conversations SET contact_name = COALESCE(contact_name, 'Bench')
WHERE channel_id = ':channel' AND contact_identifier = 'pgb' || :c AND status IN ('active', 'waiting')
RETURNING id AS conversation_id \gset
INSERT INTO inbound_receipts (channel_id, external_message_id, organization_id, conversation_id, message_id)
VALUES (':channel', 'pgb.' || :n || '.' || :client_id, ':org', ':conversation_id', gen_random_uuid())
ON CONFLICT DO NOTHING;
INSERT INTO messages (conversation_id, sender_type, content, content_type, direction, status, external_id, external_metadata, sent_at)
VALUES (':conversation_id', 'contact', 'bench message', 'text', 'inbound', 'delivered', 'pgb.' || :n, '{}', CURRENT_TIMESTAMP);
UPDATE reply_jobs SET trigger_message_id = gen_random_uuid() WHERE conversation_id = ':conversation_id' AND status = 'pending';
INSERT INTO reply_jobs (organization_id, conversation_id, trigger_message_id)
SELECT ':org', ':conversation_id', gen_random_uuid()
WHERE NOT EXISTS (SELECT 1 FROM reply_jobs WHERE conversation_id = ':conversation_id' AND status = 'pending');
INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, payload)
VALUES (':org', 'message.received', 'conversation', ':conversation_id', '{"content":"bench message"}');
SELECT pg_notify(current_schema() || '_outbox', '');
INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, payload)
VALUES (':org', ':conversation_id', 'message.received', 'contact', '{"content":"bench message"}');
SELECT pg_notify(current_schema() || '_conversation_events', ':org');
COMMIT;
