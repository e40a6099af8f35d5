-- HTTPS certificates for tenants' domains (ACME, HTTP-01), shared by every instance:
-- - domain_certificates: where each registered domain's certificate stands (no row: none asked
--   for), when the next attempt is due, and which instance holds the domain for now (a lease,
--   so two instances never order for one domain at once). Gone with its domain.
-- - acme_challenges: the answer to each pending HTTP-01 challenge, for whichever instance the
--   certificate authority's request reaches. Gone with its domain.
CREATE TABLE public.domain_certificates (
    domain text NOT NULL,
    CONSTRAINT domain_certificates_pkey PRIMARY KEY (domain),
    CONSTRAINT domain_certificates_domain_fkey FOREIGN KEY (domain)
        REFERENCES public.tenant_domains (domain) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending',
    CONSTRAINT domain_certificates_status CHECK (status IN ('pending', 'valid', 'failed')),
    not_after timestamptz,
    last_error text,
    CONSTRAINT domain_certificates_error_length CHECK (length(last_error) <= 1000),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON TABLE public.domain_certificates FROM PUBLIC;

CREATE TABLE public.acme_challenges (
    token text NOT NULL,
    CONSTRAINT acme_challenges_pkey PRIMARY KEY (token),
    CONSTRAINT acme_challenges_token_shape CHECK (token ~ '^[A-Za-z0-9_-]{1,128}$'),
    domain text NOT NULL,
    CONSTRAINT acme_challenges_domain_fkey FOREIGN KEY (domain)
        REFERENCES public.tenant_domains (domain) ON DELETE CASCADE,
    key_authorization text NOT NULL,
    CONSTRAINT acme_challenges_key_authorization_length CHECK (length(key_authorization) <= 512),
    expires_at timestamptz NOT NULL
);
CREATE INDEX acme_challenges_by_domain ON public.acme_challenges (domain);
REVOKE ALL ON TABLE public.acme_challenges FROM PUBLIC;

-- grant_serving as in V6, with the two tables: the service orders certificates and answers
-- challenges.
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
