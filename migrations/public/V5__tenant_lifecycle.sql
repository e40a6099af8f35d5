-- A tenant's life after provisioning (docs/tenant-lifecycle.md): more than one domain, a
-- status, settings that change, and a removal that takes everything with it. As before, the
-- serving role writes nothing here itself: each change is one SECURITY DEFINER function with
-- validated arguments, and the rows' own constraints check them once more.

-- `active` serves the storefront; `suspended` answers "temporarily closed" (the manager keeps
-- working).
ALTER TABLE public.tenants ADD COLUMN status text NOT NULL DEFAULT 'active'
    CONSTRAINT tenants_status_is_known CHECK (status IN ('active', 'suspended'));

-- Every domain a tenant answers on, its primary one (`tenants.domain`) included, so one unique
-- index makes a domain belong to one tenant at most, whichever role it plays.
CREATE TABLE public.tenant_domains (
    domain text NOT NULL,
    CONSTRAINT tenant_domains_pkey PRIMARY KEY (domain),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    -- The oldest remaining domain becomes primary when the primary one is removed.
    added_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Target of the foreign key below (the primary key alone does not tie a domain to a tenant).
    CONSTRAINT tenant_domains_domain_tenant UNIQUE (domain, tenant_id),
    CONSTRAINT tenant_domains_domain_is_canonical
        CHECK (domain = lower(domain) AND length(domain) BETWEEN 1 AND 253 AND domain !~ '[^a-z0-9.-]')
);
CREATE INDEX tenant_domains_by_tenant ON public.tenant_domains (tenant_id, added_at);
REVOKE ALL ON TABLE public.tenant_domains FROM PUBLIC;

INSERT INTO public.tenant_domains (domain, tenant_id, added_at)
SELECT domain, id, created_at FROM public.tenants;

-- A tenant's primary domain is one of its own domains. Deferred: provisioning inserts the
-- tenant's row before its first domain (a trigger below adds it), and a removal deletes both.
ALTER TABLE public.tenants ADD CONSTRAINT tenants_primary_domain_is_its_own
    FOREIGN KEY (domain, id) REFERENCES public.tenant_domains (domain, tenant_id)
    DEFERRABLE INITIALLY DEFERRED;

-- A new tenant's domain becomes its first domain, whoever inserts the row (provisioning, or an
-- operator by hand). A domain another tenant has as a secondary one fails here, on
-- tenant_domains_pkey, just as a taken primary fails on tenants_domain_key.
CREATE FUNCTION chameleon_sys.add_first_domain() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.tenant_domains (domain, tenant_id) VALUES (NEW.domain, NEW.id);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.add_first_domain() FROM PUBLIC;
CREATE TRIGGER tenants_add_first_domain AFTER INSERT ON public.tenants
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.add_first_domain();

-- Cache invalidation (V3) under every domain: a tenant's rename or suspension must reach the
-- storefront on each of its domains. At most 20 domains a tenant keep the payload far below
-- NOTIFY's 8000 bytes.
CREATE OR REPLACE FUNCTION chameleon_sys.publish_tenant_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id uuid := coalesce(NEW.id, OLD.id);
    v_domains text := concat_ws(' ',
        OLD.domain,
        CASE WHEN NEW.domain IS DISTINCT FROM OLD.domain THEN NEW.domain END,
        (SELECT string_agg(d.domain, ' ') FROM public.tenant_domains d
          WHERE d.tenant_id = v_id AND d.domain IS DISTINCT FROM OLD.domain
            AND d.domain IS DISTINCT FROM NEW.domain));
BEGIN
    PERFORM pg_notify('chameleon_cache', concat_ws(' ', 'tenant', v_id::text, v_domains));
    RETURN NULL;
END
$$;
DROP TRIGGER tenants_publish_change ON public.tenants;
CREATE TRIGGER tenants_publish_change
AFTER INSERT OR DELETE OR UPDATE OF id, schema_name, domain, name, theme, status, manager_key_hash
ON public.tenants
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.publish_tenant_change();

-- A domain added or removed: its tenant changed under that domain.
CREATE FUNCTION chameleon_sys.publish_domain_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('chameleon_cache', concat_ws(' ', 'tenant',
        coalesce(NEW.tenant_id, OLD.tenant_id)::text, OLD.domain, NEW.domain));
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.publish_domain_change() FROM PUBLIC;
CREATE TRIGGER tenant_domains_publish_change AFTER INSERT OR DELETE OR UPDATE
ON public.tenant_domains
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.publish_domain_change();

