-- identity 0005: the outbox (DESIGN.md §4): user.created, organization.created,
-- user.email_verification_requested (carries the single-use token for the organization's
-- own systems; the relay sends it to hooks only), written with the change that causes them.

CREATE TABLE outbox (
    sequence BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    aggregate_type VARCHAR(50) NOT NULL,
    aggregate_id UUID NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
    delivered_to TEXT[] NOT NULL DEFAULT '{}'
);

CREATE INDEX idx_outbox_occurred_at ON outbox(occurred_at);
