-- Registry: pairing help (结对帮扶): a helper paired with a person or a household, the help
-- card, home visits and checks, and the year-end acceptance.
CREATE TABLE pairings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES org_units (code),
    person_id INTEGER REFERENCES persons (id),
    household_id INTEGER REFERENCES households (id),
    helper_kind TEXT NOT NULL,
    helper_user_id INTEGER REFERENCES users (id),
    helper_name TEXT NOT NULL,
    family_situation TEXT NOT NULL DEFAULT '',
    poverty_cause TEXT NOT NULL DEFAULT '',
    help_direction TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    acceptance TEXT NOT NULL DEFAULT '',
    acceptance_note TEXT NOT NULL DEFAULT '',
    accepted_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX pairings_unit ON pairings (unit_code);
CREATE INDEX pairings_helper ON pairings (helper_user_id, status);
CREATE TABLE pairing_visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pairing_id INTEGER NOT NULL REFERENCES pairings (id),
    kind TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    found TEXT NOT NULL,
    done TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX pairing_visits_pairing ON pairing_visits (pairing_id);
