-- Registry: on PostgreSQL the name-pair trigger now returns at once when a save leaves a
-- person's name, unit and status unchanged. SQLite's trigger already fires only then (its
-- WHEN clause): nothing to change here.
SELECT 1;
