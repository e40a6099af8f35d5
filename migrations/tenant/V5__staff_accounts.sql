-- Staff accounts, their sessions and setup links, failed sign-ins, and the audit trail: kept in
-- the tenant's own schema, so a session of one restaurant is looked for in that restaurant's
-- tables only, under its role, and cannot be found from another's host. Every transaction of a
-- signed-in request starts with the session check (`session_gate` in
-- adapters/postgres/src/tenant_tx.rs), sent with its BEGIN.
--
-- Every table is created whole (no ALTER with constraints), which Citus takes on a distributed
-- schema as it is: no Citus form is needed.

CREATE TABLE staff_users (
    id uuid PRIMARY KEY,
    -- Lower-cased by the service: unique without regard to case.
    email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(email)),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    role text NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    -- An argon2id PHC string; none until the member used their setup link.
    password_hash text CHECK (password_hash LIKE '$argon2id$%'),
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX staff_users_email ON staff_users (email);

-- A session is known by the SHA-256 of its cookie only. It ends at `expires_at` (the absolute
-- lifetime) or once unused for `idle`.
CREATE TABLE staff_sessions (
    digest bytea PRIMARY KEY CHECK (octet_length(digest) = 32),
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    idle interval NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);

-- One-time setup links (an invitation, a reset), known by their SHA-256 only.
CREATE TABLE staff_setup_tokens (
    digest bytea PRIMARY KEY CHECK (octet_length(digest) = 32),
    user_id uuid NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX staff_setup_tokens_by_user ON staff_setup_tokens (user_id);

-- Failed sign-ins within the current window, per account (`account:<email>`, whether or not
-- such an account exists, so an unknown email is throttled like a known one) and per client
-- address (`address:<ip>`).
CREATE TABLE sign_in_failures (
    key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 300),
    failures integer NOT NULL CHECK (failures >= 0),
    since timestamptz NOT NULL
);

-- Who changed what, appended in the transaction of the change. The tenant's role may read and
-- append, never change or remove (see the grants below).
CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL CHECK (actor IN ('api_key', 'platform') OR actor ~ '^staff:[0-9a-f-]{36}$'),
    action text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target text CHECK (char_length(target) <= 100),
    request_id text CHECK (request_id ~ '^[A-Za-z0-9-]{1,64}$')
);

CREATE INDEX audit_log_newest_first ON audit_log (at DESC, id DESC);

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE staff_users, staff_sessions, '
                   'staff_setup_tokens, sign_in_failures TO %I', current_schema());
    EXECUTE format('GRANT SELECT, INSERT ON TABLE audit_log TO %I', current_schema());
END
$$;
