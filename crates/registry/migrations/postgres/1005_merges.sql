-- Registry: merges of duplicate persons (undoable: what moved is recorded) and pairs
-- marked as not duplicates.
ALTER TABLE persons ADD COLUMN merged_into BIGINT;
CREATE TABLE person_merges (
    id BIGSERIAL PRIMARY KEY,
    unit_code TEXT COLLATE "C" NOT NULL,
    survivor_id BIGINT NOT NULL REFERENCES persons (id),
    merged_id BIGINT NOT NULL REFERENCES persons (id),
    moved TEXT NOT NULL,
    merged_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    undone_at BIGINT,
    undone_by TEXT
);
CREATE INDEX person_merges_unit ON person_merges (unit_code);
CREATE TABLE duplicate_dismissals (
    a_id BIGINT NOT NULL,
    b_id BIGINT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (a_id, b_id)
);