-- Changes a tenant's name, theme or status (NULL: unchanged); returns its row, or none when
-- there is no such tenant.
CREATE FUNCTION chameleon_sys.update_tenant(p_id uuid, p_name text, p_theme jsonb, p_status text)
RETURNS SETOF public.tenants
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.tenants
       SET name = coalesce(p_name, name),
           theme = coalesce(p_theme, theme),
           status = coalesce(p_status, status)
     WHERE id = p_id
    RETURNING *
$$;

-- Adds a domain to a tenant, as its primary one when p_primary. Returns 'ok', 'not_found' or
-- 'too_many'; a domain any tenant has fails on tenant_domains_pkey. The tenant's row is locked
-- first, so changes to one tenant's domains never interleave.
CREATE FUNCTION chameleon_sys.add_tenant_domain(p_id uuid, p_domain text, p_primary boolean)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM public.tenants WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF (SELECT count(*) FROM public.tenant_domains WHERE tenant_id = p_id) >= 20 THEN
        RETURN 'too_many';
    END IF;
    INSERT INTO public.tenant_domains (domain, tenant_id) VALUES (p_domain, p_id);
    IF p_primary THEN
        UPDATE public.tenants SET domain = p_domain WHERE id = p_id;
    END IF;
    RETURN 'ok';
END
$$;

-- Removes a domain from a tenant. Returns 'ok', 'not_found', 'no_such_domain' or
-- 'last_domain'. Removing the primary makes the oldest remaining domain primary.
CREATE FUNCTION chameleon_sys.remove_tenant_domain(p_id uuid, p_domain text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_primary text;
    v_next text;
BEGIN
    SELECT domain INTO v_primary FROM public.tenants WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    PERFORM FROM public.tenant_domains WHERE tenant_id = p_id AND domain = p_domain;
    IF NOT FOUND THEN
        RETURN 'no_such_domain';
    END IF;
    SELECT domain INTO v_next FROM public.tenant_domains
     WHERE tenant_id = p_id AND domain <> p_domain
     ORDER BY added_at, domain LIMIT 1;
    IF v_next IS NULL THEN
        RETURN 'last_domain';
    END IF;
    IF v_primary = p_domain THEN
        UPDATE public.tenants SET domain = v_next WHERE id = p_id;
    END IF;
    DELETE FROM public.tenant_domains WHERE domain = p_domain;
    RETURN 'ok';
END
$$;

-- Removes a tenant whole, in the caller's one transaction, once p_confirm is its primary
-- domain: the schema with every table in it, the role (its memberships and, on Citus, its
-- stored secret with it), the routing row and its domains. Returns 'ok', 'not_found' or
-- 'wrong_confirmation'; only 'ok' changed anything.
CREATE FUNCTION chameleon_sys.drop_tenant(p_id uuid, p_confirm text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_domain text;
    v_schema name := chameleon_sys.tenant_schema(p_id);
BEGIN
    SELECT domain INTO v_domain FROM public.tenants WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF p_confirm IS DISTINCT FROM v_domain THEN
        RETURN 'wrong_confirmation';
    END IF;
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', v_schema);
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        -- Dynamic SQL: the table exists only where Citus does.
        EXECUTE 'DELETE FROM pg_catalog.pg_dist_authinfo WHERE rolename = $1' USING v_schema;
    END IF;
    EXECUTE format('DROP ROLE IF EXISTS %I', v_schema);
    DELETE FROM public.tenants WHERE id = p_id;
    RETURN 'ok';
END
$$;

REVOKE ALL ON FUNCTION chameleon_sys.update_tenant(uuid, text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.add_tenant_domain(uuid, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.remove_tenant_domain(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION chameleon_sys.drop_tenant(uuid, text) FROM PUBLIC;

-- grant_serving as in V2, and the functions and table above.
CREATE OR REPLACE FUNCTION chameleon_sys.grant_serving(p_role name) RETURNS void
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
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.update_tenant(uuid, text, jsonb, text) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.add_tenant_domain(uuid, text, boolean) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.remove_tenant_domain(uuid, text) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.drop_tenant(uuid, text) TO %I', p_role);
    EXECUTE format('GRANT SELECT ON TABLE public.tenants, public.tenant_domains TO %I', p_role);
    -- So a service that may not migrate can tell whether someone did.
    EXECUTE format('GRANT SELECT ON TABLE public.refinery_schema_history TO %I', p_role);
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = p_role) THEN
        FOR t IN SELECT schema_name FROM public.tenants LOOP
            EXECUTE format('GRANT %I TO %I', t.schema_name, p_role);
        END LOOP;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.grant_serving(name) FROM PUBLIC;
