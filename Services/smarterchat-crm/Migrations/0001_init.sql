-- crm 0001: leads and lead_activities (seed/data-model.md §2.7, §2.8, §4, §5.1).
--
-- Runs with search_path set to the `crm` schema, as the role that owns it: names are
-- unqualified and the functions and triggers live in this schema.
--
-- Departures from the seed:
-- * References to other services' tables are plain UUID columns without foreign keys;
--   events from the owning service replace ON DELETE CASCADE / SET NULL:
--     leads.organization_id (NOT NULL kept), leads.channel_id, leads.assigned_to_user_id,
--     lead_activities.user_id.
--   Each is indexed; idx_leads_channel and idx_lead_activities_user are added for that
--   (the seed had no index on those two columns).
-- * lead_activities.lead_id keeps its foreign key and cascade (both ends live here).
-- * The outbox (DESIGN.md §1) arrives with the issue that owns it.

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TABLE leads (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL, -- identity.organizations(id)

    name VARCHAR(255),
    email VARCHAR(255),
    phone VARCHAR(50),

    status VARCHAR(50) NOT NULL DEFAULT 'new', -- new, contacted, qualified, converted, lost
    temperature VARCHAR(20) DEFAULT 'cold', -- hot, warm, cold
    score INTEGER DEFAULT 0, -- 0-100

    source VARCHAR(100), -- whatsapp, instagram, webchat
    channel_id UUID, -- conversations.channels(id)

    assigned_to_user_id UUID, -- identity.users(id)
    assigned_at TIMESTAMP WITH TIME ZONE,

    company VARCHAR(255),
    position VARCHAR(255),
    interest TEXT,
    notes TEXT,

    custom_fields JSONB DEFAULT '{}',

    tags JSONB DEFAULT '[]',
    segment VARCHAR(100),

    total_interactions INTEGER DEFAULT 0,
    last_interaction_at TIMESTAMP WITH TIME ZONE,
    conversion_probability DECIMAL(3,2),

    converted_at TIMESTAMP WITH TIME ZONE,
    lost_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_leads_organization ON leads(organization_id);
CREATE INDEX idx_leads_status ON leads(status);
CREATE INDEX idx_leads_temperature ON leads(temperature);
CREATE INDEX idx_leads_assigned_to ON leads(assigned_to_user_id);
CREATE INDEX idx_leads_email ON leads(email);
CREATE INDEX idx_leads_phone ON leads(phone);
CREATE INDEX idx_leads_channel ON leads(channel_id);
CREATE INDEX idx_leads_org_status ON leads(organization_id, status);
CREATE INDEX idx_leads_org_temp ON leads(organization_id, temperature);
CREATE INDEX idx_leads_name_fts ON leads USING gin(to_tsvector('portuguese', name));

CREATE TABLE lead_activities (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    lead_id UUID NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    user_id UUID, -- identity.users(id)

    type VARCHAR(50) NOT NULL, -- note, call, email, meeting, status_change, assignment

    title VARCHAR(255),
    description TEXT,
    metadata JSONB DEFAULT '{}',

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_lead_activities_lead ON lead_activities(lead_id);
CREATE INDEX idx_lead_activities_type ON lead_activities(type);
CREATE INDEX idx_lead_activities_created_at ON lead_activities(created_at DESC);
CREATE INDEX idx_lead_activities_user ON lead_activities(user_id);

CREATE TRIGGER update_leads_updated_at BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
