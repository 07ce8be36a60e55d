-- Registry: households (户), their members with relations, and every move of a household.
CREATE TABLE households (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES org_units (code),
    address_enc TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX households_unit ON households (unit_code);
CREATE TABLE household_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households (id),
    person_id INTEGER NOT NULL REFERENCES persons (id),
    relation TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    left_at INTEGER
);
CREATE UNIQUE INDEX household_members_current ON household_members (person_id) WHERE left_at IS NULL;
CREATE INDEX household_members_household ON household_members (household_id);
CREATE TABLE household_moves (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households (id),
    from_unit TEXT NOT NULL,
    to_unit TEXT NOT NULL,
    moved_at INTEGER NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX household_moves_household ON household_moves (household_id);
