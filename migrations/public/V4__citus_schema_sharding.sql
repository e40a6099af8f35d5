-- Citus schema-based sharding (docs/scaling.md). On a Citus coordinator each tenant schema
-- becomes a distributed schema, placed whole on one worker, and Citus runs a tenant's queries
-- on that worker over connections it opens as the current role: after the serving role's
-- SET ROLE, that is the tenant's role.
--
-- Why not `SET LOCAL citus.enable_schema_based_sharding TO on` before CREATE SCHEMA: that
-- registers the schema as distributed, but Citus converts only *top-level* CREATE TABLEs into
-- its tables (utility_hook.c tests PROCESS_UTILITY_TOPLEVEL), and ours run inside the SECURITY
-- DEFINER functions below. The tables would stay local to the coordinator, in a schema Citus
-- believes is distributed (checked on Citus 13.2.2). So provisioning builds the schema as
-- always and then distributes it, tables included, with citus_schema_distribute, in the same
-- transaction; a later migration's new table joins its schema's co-location group. So on Citus a tenant role can log in, with a secret
-- generated here, in this transaction, and stored in pg_dist_authinfo, which only superusers
-- can read and where Citus looks for the password it sends (pg_hba admits tenant roles from
-- the cluster's own nodes only). Without Citus nothing changes: the role stays NOLOGIN.
--
-- Everything still happens in the caller's one transaction: on Citus the schema, the role and
-- the tables reach the worker through Citus's coordinated (two-phase) transaction, so a
-- failure leaves nothing on any node, the credential included.

CREATE OR REPLACE FUNCTION chameleon_sys.provision_tenant(
    p_id uuid, p_domain text, p_name text, p_theme jsonb, p_key_hash bytea
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema name := chameleon_sys.tenant_schema(p_id);
    v_serving name := (SELECT serving_role FROM chameleon_sys.settings);
    v_citus boolean := EXISTS (SELECT FROM pg_extension WHERE extname = 'citus');
    v_secret text;
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
    IF v_citus THEN
        -- 256 bits from the server's strong random source, never seen by the service.
        v_secret := replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
        PERFORM set_config('password_encryption', 'scram-sha-256', true);
        EXECUTE format('CREATE ROLE %I LOGIN NOINHERIT PASSWORD %L', v_schema, v_secret);
        INSERT INTO pg_catalog.pg_dist_authinfo (nodeid, rolename, authinfo)
        VALUES (0, v_schema, 'password=' || v_secret);
        -- The group pg_hba names (`+chameleon_tenants`) to admit tenant roles from the
        -- cluster's nodes only. It holds no privilege, and tenant roles are NOINHERIT anyway.
        EXECUTE format('GRANT chameleon_tenants TO %I', v_schema);
    ELSE
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', v_schema);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', v_schema, v_schema);
    -- The serving role switches to the tenant's role with SET ROLE, which a non-superuser may
    -- only do as a member. (A superuser needs no membership; skipping it keeps pg_auth_members
    -- from growing by one row per tenant.)
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = v_serving) THEN
        EXECUTE format('GRANT %I TO %I', v_schema, v_serving);
    END IF;
    PERFORM chameleon_sys.migrate_tenant(p_id);
    IF v_citus THEN
        -- The whole schema to one worker (Citus picks it), in this transaction.
        PERFORM citus_schema_distribute(v_schema::text::regnamespace);
        -- Distributing copies the rows (the migration history) to the worker and leaves the
        -- coordinator's copy on disk, invisible: drop it.
        PERFORM truncate_local_data_after_distributing_table(c.oid::regclass)
           FROM pg_class c
          WHERE c.relnamespace = v_schema::text::regnamespace AND c.relkind = 'r';
    END IF;
    RETURN (SELECT schema_version FROM public.tenants WHERE id = p_id);
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.provision_tenant(uuid, text, text, jsonb, bytea) FROM PUBLIC;

-- On Citus: puts every table of a distributed tenant schema that Citus does not manage yet (a
-- table a later tenant migration created: Citus would not, the CREATE TABLE ran inside
-- migrate_schema) into the schema's co-location group, on the tenant's worker. ALTER TABLE
-- and CREATE INDEX reach the worker by themselves. Does nothing elsewhere, or for a schema not
-- distributed yet (provision_tenant distributes it whole afterwards).
CREATE FUNCTION chameleon_sys.distribute_new_tables(p_schema name) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    -- Dynamic SQL: pg_dist_schema exists only where Citus does.
    FOR t IN EXECUTE
        'SELECT c.oid::regclass AS rel FROM pg_class c
           JOIN pg_catalog.pg_dist_schema s ON s.schemaid = c.relnamespace
          WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN (''r'', ''p'')
            AND NOT c.relispartition
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)'
        USING p_schema
    LOOP
        EXECUTE 'SELECT create_distributed_table($1, NULL::text, colocate_with => $2)'
            USING t.rel, format('%I.refinery_schema_history', p_schema);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.distribute_new_tables(name) FROM PUBLIC;

-- migrate_tenant as in V2, with the step above after the schema's migrations.
CREATE OR REPLACE FUNCTION chameleon_sys.migrate_tenant(p_id uuid) RETURNS integer
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
    PERFORM chameleon_sys.distribute_new_tables(chameleon_sys.tenant_schema(p_id));
    UPDATE public.tenants SET schema_version = v_latest WHERE id = p_id;
    RETURN v_applied;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.migrate_tenant(uuid) FROM PUBLIC;
