-- Every instance caches tenants (by domain and by id) and hears of every change to them on the
-- channel `chameleon_cache` (adapters/postgres/src/invalidation.rs). A trigger publishes each
-- change to this table in the transaction that makes it, so the notification goes out exactly
-- when the change commits, whoever made it: provisioning, a key rotation, a settings change, a
-- removal, or an operator's manual UPDATE.
--
-- Payload: `tenant <id> <domain>...`, with the domain before and after the change (they are
-- checked to be [a-z0-9.-] only, so the payload needs no quoting).

CREATE FUNCTION chameleon_sys.publish_tenant_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id uuid := coalesce(NEW.id, OLD.id);
    v_domains text := concat_ws(' ', OLD.domain, CASE WHEN NEW.domain IS DISTINCT FROM OLD.domain THEN NEW.domain END);
BEGIN
    PERFORM pg_notify('chameleon_cache', concat_ws(' ', 'tenant', v_id::text, v_domains));
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.publish_tenant_change() FROM PUBLIC;

-- Only a change of what the service caches: schema_version moves during fleet migrations,
-- which would otherwise invalidate every tenant on every instance for nothing.
CREATE TRIGGER tenants_publish_change
AFTER INSERT OR DELETE OR UPDATE OF id, schema_name, domain, name, theme, manager_key_hash
ON public.tenants
FOR EACH ROW EXECUTE FUNCTION chameleon_sys.publish_tenant_change();
