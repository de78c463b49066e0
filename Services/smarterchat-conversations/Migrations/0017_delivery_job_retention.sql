-- conversations 0017: retention reaches the delivery queue and the reply jobs.
--
-- An outbound delivery keeps the message's text in `body` ({"text": ...}) and a template's
-- parameters; it stayed after retention deleted the message. The retention job now deletes
-- finished deliveries (sent, failed, unknown) as old as the organization's retention, and
-- finished reply jobs (done, skipped, failed: ids and an outcome, kept for diagnosis) after
-- 30 days, so neither table grows without end. BRIN indexes on created_at find the old end
-- of these append-mostly tables at almost no cost per insert.
CREATE INDEX idx_outbound_deliveries_created_at ON outbound_deliveries USING brin (created_at);
CREATE INDEX idx_reply_jobs_created_at ON reply_jobs USING brin (created_at);
