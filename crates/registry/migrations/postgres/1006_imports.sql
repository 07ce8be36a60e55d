-- Registry: import jobs. A job's counters are committed with each batch it writes, so a
-- job cut off by a crash resumes after its last committed batch.
CREATE TABLE import_jobs (
    id BIGSERIAL PRIMARY KEY,
    unit_code TEXT COLLATE "C" NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    username TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_path TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    processed BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]',
    message TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX import_jobs_unit ON import_jobs (unit_code, id);
