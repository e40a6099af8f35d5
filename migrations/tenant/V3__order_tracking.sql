-- Order tracking: the statuses an order goes through after CONFIRMED, and the token that lets
-- the customer who placed it follow it (`GET /api/v1/store/orders/{id}?t=<token>`). The allowed
-- transitions are core's (`OrderStatus::may_become`); the check keeps any other value out.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'CONFIRMED', 'READY', 'COMPLETED', 'CANCELLED'));

-- 256 random bits, base64url (43 characters), drawn by the service when the order is placed.
-- Orders placed before this migration have none: they cannot be followed.
ALTER TABLE orders ADD COLUMN tracking_token text
    CONSTRAINT orders_tracking_token_shape CHECK (tracking_token ~ '^[A-Za-z0-9_-]{43}$');
