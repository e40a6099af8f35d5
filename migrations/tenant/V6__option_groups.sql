-- Option groups (sizes, add-ons), sold out until when, and categories served at some hours.
--
-- A group's options live in the group's row, as a JSON list in the customer's order
-- ([{"id", "name", "price_delta", "sold_out_until"}]): a group is read and written whole (a
-- PATCH replaces the list), and a placement reads the groups of the items it prices with
-- them, in the same round trip. The service checks every row it stores and re-checks every row
-- it reads; the checks here repeat the bounds no path around it may cross.
--
-- An item lists the groups it offers in `option_group_ids`, in order, without a foreign key
-- (see V4 for why Citus rules one out); the repository keeps the references right instead: an
-- item's write locks its groups (FOR SHARE) and needs every one to exist, a group's update locks
-- the group and re-checks every item offering it, and a group's delete refuses while an item
-- offers it.
CREATE TABLE option_groups (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    min_choices smallint NOT NULL CHECK (min_choices BETWEEN 0 AND 50),
    max_choices smallint NOT NULL CHECK (max_choices BETWEEN 1 AND 50),
    options jsonb NOT NULL CHECK (
        jsonb_typeof(options) = 'array' AND jsonb_array_length(options) BETWEEN 1 AND 50
    ),
    CHECK (min_choices <= max_choices AND min_choices <= jsonb_array_length(options))
);

CREATE INDEX option_groups_by_name ON option_groups (name COLLATE "C", id);

-- `sold_out_until`: sold out until then, back by itself (no job: placing compares it with
-- now); `is_available = false` stays "until marked available". No rewrite: a nullable column and
-- a constant default. Each check is a named constraint of its own statement: on a tenant Citus
-- already distributes, a column cannot be added with a constraint in one command.
ALTER TABLE menu_items ADD COLUMN sold_out_until timestamptz;
ALTER TABLE menu_items ADD COLUMN option_group_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE menu_items ADD CONSTRAINT menu_items_option_group_ids_check
    CHECK (cardinality(option_group_ids) <= 20);

-- A group's update and delete find the items offering it by this.
CREATE INDEX menu_items_by_option_group ON menu_items USING gin (option_group_ids);

-- `null`: served whenever the restaurant is open; else the opening-hours shape.
ALTER TABLE categories ADD COLUMN serving_hours jsonb;
ALTER TABLE categories ADD CONSTRAINT categories_serving_hours_check
    CHECK (jsonb_typeof(serving_hours) = 'object');

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE option_groups TO %I',
                   current_schema());
END
$$;
