-- conversations 0013: the inbox's order (most recent activity first) moves to a narrow table
-- of its own, so that a new message no longer rewrites every index of `conversations`.
--
-- Every message updates its conversation's row (the seed's stats trigger: message_count,
-- last_message_at, ...). While idx_conversations_org_activity indexed
-- COALESCE(last_message_at, created_at), that update changed an indexed value, so it could
-- never be a HOT update and PostgreSQL added an entry to each of the table's 15 indexes for
-- every message: a third of the B-tree insertions and of the WAL of an ingested message, and
-- as many dead index entries for vacuum to remove. With the order kept here, the row's update
-- touches no indexed column and stays on its page (fillfactor 80, migration 0009): measured
-- with bench/ingest/ingest.sql, 99 % of those updates became HOT and the WAL per ingest
-- transaction fell from about 6.5 kB to 5.4 kB. Each message now updates this row instead:
-- two index entries.
--
-- The row is kept by a trigger on conversations, in the same transaction, so it always holds
-- COALESCE(last_message_at, created_at) of its conversation (InboxStore.columns' activity_key).
CREATE TABLE conversation_activity (
    conversation_id UUID PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    organization_id UUID NOT NULL,
    activity_at TIMESTAMP WITH TIME ZONE NOT NULL
);

INSERT INTO conversation_activity (conversation_id, organization_id, activity_at)
SELECT id, organization_id, COALESCE(last_message_at, created_at) FROM conversations;

CREATE INDEX idx_conversation_activity_org
    ON conversation_activity(organization_id, activity_at DESC, conversation_id DESC);

CREATE FUNCTION track_conversation_activity()
RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO conversation_activity (conversation_id, organization_id, activity_at)
        VALUES (NEW.id, NEW.organization_id, COALESCE(NEW.last_message_at, NEW.created_at));
    ELSIF COALESCE(NEW.last_message_at, NEW.created_at) IS DISTINCT FROM COALESCE(OLD.last_message_at, OLD.created_at)
        OR NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
        UPDATE conversation_activity
        SET activity_at = COALESCE(NEW.last_message_at, NEW.created_at), organization_id = NEW.organization_id
        WHERE conversation_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Pinned to this schema, so it resolves the same whatever search_path the session whose
-- statement fires it has.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION track_conversation_activity() SET search_path = %I', current_schema());
END $$;

CREATE TRIGGER trg_conversation_activity
    AFTER INSERT OR UPDATE OF last_message_at, created_at, organization_id ON conversations
    FOR EACH ROW EXECUTE FUNCTION track_conversation_activity();

DROP INDEX idx_conversations_org_activity;
