-- The Citus form of V4__menu_categories.sql (migrations/tenant/): the same schema, in the
-- statements Citus accepts on a distributed tenant schema. V4 adds columns with their CHECK
-- constraints in one ALTER TABLE; on a distributed table Citus refuses that ("all constraints in
-- Citus must have explicit names"), so a Citus fleet at V3 could not be migrated to V4 (the
-- fleet test found it). Here each column and each constraint is a command of its own, and each
-- constraint is named as PostgreSQL names V4's: the schema is the same either way (a test
-- compares the catalogs). `chameleon_sys.migrate_schema` (control plane V7) runs this form for
-- a schema Citus distributes, V4 itself for any other; the history records V4's checksum.
CREATE TABLE categories (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    position integer NOT NULL CHECK (position BETWEEN 0 AND 10000)
);

CREATE INDEX categories_in_menu_order ON categories (position, name COLLATE "C", id);

-- The columns, then their checks, one command each.
ALTER TABLE menu_items ADD COLUMN category_id uuid;
ALTER TABLE menu_items ADD COLUMN description text;
ALTER TABLE menu_items ADD COLUMN image_url text;
ALTER TABLE menu_items ADD COLUMN tags text[];
ALTER TABLE menu_items ADD CONSTRAINT menu_items_description_check
    CHECK (char_length(description) BETWEEN 1 AND 500);
ALTER TABLE menu_items ADD CONSTRAINT menu_items_image_url_check
    CHECK (octet_length(image_url) <= 2048 AND image_url LIKE 'https://%');
ALTER TABLE menu_items ADD CONSTRAINT menu_items_tags_check CHECK (
    tags <@ ARRAY['vegetarian', 'vegan', 'gluten-free', 'dairy-free', 'halal', 'spicy',
                  'contains-nuts', 'contains-shellfish']::text[]
    AND cardinality(tags) BETWEEN 1 AND 8
);

-- Deleting a category finds its items by this.
CREATE INDEX menu_items_by_category ON menu_items (category_id) WHERE category_id IS NOT NULL;

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE categories TO %I',
                   current_schema());
END
$$;
