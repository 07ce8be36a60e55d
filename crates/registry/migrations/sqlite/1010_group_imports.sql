-- Registry: an import may be a group's ledger. Its rows join the group (or have their
-- items updated in it); `grouped` counts them, committed with each batch like the rest.
ALTER TABLE import_jobs ADD COLUMN category_code TEXT NOT NULL DEFAULT '';
ALTER TABLE import_jobs ADD COLUMN grouped INTEGER NOT NULL DEFAULT 0;
