-- 0006: when a reply job was last claimed and when it ended (clock time), so operators can
-- see how long replies wait for a worker and how long the worker takes, and bench/reply can
-- measure the platform's overhead from "job picked" as issue 5 defines it.
ALTER TABLE reply_jobs ADD COLUMN started_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE reply_jobs ADD COLUMN finished_at TIMESTAMP WITH TIME ZONE;
