-- identity 0001: organizations and users, as seed/data-model.md §2.1, §2.2 and §5.1 define them.
--
-- Runs with search_path set to the `identity` schema, as the role that owns it: names are
-- unqualified and the functions and triggers live in this schema.
--
-- Departures from the seed:
-- * None in the tables: both ends of users.organization_id live here, so its foreign key and
--   ON DELETE CASCADE stay.
-- * Other services reference organizations and users by plain UUID columns; deleting an
--   organization or a user reaches them as events (organization.deleted, ...), not cascades.
-- * sessions, api_keys and audit_log (DESIGN.md §1) arrive with the issues that own them.

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ language 'plpgsql';

CREATE TABLE organizations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    slug VARCHAR(100) UNIQUE NOT NULL,
    plan VARCHAR(50) NOT NULL DEFAULT 'free', -- free, starter, professional, enterprise
    status VARCHAR(20) NOT NULL DEFAULT 'active', -- active, suspended, cancelled

    settings JSONB DEFAULT '{}',
    branding JSONB DEFAULT '{}', -- logo, colours, ...

    max_agents INTEGER DEFAULT 1,
    max_conversations_per_month INTEGER DEFAULT 100,
    max_users INTEGER DEFAULT 3,

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_organizations_slug ON organizations(slug);
CREATE INDEX idx_organizations_status ON organizations(status);

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,

    email VARCHAR(255) UNIQUE NOT NULL,
    password_hash VARCHAR(255) NOT NULL, -- $scrypt$ln=..,r=..,p=..$salt$hash (Cryptography.PasswordHasher)
    full_name VARCHAR(255) NOT NULL,
    avatar_url VARCHAR(500),

    email_verified BOOLEAN DEFAULT FALSE,
    two_factor_enabled BOOLEAN DEFAULT FALSE,
    two_factor_secret VARCHAR(255), -- sealed with the key ring (Cryptography.KeyRing), never plain

    role VARCHAR(50) NOT NULL DEFAULT 'consultant', -- super_admin, admin, manager, consultant
    permissions JSONB DEFAULT '[]',

    status VARCHAR(20) NOT NULL DEFAULT 'active', -- active, inactive, suspended
    last_login_at TIMESTAMP WITH TIME ZONE,

    preferences JSONB DEFAULT '{}',

    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    deleted_at TIMESTAMP WITH TIME ZONE
);

CREATE INDEX idx_users_organization ON users(organization_id);
CREATE INDEX idx_users_email ON users(email);
CREATE INDEX idx_users_role ON users(role);

CREATE TRIGGER update_organizations_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
