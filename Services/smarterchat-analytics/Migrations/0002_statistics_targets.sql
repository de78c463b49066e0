-- analytics 0002: smaller ANALYZE samples for analytics_events, the table every relayed event
-- adds a row to.
--
-- ANALYZE reads 300 x the largest statistics target of a table's columns in sample rows:
-- 30,000 at PostgreSQL's default target of 100, and computes the statistics of every column,
-- the JSON event_data included, over all of them. Autovacuum analyses the month's partition
-- each time a tenth of its rows is new: with 417,000 events that took 280-400 ms, part of
-- the bursts that held up the platform's ingest (docs/operations.md, "Autovacuum"), as
-- conversations' migration 0015 says for its tables.
--
-- Reports filter and group by organization, event type, agent and time: a target of 30
-- (9,000 sample rows, a 30-bucket histogram, 30 common values) serves those estimates;
-- event_data, which no statement filters on, gets none (0). Measured on that database:
-- ANALYZE of the partition 280-400 -> 51-60 ms. ALTER on the partitioned table reaches its
-- partitions; a partition created later gets its parent's targets from
-- ensure_monthly_partitions (inherit_statistics_targets).

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

ALTER TABLE analytics_events ALTER COLUMN event_data SET STATISTICS 0;
ALTER TABLE analytics_events ALTER COLUMN id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN organization_id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN event_type SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN agent_id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN user_id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN conversation_id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN lead_id SET STATISTICS 30;
ALTER TABLE analytics_events ALTER COLUMN created_at SET STATISTICS 30;

-- ensure_monthly_partitions of migration 0001, which now also gives each partition it creates
-- its parent's statistics targets (CREATE TABLE ... LIKE and ATTACH copy none of them).
CREATE OR REPLACE FUNCTION ensure_monthly_partitions(months_ahead int)
RETURNS int AS $$
DECLARE
    parent text := 'analytics_events';
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
