-- crm 0003: the list per assignee, measured on 1,000,000 leads (bench/leads, make bench-leads).
--
-- idx_leads_org_assigned_created serves "my leads" and the unassigned ones in the list's
-- order (created_at DESC, id DESC) and its keyset cursor, live leads only, as
-- idx_leads_org_created and idx_leads_org_status_created (0002) do for all leads and per status.

CREATE INDEX idx_leads_org_assigned_created ON leads(organization_id, assigned_to_user_id, created_at, id)
    WHERE deleted_at IS NULL;
