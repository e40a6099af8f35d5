-- A tenant's operational data. This file runs once per tenant, inside the tenant's provisioning
-- transaction, with `search_path` set to the tenant's schema only: every name below is created
-- in that schema. Nothing here refers to `public` (no foreign key, no type, no function), so a
-- tenant schema can be dumped, restored or moved to another node on its own (Citus schema-based
-- sharding distributes exactly such self-contained schemas).

-- Guard: refuse to run anywhere but a tenant schema, so a misconfigured run can neither create
-- these tables in `public` nor grant anything to a role that is not a tenant's.
DO $$
BEGIN
    IF current_schema() IS NULL OR current_schema() !~ '^tenant_[0-9a-f]{32}$' THEN
        RAISE EXCEPTION 'tenant migrations must run with search_path set to a tenant schema, not %',
            coalesce(current_schema(), '(none)');
    END IF;
END
$$;

CREATE TABLE menu_items (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    -- Integer cents: money is never a float. The bounds repeat the service's own (0 to
    -- 100,000.00) so no path around the service can store a price it would refuse.
    price integer NOT NULL CHECK (price BETWEEN 0 AND 10000000),
    is_available boolean NOT NULL DEFAULT true
);

-- Menus are listed by name. COLLATE "C" gives byte order, the same in every database whatever
-- its locale, and the same order the in-memory fake uses, so the two cannot drift.
CREATE INDEX menu_items_by_name ON menu_items (name COLLATE "C", id);

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    customer_name text NOT NULL CHECK (char_length(customer_name) BETWEEN 1 AND 100),
    -- text with a check, not an enum type: an enum created here would be a different type (OID)
    -- in every tenant schema, and one prepared statement, shared by all tenants on a connection,
    -- must see the same column types whichever schema it runs against.
    status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED')),
    -- bigint: up to 100 lines of 99 items at 10,000,000 cents exceeds integer's range.
    total_amount bigint NOT NULL CHECK (total_amount >= 0),
    -- A snapshot of what was ordered: [{"id", "name", "price", "qty"}], copied from menu_items
    -- at order time, so later price changes or deletions never rewrite history. Hence no
    -- foreign key to menu_items either.
    items jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Managers list orders newest first.
CREATE INDEX orders_newest_first ON orders (created_at DESC, id DESC);

-- The tenant's role (named like its schema) may read and write these tables and nothing else:
-- no DDL, no access to the refinery history table, no access to any other schema. Each
-- migration grants on the tables it creates, so `migrate_all` keeps the grants right too.
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE menu_items, orders TO %I',
                   current_schema());
END
$$;
