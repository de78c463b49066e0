-- The outbox relay asks for each subscriber's oldest undelivered events
-- (Shared/ServiceKit/Outbox/OutboxStore.pending). Without these indexes it walked the
-- sequence index past every event the subscriber already had (one slow subscriber kept
-- them all in the table), a cost that grew with the outbox; a partial index per subscriber
-- holds only what it still has to receive.
CREATE INDEX idx_outbox_pending_hooks ON outbox(sequence) WHERE NOT ('hooks' = ANY(delivered_to));
CREATE INDEX idx_outbox_pending_analytics ON outbox(sequence) WHERE NOT ('analytics' = ANY(delivered_to));
