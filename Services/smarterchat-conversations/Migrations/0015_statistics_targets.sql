-- conversations 0015: smaller ANALYZE samples for the tables every message adds a row to.
--
-- ANALYZE reads 300 x the largest statistics target of a table's columns (and of its
-- indexes' expressions) in sample rows: 30,000 rows at PostgreSQL's default target of 100,
-- and it computes the statistics of every column over all of them. Autovacuum analyses these
-- tables each time a tenth of their rows is new, so on a young or busy database every pass
-- analysed all of them, with this month's analytics events: 1.0-1.7 s of CPU a pass in
-- 60 s runs at 500 messages/s, a burst that held up the ingest around it
-- (docs/operations.md, "Autovacuum").
--
-- - The receipts, reply jobs, outbox and timeline are queues and logs: every statement finds
--   their rows through an index by key (id, conversation, organization, sequence, due time),
--   so a target of 10 (3,000 sample rows, a 10-bucket histogram, 10 common values) gives
--   the planner all it uses. The JSON payloads keep 0 (migration 0014).
-- - messages is the data the inbox filters and searches: 30, for its columns and for the
--   full-text index's expression (the lexeme statistics that estimate a search).
--
-- Measured on a bench database with 417,000 messages: ANALYZE of the receipts, reply jobs,
-- outbox, timeline and this month's messages took 860-1,160 ms at the default targets and
-- 140-150 ms at these. ALTER on the partitioned messages reaches its partitions; a
-- partition created later gets its parent's targets from ensure_monthly_partitions
-- (inherit_statistics_targets).

-- Copies the statistics targets set on `parent`'s columns, and on the expression columns of
-- its partitioned indexes, to the partition `child` and the indexes it has from them.
CREATE OR REPLACE FUNCTION inherit_statistics_targets(parent regclass, child regclass)
RETURNS void AS $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT a.attname, a.attstattarget FROM pg_attribute a
        WHERE a.attrelid = parent AND a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget >= 0
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', child, target.attname, target.attstattarget);
    END LOOP;
    FOR target IN
        SELECT i.indexrelid::regclass AS index_name, pa.attnum, pa.attstattarget
        FROM pg_index i
        JOIN pg_inherits h ON h.inhrelid = i.indexrelid
        JOIN pg_attribute pa ON pa.attrelid = h.inhparent AND pa.attnum > 0 AND pa.attstattarget >= 0
        WHERE i.indrelid = child
    LOOP
        EXECUTE format('ALTER INDEX %s ALTER COLUMN %s SET STATISTICS %s', target.index_name, target.attnum,
                       target.attstattarget);
    END LOOP;
END;
$$ LANGUAGE plpgsql;

-- The targets: every column still at the default (-1) gets its table's; the payloads keep 0.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN
        SELECT a.attrelid::regclass AS relation, a.attname, t.value
        FROM (VALUES ('inbound_receipts', 10), ('reply_jobs', 10), ('outbox', 10), ('conversation_events', 10),
                     ('messages', 30)) AS t(name, value)
        JOIN pg_attribute a ON a.attrelid = t.name::regclass
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget < 0
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', target.relation, target.attname,
                       target.value);
    END LOOP;
END;
$$;
ALTER INDEX idx_messages_content_fts ALTER COLUMN 1 SET STATISTICS 30;

-- ensure_monthly_partitions of migration 0001, which now also gives each partition it creates
-- its parent's statistics targets (CREATE TABLE ... LIKE and ATTACH copy none of them).
CREATE OR REPLACE FUNCTION ensure_monthly_partitions(months_ahead int)
RETURNS int AS $$
DECLARE
    parent text := 'messages';
    first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    month_start timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    partition_name text;
    created int := 0;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 120' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.' || parent || '.partitions'));
    IF to_regclass(format('%I.%I', current_schema(), parent || '_default')) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
        PERFORM inherit_statistics_targets(parent::regclass, (parent || '_default')::regclass);
    END IF;
    FOR i IN 0..months_ahead LOOP
        month_start := first_month + make_interval(months => i);
        lower_bound := month_start AT TIME ZONE 'UTC';
        upper_bound := (month_start + interval '1 month') AT TIME ZONE 'UTC';
        partition_name := parent || '_' || to_char(month_start, 'YYYY_MM');
        CONTINUE WHEN to_regclass(format('%I.%I', current_schema(), partition_name)) IS NOT NULL;
        IF created = 0 THEN
            -- Take the locks ATTACH needs before the move below, instead of upgrading the
            -- move's lock on the default partition later (a classic deadlock). Inserts of
            -- rows that have a partition never touch the default one; rows that would land
            -- in it wait. Only when there is work: a no-op call blocks nobody.
            EXECUTE format('LOCK TABLE %I IN SHARE UPDATE EXCLUSIVE MODE', parent);
            EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', parent || '_default');
        END IF;
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       partition_name, parent);
        EXECUTE format('WITH moved AS (DELETE FROM %I WHERE created_at >= $1 AND created_at < $2 RETURNING *) '
                       'INSERT INTO %I SELECT * FROM moved', parent || '_default', partition_name)
            USING lower_bound, upper_bound;
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       parent, partition_name, lower_bound, upper_bound);
        PERFORM inherit_statistics_targets(parent::regclass, partition_name::regclass);
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$ language 'plpgsql';

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ensure_monthly_partitions(int) SET search_path = %I', current_schema());
    EXECUTE format('ALTER FUNCTION inherit_statistics_targets(regclass, regclass) SET search_path = %I',
                   current_schema());
END;
$$;
