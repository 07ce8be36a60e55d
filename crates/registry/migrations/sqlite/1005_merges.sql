-- Registry: merges of duplicate persons (undoable: what moved is recorded) and pairs
-- marked as not duplicates.
ALTER TABLE persons ADD COLUMN merged_into INTEGER;
CREATE TABLE person_merges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_code TEXT NOT NULL,
    survivor_id INTEGER NOT NULL REFERENCES persons (id),
    merged_id INTEGER NOT NULL REFERENCES persons (id),
    moved TEXT NOT NULL,
    merged_at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    undone_at INTEGER,
    undone_by TEXT
);
CREATE INDEX person_merges_unit ON person_merges (unit_code);
CREATE TABLE duplicate_dismissals (
    a_id INTEGER NOT NULL,
    b_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (a_id, b_id)
);
