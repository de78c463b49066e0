-- bench/leads: the plans of the leads list (the statement of
-- Services/smarterchat-crm/Store/LeadListQuery.swift with LeadStore.columns), prepared and
-- executed with parameters as libpq's PQexecParams sends them (each execution is planned with
-- its values, as the unnamed statement is). Organization 42; its user ...9000-000000002a03.
\set ON_ERROR_STOP on
SET search_path = crm;
-- Without q.
PREPARE list(uuid, text, text, uuid, boolean, text, text, text, int, int, timestamptz, timestamptz, text,
    timestamptz, uuid, int, text) AS
SELECT id, organization_id, coalesce(name, '') AS name, coalesce(email, '') AS email,
    coalesce(phone, '') AS phone, status, coalesce(temperature, 'cold') AS temperature,
    coalesce(score, 0) AS score, coalesce(source, '') AS source, channel_id, assigned_to_user_id,
    assigned_at, coalesce(company, '') AS company,
    coalesce(position, '') AS position, coalesce(interest, '') AS interest, coalesce(notes, '') AS notes,
    coalesce(custom_fields, '{}') AS custom_fields, coalesce(tags, '[]') AS tags,
    coalesce(segment, '') AS segment, coalesce(total_interactions, 0) AS total_interactions,
    last_interaction_at, conversion_probability::text AS conversion_probability,
    converted_at, lost_at, created_at,
    updated_at, coalesce(platform_user_id, '') AS platform_user_id
FROM leads
WHERE organization_id = $1 AND deleted_at IS NULL
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR temperature = $3)
  AND ($4::uuid IS NULL OR assigned_to_user_id = $4)
  AND (NOT $5::boolean OR assigned_to_user_id IS NULL)
  AND ($6::text IS NULL OR source = $6)
  AND ($7::text IS NULL OR tags ? $7)
  AND ($8::text IS NULL OR segment = $8)
  AND ($9::int IS NULL OR score >= $9)
  AND ($10::int IS NULL OR score <= $10)
  AND ($11::timestamptz IS NULL OR created_at >= $11)
  AND ($12::timestamptz IS NULL OR created_at < $12)
  AND ($13::text IS NULL AND $17::text IS NULL)
  AND ($14::timestamptz IS NULL OR (created_at, id) < ($14::timestamptz, $15::uuid))
ORDER BY leads.created_at DESC, leads.id DESC
LIMIT $16;
-- With q: the matches first (LeadListQuery.searchMatches).
PREPARE search(uuid, text, text, uuid, boolean, text, text, text, int, int, timestamptz, timestamptz, text,
    timestamptz, uuid, int, text) AS
WITH matches AS MATERIALIZED (
    SELECT * FROM leads
    WHERE $13::text IS NOT NULL AND numnode(to_tsquery('portuguese', $13)) > 0
      AND search_document @@ (to_tsquery('portuguese', $13) && ('o' || replace($1::text, '-', ''))::tsquery)
    UNION ALL
    SELECT * FROM leads
    WHERE $17::text IS NOT NULL AND organization_id = $1 AND deleted_at IS NULL AND email LIKE $17
      AND NOT ($13::text IS NOT NULL AND numnode(to_tsquery('portuguese', $13)) > 0
          AND search_document @@ (to_tsquery('portuguese', $13) && ('o' || replace($1::text, '-', ''))::tsquery))
)
SELECT id, organization_id, coalesce(name, '') AS name, coalesce(email, '') AS email,
    coalesce(phone, '') AS phone, status, coalesce(temperature, 'cold') AS temperature,
    coalesce(score, 0) AS score, coalesce(source, '') AS source, channel_id, assigned_to_user_id,
    assigned_at, coalesce(company, '') AS company,
    coalesce(position, '') AS position, coalesce(interest, '') AS interest, coalesce(notes, '') AS notes,
    coalesce(custom_fields, '{}') AS custom_fields, coalesce(tags, '[]') AS tags,
    coalesce(segment, '') AS segment, coalesce(total_interactions, 0) AS total_interactions,
    last_interaction_at, conversion_probability::text AS conversion_probability,
    converted_at, lost_at, created_at,
    updated_at, coalesce(platform_user_id, '') AS platform_user_id
FROM matches AS leads
WHERE organization_id = $1 AND deleted_at IS NULL
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR temperature = $3)
  AND ($4::uuid IS NULL OR assigned_to_user_id = $4)
  AND (NOT $5::boolean OR assigned_to_user_id IS NULL)
  AND ($6::text IS NULL OR source = $6)
  AND ($7::text IS NULL OR tags ? $7)
  AND ($8::text IS NULL OR segment = $8)
  AND ($9::int IS NULL OR score >= $9)
  AND ($10::int IS NULL OR score <= $10)
  AND ($11::timestamptz IS NULL OR created_at >= $11)
  AND ($12::timestamptz IS NULL OR created_at < $12)
  AND TRUE
  AND ($14::timestamptz IS NULL OR (created_at, id) < ($14::timestamptz, $15::uuid))
ORDER BY leads.created_at DESC, leads.id DESC
LIMIT $16;
-- Custom plans only, as PQexecParams gets.
SET plan_cache_mode = force_custom_plan;

\echo '== 1. first page, no filter'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '== 2. status = qualified, temperature = hot'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', 'qualified', 'hot', NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '== 3. assigned to one user, source whatsapp'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', NULL, NULL, '00000000-0000-4000-9000-000000002a03', false, 'whatsapp', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '== 4. tag vip, score 80..100'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, false, NULL, 'vip', NULL, 80, 100, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '== 5. search q=ana: names (portuguese, stemmed) or emails starting with ana'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE search('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '''ana''', NULL, NULL, 51, 'ana%');
\echo '== 6. search q="helena prado" with status new'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE search('00000000-0000-4000-8000-00000000002a', 'new', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '''helena'' & ''prado''', NULL, NULL, 51, 'helena prado%');
\echo '== 7. search by phone digits (q=004242)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE search('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '''004242'':*', NULL, NULL, 51, NULL);
\echo '== 8. created in October 2026, unassigned'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, true, NULL, NULL, NULL, NULL, NULL, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', NULL, NULL, NULL, 51, NULL);
\echo '== 9. a later page (cursor), segment enterprise'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list('00000000-0000-4000-8000-00000000002a', NULL, NULL, NULL, false, NULL, NULL, 'enterprise', NULL, NULL, NULL, NULL, NULL, '2026-06-01T00:00:00Z', 'ffffffff-ffff-4fff-bfff-ffffffffffff', 51, NULL);
\echo '== 10. pipeline counts'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT status, count(*)::bigint AS n FROM leads WHERE organization_id = '00000000-0000-4000-8000-00000000002a' AND deleted_at IS NULL GROUP BY status;
