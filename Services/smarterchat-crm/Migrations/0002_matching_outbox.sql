-- crm 0002: contact matching, merge pointer, search, cursor pagination, conversations of a
-- lead, outbox (DESIGN.md §4, issue 6).
--
-- * leads.platform_user_id: the contact's id on a channel without phone numbers (Instagram,
--   Telegram, web chat visitor).
-- * One live lead per contact: partial unique indexes on (organization, E.164 phone) and on
--   (organization, source, platform user id) among leads not deleted. FindOrCreateLead also
--   serializes on a transaction advisory lock per contact key, so concurrent first messages
--   of one contact find one lead; the indexes are the backstop (and make PATCH/import refuse
--   a phone another lead already has).
-- * leads.merged_into_id: a lead merged into another is soft-deleted and points at it.
-- * leads.search_document: the full-text document of `q` (name with the `portuguese`
--   configuration, the phone's digits with and without the country code) plus one
--   lexeme naming the organization (`o` and its id's hex digits), kept by PostgreSQL as a
--   stored generated column and GIN-indexed. A search ANDs the organization's lexeme into its
--   tsquery, so the GIN index alone narrows to the tenant's matches (a GIN index cannot have
--   a uuid column beside the tsvector without the btree_gin extension, which a service role
--   may not create). Emails are matched by prefix through idx_leads_org_email_live
--   (text_pattern_ops), not as lexemes: every address would be a lexeme of its own, and a
--   prefix query would walk them all. The seed's idx_leads_name_fts stays.
-- * idx_leads_org_created: the list's order (created_at DESC, id DESC) and its keyset cursor,
--   per organization, live leads only; idx_leads_org_status_created the same per status (the
--   pipeline board's columns, and its counts as an index-only scan).
-- * lead_conversations: the conversations that found or talked to a lead (its timeline).
-- * outbox: the table Shared/ServiceKit/Outbox/Outbox.swift documents.

ALTER TABLE leads ADD COLUMN platform_user_id VARCHAR(255);
ALTER TABLE leads ADD COLUMN merged_into_id UUID REFERENCES leads(id) ON DELETE SET NULL;
ALTER TABLE leads ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    to_tsvector('portuguese',
        coalesce(name, '') || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' '
        || coalesce(substr(regexp_replace(phone, '[^0-9]', '', 'g'), 3), '') || ' '
        || coalesce(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), ''))
    || ('o' || replace(organization_id::text, '-', ''))::tsvector
) STORED;

CREATE UNIQUE INDEX idx_leads_org_phone_live ON leads(organization_id, phone)
    WHERE deleted_at IS NULL AND phone IS NOT NULL;
CREATE UNIQUE INDEX idx_leads_org_platform_user_live ON leads(organization_id, source, platform_user_id)
    WHERE deleted_at IS NULL AND platform_user_id IS NOT NULL;
CREATE INDEX idx_leads_org_email_live ON leads(organization_id, email text_pattern_ops)
    WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE INDEX idx_leads_org_created ON leads(organization_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_org_status_created ON leads(organization_id, status, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX idx_leads_search ON leads USING gin(search_document);
CREATE INDEX idx_leads_merged_into ON leads(merged_into_id) WHERE merged_into_id IS NOT NULL;

CREATE TABLE lead_conversations (
    lead_id UUID NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL, -- conversations.conversations(id)
    organization_id UUID NOT NULL,
    first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (lead_id, conversation_id)
);

CREATE INDEX idx_lead_conversations_conversation ON lead_conversations(conversation_id);

CREATE INDEX idx_lead_activities_lead_created ON lead_activities(lead_id, created_at DESC, id DESC);

CREATE TABLE outbox (
    sequence BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    aggregate_type VARCHAR(50) NOT NULL,
    aggregate_id UUID NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    delivered_to TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_outbox_occurred_at ON outbox (occurred_at);

-- Timestamps as the contracts carry them (RFC 3339, UTC, seconds).
CREATE FUNCTION rfc3339(value TIMESTAMP WITH TIME ZONE) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
