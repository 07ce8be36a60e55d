-- Kernel: org tree, accounts, sessions, API tokens, audit log, settings.
-- Codes use the C collation so that a subtree is a byte range on the code.
CREATE TABLE org_units (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    level BIGINT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'territorial',
    parent_code TEXT COLLATE "C",
    county_code TEXT COLLATE "C" NOT NULL DEFAULT '',
    chair TEXT NOT NULL DEFAULT '',
    vice_chairs TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    term_start TEXT,
    term_end TEXT,
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX org_units_parent ON org_units (parent_code, code);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    unit_code TEXT COLLATE "C" NOT NULL REFERENCES org_units (code),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 1,
    disabled BIGINT NOT NULL DEFAULT 0,
    lang TEXT NOT NULL DEFAULT 'zh-CN',
    phone TEXT NOT NULL DEFAULT '',
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_unit ON users (unit_code);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    unit_code TEXT COLLATE "C" NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_unit ON audit_log (unit_code, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Rows of an `org import` on their way in, tagged by batch so imports never mix.
CREATE UNLOGGED TABLE org_import_staging (
    batch TEXT NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    level BIGINT NOT NULL,
    parent_code TEXT COLLATE "C",
    county_code TEXT COLLATE "C" NOT NULL
);
