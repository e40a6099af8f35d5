-- Tenant migrations as a schema Citus distributes can take them.
--
-- Two things a tenant migration may do are refused by Citus once the tenant's schema is
-- distributed (a Citus fleet could not be migrated; the fleet tests found both):
-- - a migration is one string of several statements, and for some of them (ALTER TABLE ... ADD
--   CONSTRAINT, CREATE INDEX) Citus sends the worker the whole string it came in, which the
--   worker refuses ("cannot insert multiple commands into a prepared statement");
-- - an ALTER TABLE that adds a column with an unnamed CHECK constraint (V4 does: "all
--   constraints in Citus must have explicit names").
-- A released tenant migration is never edited (its checksum is in every tenant's history). So
-- the install stores beside each migration its statements one by one, taken from the migration
-- itself or, where the build carries one, from its Citus form (migrations/tenant-citus/: the
-- same schema in statements Citus takes). migrate_schema runs those statements, one at a time,
-- in a schema Citus distributes, and the migration as it is everywhere else (a schema
-- provisioned now is migrated before it is distributed); it records the migration's own
-- checksum either way.
ALTER TABLE chameleon_sys.tenant_migrations ADD COLUMN citus_statements text[];

-- Whether Citus distributes p_schema (false where Citus is not installed).
CREATE FUNCTION chameleon_sys.is_distributed_schema(p_schema name) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_distributed boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN false;
    END IF;
    -- Dynamic SQL: pg_dist_schema exists only where Citus does.
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_schema
                             WHERE schemaid = to_regnamespace($1))'
        INTO v_distributed USING p_schema;
    RETURN v_distributed;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.is_distributed_schema(name) FROM PUBLIC;

-- migrate_schema as in V2, running a migration's statements one at a time where the schema is
-- distributed.
CREATE OR REPLACE FUNCTION chameleon_sys.migrate_schema(p_schema name) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_current integer;
    v_diverged integer;
    v_applied integer := 0;
    v_distributed boolean;
    v_statement text;
    m record;
BEGIN
    IF p_schema IS NULL OR p_schema !~ '^tenant_[0-9a-f]{32}$' THEN
        RAISE EXCEPTION 'not a tenant schema: %', p_schema USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_distributed := chameleon_sys.is_distributed_schema(p_schema);
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
        SELECT version, name, checksum, sql, citus_statements FROM chameleon_sys.tenant_migrations
         WHERE version > v_current ORDER BY version
    LOOP
        IF v_distributed THEN
            IF m.citus_statements IS NULL THEN
                RAISE EXCEPTION 'tenant migration % has no statements for Citus: run chameleon migrate',
                    m.version;
            END IF;
            FOREACH v_statement IN ARRAY m.citus_statements LOOP
                EXECUTE v_statement;
            END LOOP;
        ELSE
            EXECUTE m.sql;
        END IF;
        EXECUTE format('INSERT INTO %I.refinery_schema_history VALUES ($1, $2, $3, $4)', p_schema)
            USING m.version, m.name,
                  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), m.checksum;
        v_applied := v_applied + 1;
    END LOOP;
    RETURN v_applied;
END
$$;
REVOKE ALL ON FUNCTION chameleon_sys.migrate_schema(name) FROM PUBLIC;
