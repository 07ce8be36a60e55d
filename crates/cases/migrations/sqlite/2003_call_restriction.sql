-- A call about domestic violence or a minor is restricted from the moment it is logged,
-- like the case it may become: a non-reader sees that it exists, its date and its type.
ALTER TABLE hotline_calls ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
UPDATE hotline_calls SET restricted = 1
 WHERE type_code IN (SELECT code FROM case_types WHERE restricted = 1)
    OR case_id IN (SELECT id FROM cases WHERE restricted = 1);
