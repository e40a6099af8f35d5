-- Pickup times (docs/pickup-times.md). An order is for "as soon as possible" (`pickup_at` NULL)
-- or for a slot the customer chose (`pickup_at`, the slot's start); either way it takes a place
-- in one slot (`slot_start`) until it is cancelled, and `ready_at` says when the kitchen means
-- it to be ready (the quote or the slot when placed, then set when the kitchen accepts it).
-- Orders placed before this migration have none of the three: they take no place in any slot
-- and are left out of the kitchen's by-pickup view.
--
-- No rewrite: nullable columns without defaults. Each check is a named constraint of its own
-- statement (on a tenant Citus already distributes, a column cannot be added with a constraint
-- in one command).
ALTER TABLE orders ADD COLUMN pickup_at timestamptz;
ALTER TABLE orders ADD COLUMN ready_at timestamptz;
ALTER TABLE orders ADD COLUMN slot_start timestamptz;
ALTER TABLE orders ADD CONSTRAINT orders_pickup_is_its_slot
    CHECK (pickup_at IS NULL OR pickup_at = slot_start);
ALTER TABLE orders ADD CONSTRAINT orders_slot_has_a_ready_time
    CHECK (slot_start IS NULL OR ready_at IS NOT NULL);

-- What a slot holds, counted in the placing transaction (and for /slots): the orders of one slot
-- that are not cancelled, a short range of this index.
CREATE INDEX orders_by_slot ON orders (slot_start) WHERE status <> 'CANCELLED';

-- The kitchen's view: orders by the time they are to be ready.
CREATE INDEX orders_by_ready_at ON orders (ready_at, id) WHERE ready_at IS NOT NULL;
