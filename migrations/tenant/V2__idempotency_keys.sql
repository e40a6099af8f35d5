-- Idempotent order placement (the Idempotency-Key header): the key a guest's checkout sent is
-- stored with the order it placed, with a fingerprint of the request, so a retry of the same
-- request finds the order instead of placing another, and the same key sent with a different
-- order is refused.
--
-- The first tenant migration after launch: `chameleon migrate` rolls it out to every tenant
-- schema (each in a transaction of its own); tenants provisioned from now on get it at once.
-- Adding two nullable columns without a default rewrites nothing; the index is built once per
-- schema (it locks that tenant's orders against writes while it is built, for as long as
-- reading its orders takes).

ALTER TABLE orders
    -- 1 to 255 bytes. The service accepts only visible ASCII; a regex CHECK saying so here
    -- (`^[!-~]{1,255}$`) compiled to an automaton so large that checking it cost keyed orders a
    -- sixth of their throughput (pgbench, inserts alone), and even `^[!-~]+$` a few percent:
    -- the length is the database's guard, the character set the service's.
    ADD COLUMN idempotency_key text
        CHECK (octet_length(idempotency_key) BETWEEN 1 AND 255),
    -- SHA-256 of the request's canonical form (customer, lines sorted by item).
    ADD COLUMN request_fingerprint bytea CHECK (octet_length(request_fingerprint) = 32),
    ADD CONSTRAINT orders_key_has_fingerprint
        CHECK (idempotency_key IS NULL OR request_fingerprint IS NOT NULL);

-- One order per key and tenant. A key is kept at least 24 hours; reusing an older one takes it
-- off its first order (the service does that, in the transaction that places the new one), so
-- no sweeper is needed and the index stays as small as the keys in use.
CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
