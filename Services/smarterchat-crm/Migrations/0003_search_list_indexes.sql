-- crm 0003: search and list indexes measured on 1,000,000 leads (bench/leads, make bench-leads).
--
-- * leads.search_document becomes: name (the `portuguese` configuration) and the phone's
--   digits (whole, without a two-digit country code, last nine), plus one lexeme naming the
--   organization (`o` and its id's hex digits). A search ANDs the organization's lexeme into
--   its tsquery, so the GIN index alone narrows to the tenant's matches (a GIN index cannot
--   hold the uuid column beside the tsvector without the btree_gin extension, which a
--   service role may not create). Emails leave the document: every address was a lexeme of
--   its own, and a prefix query walked them all; they are matched by prefix through
--   idx_leads_org_email_live, now text_pattern_ops (LIKE 'abc%' under any collation).
-- * idx_leads_org_status_created: the list per status (the pipeline board's columns, and its
--   counts as an index-only scan); idx_leads_org_assigned_created: per assignee ("my leads",
--   and the unassigned ones). Both in the list's order, live leads only.

DROP INDEX idx_leads_search;
ALTER TABLE leads DROP COLUMN search_document;
ALTER TABLE leads ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    to_tsvector('portuguese',
        coalesce(name, '') || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' '
        || coalesce(substr(regexp_replace(phone, '[^0-9]', '', 'g'), 3), '') || ' '
        || coalesce(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), ''))
    || ('o' || replace(organization_id::text, '-', ''))::tsvector
) STORED;
CREATE INDEX idx_leads_search ON leads USING gin(search_document);

DROP INDEX idx_leads_org_email_live;
CREATE INDEX idx_leads_org_email_live ON leads(organization_id, email text_pattern_ops)
    WHERE deleted_at IS NULL AND email IS NOT NULL;

CREATE INDEX idx_leads_org_status_created ON leads(organization_id, status, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_org_assigned_created ON leads(organization_id, assigned_to_user_id, created_at, id)
    WHERE deleted_at IS NULL;
