-- Least privilege (docs/database-roles.md). The role that serves requests cannot create roles,
-- schemas or anything else: on PostgreSQL 15 a role with CREATEROLE can grant itself any
-- predefined role, pg_execute_server_program included, which is a shell on the database host.
-- Everything privileged that provisioning needs is done here, by SECURITY DEFINER functions
-- owned by the NOLOGIN role `chameleon_owner` that runs these migrations. They take validated
-- arguments only, create only `tenant_<32 hex>` roles, grant them only to the serving role, and
-- run only the tenant migrations stored below, which nobody but the owner can write.
--
-- Every function fixes its search_path (pg_catalog, then pg_temp last), so no object a caller
-- creates can stand in for one of ours.

CREATE SCHEMA chameleon_sys;
REVOKE ALL ON SCHEMA chameleon_sys FROM PUBLIC;

-- PostgreSQL lets PUBLIC execute every new function by default; none of ours is for everyone.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- The one role tenant roles are granted to: the role that serves requests. Written by
-- `chameleon migrate` (through grant_serving below).
CREATE TABLE chameleon_sys.settings (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    serving_role name NOT NULL
);

-- The tenant migrations (migrations/tenant/*.sql), written by `chameleon migrate` from the set
-- embedded in the binary. A migration already written is never changed (the checksum must
-- match), just as a migration file is never edited once released.
CREATE TABLE chameleon_sys.tenant_migrations (
    version integer PRIMARY KEY CHECK (version > 0),
    name text NOT NULL,
    checksum text NOT NULL,
    sql text NOT NULL
);

-- The schema (and role) name of a tenant: derived from its id, so it only ever holds [a-z0-9_].
CREATE FUNCTION chameleon_sys.tenant_schema(p_id uuid) RETURNS name
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ('tenant_' || replace(p_id::text, '-', ''))::name $$;

-- Brings one tenant schema to the latest stored tenant migration, in the caller's transaction.
-- The history is kept in the schema's refinery_schema_history (the table and format refinery
-- used when it ran these migrations from the service), so schemas made by either agree.
CREATE FUNCTION chameleon_sys.migrate_schema(p_schema name) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current integer;
    v_diverged integer;
    v_applied integer := 0;
    m record;
BEGIN
    IF p_schema IS NULL OR p_schema !~ '^tenant_[0-9a-f]{32}$' THEN
        RAISE EXCEPTION 'not a tenant schema: %', p_schema USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The migrations use unqualified names: they land in the tenant's schema.
    PERFORM set_config('search_path', format('%I, pg_catalog, pg_temp', p_schema), true);
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I.refinery_schema_history (
             version int4 PRIMARY KEY, name varchar(255), applied_on varchar(255),
             checksum varchar(255))', p_schema);
    EXECUTE format('SELECT coalesce(max(version), 0) FROM %I.refinery_schema_history', p_schema)
        INTO v_current;
    EXECUTE format(
        'SELECT count(*) FROM %I.refinery_schema_history h
           JOIN chameleon_sys.tenant_migrations m USING (version)
          WHERE h.checksum <> m.checksum', p_schema)
        INTO v_diverged;
    IF v_diverged > 0 THEN
        RAISE EXCEPTION 'schema % was migrated with a different version of % migration(s)',
            p_schema, v_diverged;
    END IF;
    FOR m IN
        SELECT version, name, checksum, sql FROM chameleon_sys.tenant_migrations
         WHERE version > v_current ORDER BY version
    LOOP
        EXECUTE m.sql;
        EXECUTE format('INSERT INTO %I.refinery_schema_history VALUES ($1, $2, $3, $4)', p_schema)
            USING m.version, m.name,
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), m.checksum;
        v_applied := v_applied + 1;
    END LOOP;
    RETURN v_applied;
END
$$;

-- Brings tenant p_id to the latest migration and records the version on its row. Returns how
-- many migrations were applied. Row-locked, so two fleet migrations never migrate one tenant at
-- once; the second finds it up to date.
CREATE FUNCTION chameleon_sys.migrate_tenant(p_id uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_latest integer := (SELECT coalesce(max(version), 0) FROM chameleon_sys.tenant_migrations);
    v_version integer;
    v_applied integer;
BEGIN
    SELECT schema_version INTO v_version FROM public.tenants WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no tenant %', p_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_version >= v_latest THEN
        RETURN 0;
    END IF;
    v_applied := chameleon_sys.migrate_schema(chameleon_sys.tenant_schema(p_id));
    UPDATE public.tenants SET schema_version = v_latest WHERE id = p_id;
    RETURN v_applied;
END
$$;

-- A tenant's routing row, schema, role, grants and tables, in the caller's transaction: any
-- failure (a taken domain: unique violation on tenants_domain_key) leaves nothing. The row's
-- CHECK constraints validate the arguments once more. Returns the schema version reached.
CREATE FUNCTION chameleon_sys.provision_tenant(
    p_id uuid, p_domain text, p_name text, p_theme jsonb, p_key_hash bytea
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema name := chameleon_sys.tenant_schema(p_id);
    v_serving name := (SELECT serving_role FROM chameleon_sys.settings);
BEGIN
    IF p_id IS NULL THEN
        RAISE EXCEPTION 'a tenant needs an id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_serving IS NULL THEN
        RAISE EXCEPTION 'no serving role is set: run chameleon migrate'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- The routing row first: a concurrent provisioning of the same domain waits on the unique
    -- index until this transaction ends, then fails as a duplicate.
    INSERT INTO public.tenants (id, schema_name, domain, name, theme, manager_key_hash)
    VALUES (p_id, v_schema, p_domain, p_name, p_theme, p_key_hash);
    EXECUTE format('CREATE SCHEMA %I', v_schema);
    EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', v_schema);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', v_schema, v_schema);
    -- The serving role switches to the tenant's role with SET ROLE, which a non-superuser may
    -- only do as a member. (A superuser needs no membership; skipping it keeps pg_auth_members
    -- from growing by one row per tenant.)
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = v_serving) THEN
        EXECUTE format('GRANT %I TO %I', v_schema, v_serving);
    END IF;
    PERFORM chameleon_sys.migrate_tenant(p_id);
    RETURN (SELECT schema_version FROM public.tenants WHERE id = p_id);
END
$$;

-- Replaces a tenant's manager key hash (key rotation); returns the tenant's row, or no row when
-- there is no such tenant. The serving role may not UPDATE public.tenants itself.
CREATE FUNCTION chameleon_sys.set_manager_key(p_id uuid, p_key_hash bytea)
RETURNS SETOF public.tenants
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.tenants SET manager_key_hash = p_key_hash WHERE id = p_id RETURNING *
$$;

-- Names the serving role and gives it exactly what it needs: reading the routing table,
-- provisioning through the function above, and membership of every tenant role. Run by
-- `chameleon migrate`, as the owner, after every migration (idempotent).
CREATE FUNCTION chameleon_sys.grant_serving(p_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    INSERT INTO chameleon_sys.settings (serving_role) VALUES (p_role)
    ON CONFLICT (only_row) DO UPDATE SET serving_role = excluded.serving_role;
    EXECUTE format('GRANT USAGE ON SCHEMA chameleon_sys TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.provision_tenant(uuid, text, text, jsonb, bytea) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.set_manager_key(uuid, bytea) TO %I', p_role);
    EXECUTE format('GRANT SELECT ON TABLE public.tenants TO %I', p_role);
    -- So a service that may not migrate can tell whether someone did.
    EXECUTE format('GRANT SELECT ON TABLE public.refinery_schema_history TO %I', p_role);
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = p_role) THEN
        FOR t IN SELECT schema_name FROM public.tenants LOOP
            EXECUTE format('GRANT %I TO %I', t.schema_name, p_role);
        END LOOP;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION chameleon_sys.tenant_schema(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.migrate_schema(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.migrate_tenant(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.provision_tenant(uuid, text, text, jsonb, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.set_manager_key(uuid, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.grant_serving(name) FROM PUBLIC;
