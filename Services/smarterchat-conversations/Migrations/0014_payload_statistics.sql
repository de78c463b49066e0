-- conversations 0014: no planner statistics for the JSON payloads of the outbox and the
-- timeline. No statement filters, joins or sorts on them (they are read by sequence, by
-- conversation or by organization through their indexes), yet ANALYZE read, detoasted and
-- summarised them for every sample row: with 55,000 rows in each table, ANALYZE of the outbox
-- took 221 ms of CPU and 113 ms without them, the timeline 132 and 61 ms (docs/operations.md,
-- "Autovacuum"). Autovacuum analyses both tables often, since every message adds a row to each.
ALTER TABLE outbox ALTER COLUMN payload SET STATISTICS 0;
ALTER TABLE conversation_events ALTER COLUMN payload SET STATISTICS 0;
