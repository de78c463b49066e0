-- analytics 0001: analytics_events (seed/data-model.md §2.12, §6).
--
-- Runs with search_path set to the `analytics` schema, as the role that owns it: names are
-- unqualified and the functions live in this schema.
--
-- Departures from the seed:
-- * Every reference leaves this schema, so all are plain UUID columns without foreign keys;
--   events replace ON DELETE CASCADE / SET NULL: organization_id (NOT NULL kept), agent_id,
--   user_id, conversation_id, lead_id. idx_analytics_agent, idx_analytics_user,
--   idx_analytics_conversation and idx_analytics_lead are added for them (the seed indexed
--   only organization_id).
-- * analytics_events is partitioned by month on created_at (§6): its primary key is
--   (id, created_at), since a partitioned table's unique keys must contain the partition key,
--   which makes created_at NOT NULL (it keeps its DEFAULT). Rows outside every monthly
--   partition land in analytics_events_default. ensure_monthly_partitions(months_ahead)
--   creates the current month and the next months_ahead months; the service calls it on a
--   schedule.
-- * The views of §3 (conversation_summary, agent_performance) join tables of several
--   services: they become read models maintained here from events, in later migrations.

CREATE TABLE analytics_events (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id)

    event_type VARCHAR(100) NOT NULL,
    event_data JSONB NOT NULL,

    agent_id UUID, -- agents.agents(id)
    user_id UUID, -- identity.users(id)
    conversation_id UUID, -- conversations.conversations(id)
    lead_id UUID, -- crm.leads(id)

    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;

CREATE INDEX idx_analytics_organization ON analytics_events(organization_id);
CREATE INDEX idx_analytics_event_type ON analytics_events(event_type);
CREATE INDEX idx_analytics_created_at ON analytics_events(created_at DESC);
CREATE INDEX idx_analytics_agent ON analytics_events(agent_id);
CREATE INDEX idx_analytics_user ON analytics_events(user_id);
CREATE INDEX idx_analytics_conversation ON analytics_events(conversation_id);
CREATE INDEX idx_analytics_lead ON analytics_events(lead_id);

-- Creates the monthly partitions of analytics_events from the current month (UTC) through
-- months_ahead months later, named analytics_events_YYYY_MM, and returns how many it created.
-- Rows already in analytics_events_default for a new month are moved into the new partition
-- before it is attached (ATTACH refuses while the default partition holds rows of its range).
-- Safe to call repeatedly and from several replicas (a transaction-level advisory lock
-- serialises callers).
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
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$ language 'plpgsql';

-- Pin the function to this schema, so it resolves the same whatever search_path the caller has.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION ensure_monthly_partitions(int) SET search_path = %I', current_schema());
END;
$$;

SELECT ensure_monthly_partitions(3);
