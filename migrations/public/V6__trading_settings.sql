-- A restaurant's trading settings (docs/tenant-lifecycle.md): its currency (ISO 4217) and
-- locale (BCP 47), how its prices read; its time zone (IANA) and weekly opening hours, when it
-- takes orders. The service validates each (core's `hours` module) before it writes it; the
-- checks below repeat their shape where the data lives.
ALTER TABLE public.tenants
    ADD COLUMN currency text NOT NULL DEFAULT 'USD'
        CONSTRAINT tenants_currency_is_a_code CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN locale text NOT NULL DEFAULT 'en-US'
        CONSTRAINT tenants_locale_is_a_tag
        CHECK (length(locale) <= 35 AND locale ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$'),
    ADD COLUMN timezone text NOT NULL DEFAULT 'UTC'
        CONSTRAINT tenants_timezone_is_a_name
        CHECK (length(timezone) BETWEEN 1 AND 64 AND timezone ~ '^[A-Za-z0-9/_+-]+$'),
    -- {"mon": [["11:00", "14:00"], ...], ...}; NULL: always open.
    ADD COLUMN opening_hours jsonb
        CONSTRAINT tenants_opening_hours_is_an_object
        CHECK (opening_hours IS NULL OR jsonb_typeof(opening_hours) = 'object');

-- The cache holds these too: a change of any of them must reach every instance.
DROP TRIGGER tenants_publish_change ON public.tenants;
CREATE TRIGGER tenants_publish_change
AFTER INSERT OR DELETE OR UPDATE OF id, schema_name, domain, name, theme, status, manager_key_hash,
    currency, locale, timezone, opening_hours
ON public.tenants
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.publish_tenant_change();

-- update_tenant (V5) with the trading settings. NULL leaves a setting unchanged; the opening
-- hours change only when p_set_hours (so that NULL can mean "always open").
DROP FUNCTION chameleon_sys.update_tenant(uuid, text, jsonb, text);
CREATE FUNCTION chameleon_sys.update_tenant(
    p_id uuid, p_name text, p_theme jsonb, p_status text,
    p_currency text, p_locale text, p_timezone text, p_set_hours boolean, p_hours jsonb
)
RETURNS SETOF public.tenants
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.tenants
       SET name = coalesce(p_name, name),
           theme = coalesce(p_theme, theme),
           status = coalesce(p_status, status),
           currency = coalesce(p_currency, currency),
           locale = coalesce(p_locale, locale),
           timezone = coalesce(p_timezone, timezone),
           opening_hours = CASE WHEN p_set_hours THEN p_hours ELSE opening_hours END
     WHERE id = p_id
    RETURNING *
$$;
REVOKE ALL ON FUNCTION chameleon_sys.update_tenant(uuid, text, jsonb, text, text, text, text, boolean, jsonb) FROM PUBLIC;

-- grant_serving as in V5, with update_tenant's new signature.
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
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.update_tenant(uuid, text, jsonb, text, text, text, text, boolean, jsonb) TO %I', p_role);
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
