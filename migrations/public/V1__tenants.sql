-- The control plane: one row per tenant. It is what routes a storefront request (by `domain`)
-- and a manager request (by `id`) to the tenant's schema, and it is the only table outside the
-- tenant schemas. Tenant roles are granted nothing here: a tenant-bound transaction cannot even
-- read which other tenants exist.
CREATE TABLE tenants (
    id uuid PRIMARY KEY,

    -- `tenant_` and the id's 32 hex digits. Derived from the id rather than chosen, so it can
    -- never collide or carry anything but [a-z0-9_] into the DDL that provisioning runs; the
    -- check repeats that rule where the data lives.
    schema_name text NOT NULL UNIQUE,

    -- Canonical form only (lowercase ASCII, punycode, no port, no trailing dot): the service
    -- canonicalises before it writes or looks up, so a plain b-tree unique index is exact.
    domain text NOT NULL,
    CONSTRAINT tenants_domain_key UNIQUE (domain),

    -- The restaurant's display name for the storefront header and the document title.
    name text NOT NULL,

    -- {"primary_color": "#rrggbb", "font": "<allow-listed family>"}, validated by the service
    -- before it is written. jsonb so branding can grow (logo, accent colours) without a
    -- migration of this hot table.
    theme jsonb NOT NULL,

    -- SHA-256 of the manager API key; the key itself is shown once and never stored. 256 random
    -- bits need no salt or slow hash: there is no dictionary to attack.
    manager_key_hash bytea NOT NULL,

    -- The last tenant migration applied to this tenant's schema, written in the same
    -- transaction as the migration itself. The schema's own refinery history stays the source
    -- of truth; this column lets `migrate_all` find the tenants that are behind with one index
    -- scan instead of visiting 10,000 schemas.
    schema_version integer NOT NULL DEFAULT 0,

    created_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT tenants_schema_name_is_derived_from_id
        CHECK (schema_name = 'tenant_' || replace(id::text, '-', '')),
    CONSTRAINT tenants_domain_is_canonical
        CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253 AND domain !~ '[^a-z0-9.-]'),
    CONSTRAINT tenants_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT tenants_theme_is_an_object CHECK (jsonb_typeof(theme) = 'object'),
    CONSTRAINT tenants_manager_key_hash_is_sha256 CHECK (octet_length(manager_key_hash) = 32)
);

-- `migrate_all` asks "who is below version N?"; with every tenant up to date this index answers
-- without touching the table's rows.
CREATE INDEX tenants_schema_version ON tenants (schema_version);

-- Explicit, although it is PostgreSQL's default for a new table: nobody but the owner (the
-- service role) reads the routing table.
REVOKE ALL ON TABLE tenants FROM PUBLIC;
