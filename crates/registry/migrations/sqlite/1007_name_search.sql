-- Registry: name search that serves two characters. Trigram indexes do not help below
-- three characters, and most name searches are two, so every pair of adjacent characters
-- of an active person's name is kept with her unit, by triggers on persons. A search
-- looks its first pair up here, then checks the whole pattern on the few rows found.
-- A name can repeat a pair (娜娜娜): pairs are taken DISTINCT, since the OR IGNORE of a
-- trigger gives way to the conflict policy of the statement that fired it.
CREATE TABLE name_positions (i INTEGER PRIMARY KEY);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO name_positions (i) SELECT i FROM n;

CREATE TABLE person_grams (
    gram TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (gram, unit_code, person_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO person_grams (gram, unit_code, person_id)
SELECT DISTINCT substr(p.name, k.i, 2), p.unit_code, p.id
FROM persons p JOIN name_positions k ON k.i < length(p.name)
WHERE p.status = 'active';

-- New persons get their pairs from the store, one set-based statement per insert in key
-- order (an insert trigger made every bulk insert keep a statement journal, a sixth of
-- its time); renames, moves, merges and deletes through these triggers.
CREATE TRIGGER persons_grams_update AFTER UPDATE OF name, unit_code, status ON persons
WHEN old.name IS NOT new.name OR old.unit_code IS NOT new.unit_code OR old.status IS NOT new.status
BEGIN
    DELETE FROM person_grams WHERE unit_code = old.unit_code AND person_id = old.id
        AND gram IN (SELECT substr(old.name, i, 2) FROM name_positions WHERE i < length(old.name));
    INSERT OR IGNORE INTO person_grams (gram, unit_code, person_id)
    SELECT DISTINCT substr(new.name, i, 2), new.unit_code, new.id FROM name_positions
    WHERE i < length(new.name) AND new.status = 'active';
END;

CREATE TRIGGER persons_grams_delete AFTER DELETE ON persons
BEGIN
    DELETE FROM person_grams WHERE unit_code = old.unit_code AND person_id = old.id
        AND gram IN (SELECT substr(old.name, i, 2) FROM name_positions WHERE i < length(old.name));
END;

-- The person list filters on unit range, status and sex and sorts by name or birth date:
-- one index covers it, so a page is found without reading the rows it skips. It also
-- finds a person without ID by village, name and birth date (import), and gives the
-- duplicate search its rows; the (name, birth_date) index has no reader left.
DROP INDEX persons_unit;
DROP INDEX persons_name_birth;
CREATE INDEX persons_list ON persons (unit_code, status, name, birth_date, sex);
