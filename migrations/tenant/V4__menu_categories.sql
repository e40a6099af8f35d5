-- Menu categories, and what the storefront shows of an item beyond its name and price.
--
-- Categories come in the manager's order (position, then name in byte order, then id: the same
-- order the in-memory fake sorts by). An item names its category by id, without a foreign key:
-- on Citus a table a later migration creates joins the tenant's co-location group only after
-- the migration ran (`distribute_new_tables`), and a foreign key to a table Citus does not yet
-- manage would stop that. The repository keeps the reference right instead, in the
-- transactions that write it: an item's category is locked (FOR KEY SHARE) and must exist when
-- the item is stored, and deleting a category takes its items out of it in the same
-- transaction.
CREATE TABLE categories (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    position integer NOT NULL CHECK (position BETWEEN 0 AND 10000)
);

CREATE INDEX categories_in_menu_order ON categories (position, name COLLATE "C", id);

-- Nullable columns without a default: adding them rewrites nothing. The checks repeat the
-- service's bounds (500 characters of description; an https URL of at most 2048; tags from
-- core's fixed set; no tags is NULL), so no path around the service stores what it would refuse.
ALTER TABLE menu_items
    ADD COLUMN category_id uuid,
    ADD COLUMN description text CHECK (char_length(description) BETWEEN 1 AND 500),
    ADD COLUMN image_url text
        CHECK (octet_length(image_url) <= 2048 AND image_url LIKE 'https://%'),
    ADD COLUMN tags text[] CHECK (
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
