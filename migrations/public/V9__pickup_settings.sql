-- How a restaurant takes pickup orders (docs/pickup-times.md): the kitchen's prep time, the
-- length and capacity of its pickup slots, how many days ahead orders may be scheduled, busy
-- (minutes added to every quote) and paused (no new orders), and one-off closures. Core's
-- `pickup` module validates each before the service writes it; the checks below repeat their
-- ranges where the data lives.
ALTER TABLE public.tenants
    ADD COLUMN prep_minutes smallint NOT NULL DEFAULT 20
        CONSTRAINT tenants_prep_minutes_in_range CHECK (prep_minutes BETWEEN 0 AND 240),
    ADD COLUMN slot_minutes smallint NOT NULL DEFAULT 15
        CONSTRAINT tenants_slot_minutes_in_range CHECK (slot_minutes BETWEEN 5 AND 60),
    -- NULL: unlimited.
    ADD COLUMN slot_capacity smallint
        CONSTRAINT tenants_slot_capacity_in_range CHECK (slot_capacity BETWEEN 1 AND 1000),
    ADD COLUMN schedule_days_ahead smallint NOT NULL DEFAULT 6
        CONSTRAINT tenants_schedule_days_ahead_in_range
        CHECK (schedule_days_ahead BETWEEN 0 AND 14),
    ADD COLUMN busy_extra_minutes smallint NOT NULL DEFAULT 0
        CONSTRAINT tenants_busy_extra_minutes_in_range CHECK (busy_extra_minutes BETWEEN 0 AND 240),
    ADD COLUMN accepting_orders boolean NOT NULL DEFAULT true,
    -- [{"date": "2026-12-25", "reason": "Christmas"}, ...], by date.
    ADD COLUMN closures jsonb NOT NULL DEFAULT '[]'
        CONSTRAINT tenants_closures_is_a_list
        CHECK (jsonb_typeof(closures) = 'array' AND jsonb_array_length(closures) <= 100);

-- Every instance answers /slots and places orders from its cached tenants: a change of any of
-- these must reach each of them (busy and paused at once).
DROP TRIGGER tenants_publish_change ON public.tenants;
CREATE TRIGGER tenants_publish_change
AFTER INSERT OR DELETE OR UPDATE OF id, schema_name, domain, name, theme, status, manager_key_hash,
    currency, locale, timezone, opening_hours, prep_minutes, slot_minutes, slot_capacity,
    schedule_days_ahead, busy_extra_minutes, accepting_orders, closures
ON public.tenants
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.publish_tenant_change();

-- Changes the pickup settings of tenant p_id that are not NULL; the capacity only when
-- p_set_capacity (so that NULL can mean "unlimited"). The tenant as stored, or no row.
CREATE FUNCTION chameleon_sys.update_pickup(
    p_id uuid, p_prep smallint, p_slot smallint, p_set_capacity boolean, p_capacity smallint,
    p_days_ahead smallint, p_busy smallint, p_accepting boolean, p_closures jsonb
)
RETURNS SETOF public.tenants
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public.tenants
       SET prep_minutes = coalesce(p_prep, prep_minutes),
           slot_minutes = coalesce(p_slot, slot_minutes),
           slot_capacity = CASE WHEN p_set_capacity THEN p_capacity ELSE slot_capacity END,
           schedule_days_ahead = coalesce(p_days_ahead, schedule_days_ahead),
           busy_extra_minutes = coalesce(p_busy, busy_extra_minutes),
           accepting_orders = coalesce(p_accepting, accepting_orders),
           closures = coalesce(p_closures, closures)
     WHERE id = p_id
    RETURNING *
$$;
REVOKE ALL ON FUNCTION chameleon_sys.update_pickup(uuid, smallint, smallint, boolean, smallint, smallint, smallint, boolean, jsonb) FROM PUBLIC;

-- grant_serving as in V8, with update_pickup.
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
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.update_pickup(uuid, smallint, smallint, boolean, smallint, smallint, smallint, boolean, jsonb) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.add_tenant_domain(uuid, text, boolean) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.remove_tenant_domain(uuid, text) TO %I', p_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.drop_tenant(uuid, text) TO %I', p_role);
    EXECUTE format('GRANT SELECT ON TABLE public.tenants, public.tenant_domains TO %I', p_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.domain_certificates, public.acme_challenges TO %I', p_role);
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

-- A serving role granted before this migration may call update_pickup too.
DO $$
DECLARE
    r name := (SELECT serving_role FROM chameleon_sys.settings);
BEGIN
    IF r IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION chameleon_sys.update_pickup(uuid, smallint, smallint, boolean, smallint, smallint, smallint, boolean, jsonb) TO %I', r);
    END IF;
END
$$;
