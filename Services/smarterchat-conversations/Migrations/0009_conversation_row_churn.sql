-- conversations 0009: every message updates its conversation's row (the seed's stats
-- trigger, the response-stats trigger), so a busy conversation's row is rewritten several
-- times a second. Room on each page (fillfactor 80) lets PostgreSQL keep the new versions on
-- the same page (HOT, no new index entries when no indexed column changes), and vacuuming the
-- table once 2% of it is dead (instead of 20%) keeps the dead versions from piling up in its
-- indexes between autovacuum runs.
ALTER TABLE conversations SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.05);
ALTER TABLE reply_jobs SET (autovacuum_vacuum_scale_factor = 0.02);
