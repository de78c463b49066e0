-- conversations 0016: the live feeds read conversation_events in the order of the writers'
-- transaction ids.
--
-- seq comes from a sequence taken when the row is inserted, and transactions commit in any
-- order. The feeds showed only rows whose writer had ended before every transaction still
-- running began (xmin before the snapshot's xmin), in seq order, and resumed after the last
-- seq shown. That missed a row: a transaction that got its id after another could take the
-- smaller seq and commit last; the older transaction's row, with the larger seq, was shown as
-- soon as it committed, and the reader, having moved past it, never saw the smaller seq.
--
-- Every row now records its writer's top-level transaction id as xid8 (64-bit, does not wrap).
-- A feed shows the rows with writer_xid before the snapshot's xmin, in (writer_xid, seq) order:
-- any row that becomes visible later belongs to a transaction still running now, whose id is
-- at least that xmin, so it sorts after everything shown. The cursor stays the last seq shown
-- (Last-Event-ID): its row gives the writer_xid to resume after.
--
-- Rows written before this migration read as transaction 0 (a constant default, so no table
-- rewrite): they come first, in seq order.
ALTER TABLE conversation_events ADD COLUMN writer_xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE conversation_events ALTER COLUMN writer_xid SET DEFAULT pg_current_xact_id();

-- The organization's feed: its rows in (writer_xid, seq) order. It replaces the index by
-- (organization_id, seq), which only that feed used.
CREATE INDEX idx_conversation_events_org_feed ON conversation_events(organization_id, writer_xid, seq);
DROP INDEX idx_conversation_events_org_seq;

-- Retention: the timeline's rows go with the messages (a message event carries the message's
-- text, so keeping the row would keep the text past the organization's retention). The
-- retention job deletes them by created_at; a BRIN index finds the old end of this
-- append-mostly table at almost no cost per insert.
CREATE INDEX idx_conversation_events_created_at ON conversation_events USING brin (created_at);
