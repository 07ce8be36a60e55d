-- Registry: persons. Resident ID, phone and address are encrypted (AES-GCM, base64) with
-- a keyed hash beside ID and phone for exact lookup and duplicate checks.
CREATE TABLE persons (
    id BIGSERIAL PRIMARY KEY,
    county_code TEXT COLLATE "C" NOT NULL,
    unit_code TEXT COLLATE "C" NOT NULL REFERENCES org_units (code),
    hukou_code TEXT COLLATE "C" NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT,
    ethnicity TEXT NOT NULL DEFAULT '',
    id_hash TEXT UNIQUE,
    id_enc TEXT,
    phone_hash TEXT,
    phone_enc TEXT,
    address_enc TEXT,
    notes TEXT NOT NULL DEFAULT '',
    restricted BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX persons_unit ON persons (unit_code, name);
CREATE INDEX persons_phone ON persons (phone_hash);
CREATE INDEX persons_name_birth ON persons (name, birth_date);
