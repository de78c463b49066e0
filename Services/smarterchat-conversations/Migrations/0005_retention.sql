-- conversations 0005: retention (seed §7).
--
-- drop_expired_message_partitions(cutoff) detaches and drops every monthly partition of
-- messages (messages_YYYY_MM) whose whole range ends at or before `cutoff`, and answers how
-- many it dropped: whole months go at the cost of a catalog change instead of a DELETE of
-- every row. Rows newer than a whole month (and the default partition's) are deleted by the
-- retention job with DELETE. Serialised with ensure_monthly_partitions by the same lock.

CREATE OR REPLACE FUNCTION drop_expired_message_partitions(cutoff timestamptz)
RETURNS int AS $$
DECLARE
    part record;
    upper_bound timestamptz;
    dropped int := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.messages.partitions'));
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE p.relname = 'messages' AND n.nspname = current_schema() AND c.relname ~ '^messages_[0-9]{4}_[0-9]{2}$'
    LOOP
        upper_bound := (to_timestamp(substr(part.relname, 10, 7), 'YYYY_MM')::timestamp + interval '1 month')
            AT TIME ZONE 'UTC';
        CONTINUE WHEN upper_bound > cutoff;
        EXECUTE format('ALTER TABLE messages DETACH PARTITION %I', part.relname);
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$ language 'plpgsql';

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION drop_expired_message_partitions(timestamptz) SET search_path = %I',
                   current_schema());
END;
$$;

-- Each organization's message retention (identity's organization settings,
-- `settings.conversations.message_retention_days`, 30–3650), copied here by
-- RetentionSettingsRecorder when the organization's users use the API; absent: the seed's
-- year.
CREATE TABLE retention_settings (
    organization_id UUID PRIMARY KEY,
    message_retention_days INTEGER NOT NULL CHECK (message_retention_days BETWEEN 30 AND 3650),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
);
