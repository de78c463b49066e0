-- bench/leads: 1,000,000 leads in 100 organizations (10,000 each), straight into crm.leads.
--
-- Organization o (1..100) is 00000000-0000-4000-8000-<o as 12 hex digits>; its users (the
-- assignees) are 00000000-0000-4000-9000-<o><u> for u in 0..9. Lead i of an organization:
--   status      new, contacted, qualified, converted, lost by a hash of (o, i)
--   temperature hot 1/6, warm 2/6, cold 3/6; score 0..100
--   source      whatsapp, instagram, telegram, webchat, manual
--   assignee    one of the 10 users, or none for 1/5
--   tags        'vip' for 1/10, 'evento' for 1/7 (together sometimes), else []
--   segment     b2b, b2c, enterprise, pme
--   name        Portuguese first and last names (40 x 40), email and an E.164 phone
--   created_at  one lead every ~105 minutes over two years, newest i = 10000
-- LeadsBench (bench/leads/LeadsBench) derives the same ids.
\set ON_ERROR_STOP on
SET search_path = crm;
SET synchronous_commit = off;
TRUNCATE leads CASCADE;

INSERT INTO leads (
    organization_id, name, email, phone, status, temperature, score, source, assigned_to_user_id, assigned_at,
    company, tags, segment, total_interactions, last_interaction_at, converted_at, lost_at, created_at, updated_at)
SELECT
    org_id, first_name || ' ' || last_name,
    lower(translate(first_name, 'áãâéêíóôõúç', 'aaaeeiooouc')) || '.' || lower(translate(last_name, 'áãâéêíóôõúç', 'aaaeeiooouc')) || i || '@example.com',
    '+55' || ((1 + h % 9) * 10 + 1 + h / 9 % 9) || '9' || lpad(((i * 100 + o) % 100000000)::text, 8, '0'),
    status, temperature, h % 101, (ARRAY['whatsapp', 'instagram', 'telegram', 'webchat', 'manual'])[1 + h / 7 % 5],
    assignee, CASE WHEN assignee IS NOT NULL THEN created_at + interval '1 hour' END,
    'Empresa ' || (h % 500),
    CASE WHEN i % 10 = 0 AND i % 7 = 0 THEN '["vip", "evento"]'::jsonb WHEN i % 10 = 0 THEN '["vip"]'::jsonb
        WHEN i % 7 = 0 THEN '["evento"]'::jsonb ELSE '[]'::jsonb END,
    (ARRAY['b2b', 'b2c', 'enterprise', 'pme'])[1 + h / 11 % 4],
    h % 40, created_at + interval '2 hours',
    CASE WHEN status = 'converted' THEN created_at + interval '3 days' END,
    CASE WHEN status = 'lost' THEN created_at + interval '5 days' END,
    created_at, created_at
FROM (
    SELECT o, i, h, org_id, created_at,
        (ARRAY['Ana', 'Maria', 'João', 'José', 'Pedro', 'Paulo', 'Lucas', 'Mateus', 'Gabriel', 'Rafael',
            'Juliana', 'Fernanda', 'Camila', 'Beatriz', 'Larissa', 'Bruna', 'Carla', 'Patrícia', 'Aline', 'Letícia',
            'Carlos', 'Marcos', 'André', 'Felipe', 'Rodrigo', 'Gustavo', 'Thiago', 'Bruno', 'Diego', 'Eduardo',
            'Sofia', 'Helena', 'Valentina', 'Laura', 'Isabela', 'Manuela', 'Júlia', 'Heloísa', 'Luiza', 'Alice'])[1 + h % 40]
            AS first_name,
        (ARRAY['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes',
            'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa',
            'Rocha', 'Dias', 'Nascimento', 'Andrade', 'Moreira', 'Nunes', 'Marques', 'Machado', 'Mendes', 'Freitas',
            'Cardoso', 'Ramos', 'Gonçalves', 'Santana', 'Teixeira', 'Prado', 'Moura', 'Correia', 'Pinto', 'Araújo'])[1 + h / 40 % 40]
            AS last_name,
        (ARRAY['new', 'new', 'contacted', 'contacted', 'qualified', 'qualified', 'converted', 'lost'])[1 + h / 3 % 8]
            AS status,
        (ARRAY['hot', 'warm', 'warm', 'cold', 'cold', 'cold'])[1 + h / 5 % 6] AS temperature,
        CASE WHEN h / 13 % 5 = 0 THEN NULL
            ELSE ('00000000-0000-4000-9000-' || lpad(to_hex(o), 10, '0') || lpad(to_hex(h / 13 % 10), 2, '0'))::uuid
        END AS assignee
    FROM (
        SELECT o, i, abs(hashint8(o::bigint * 100003 + i)) AS h,
            ('00000000-0000-4000-8000-' || lpad(to_hex(o), 12, '0'))::uuid AS org_id,
            timestamptz '2026-11-01 00:00:00+00' - (10000 - i) * interval '105 minutes' - o * interval '1 second'
                AS created_at
        FROM generate_series(1, 100) AS o, generate_series(1, 10000) AS i
    ) AS seed
) AS lead;

ANALYZE leads;
SELECT count(*) AS rows FROM leads;
