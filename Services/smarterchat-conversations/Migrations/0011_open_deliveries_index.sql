-- A conversation's messages go out one at a time, in order: the sender's claim
-- (DeliveryStore.claimDue) and the reply that records its own send intent
-- (DeliveryStore.enqueue with sendingNow) both ask whether the conversation has an earlier
-- delivery still pending or sending. idx_outbound_deliveries_conversation walked every
-- delivery the conversation ever had to answer that; this partial index holds only the
-- open ones (usually none or one per conversation).
CREATE INDEX idx_outbound_deliveries_open ON outbound_deliveries(conversation_id, seq)
    WHERE status IN ('pending', 'sending');
