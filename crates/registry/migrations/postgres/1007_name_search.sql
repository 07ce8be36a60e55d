-- Registry: name search that serves two characters. Trigram indexes do not help below
-- three characters, and most name searches are two, so every pair of adjacent characters
-- of an active person's name is kept with her unit, by triggers on persons. A search
-- looks its first pair up here, then checks the whole pattern on the few rows found.
-- Statement-level triggers, so a bulk insert adds its pairs in one statement.
CREATE TABLE name_positions (i BIGINT PRIMARY KEY);
INSERT INTO name_positions (i) SELECT generate_series(1, 100);

CREATE TABLE person_grams (
    gram TEXT COLLATE "C" NOT NULL,
    unit_code TEXT COLLATE "C" NOT NULL,
    person_id BIGINT NOT NULL,
    PRIMARY KEY (gram, unit_code, person_id)
);

INSERT INTO person_grams (gram, unit_code, person_id)
SELECT DISTINCT substr(p.name, k.i::int, 2), p.unit_code, p.id
FROM persons p JOIN name_positions k ON k.i < char_length(p.name)
WHERE p.status = 'active';

CREATE FUNCTION persons_grams_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_grams (gram, unit_code, person_id)
    SELECT DISTINCT substr(n.name, k.i::int, 2), n.unit_code, n.id
    FROM new_rows n JOIN name_positions k ON k.i < char_length(n.name)
    WHERE n.status = 'active';
    RETURN NULL;
END
$$;
CREATE TRIGGER persons_grams_insert AFTER INSERT ON persons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION persons_grams_insert();

CREATE FUNCTION persons_grams_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person_grams g
    USING old_rows o JOIN new_rows n ON n.id = o.id
        JOIN name_positions k ON k.i < char_length(o.name)
    WHERE (o.name, o.unit_code, o.status) IS DISTINCT FROM (n.name, n.unit_code, n.status)
        AND g.gram = substr(o.name, k.i::int, 2) AND g.unit_code = o.unit_code
        AND g.person_id = o.id;
    INSERT INTO person_grams (gram, unit_code, person_id)
    SELECT DISTINCT substr(n.name, k.i::int, 2), n.unit_code, n.id
    FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN name_positions k ON k.i < char_length(n.name)
    WHERE (o.name, o.unit_code, o.status) IS DISTINCT FROM (n.name, n.unit_code, n.status)
        AND n.status = 'active';
    RETURN NULL;
END
$$;
CREATE TRIGGER persons_grams_update AFTER UPDATE ON persons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION persons_grams_update();

CREATE FUNCTION persons_grams_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person_grams g
    USING old_rows o JOIN name_positions k ON k.i < char_length(o.name)
    WHERE g.gram = substr(o.name, k.i::int, 2) AND g.unit_code = o.unit_code
        AND g.person_id = o.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER persons_grams_delete AFTER DELETE ON persons
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION persons_grams_delete();

-- The person list filters on unit range, status and sex and sorts by name or birth date:
-- one index covers it, so a page is found without reading the rows it skips. It also
-- finds a person without ID by village, name and birth date (import), and gives the
-- duplicate search its rows; the (name, birth_date) index has no reader left.
DROP INDEX persons_unit;
DROP INDEX persons_name_birth;
CREATE INDEX persons_list ON persons (unit_code, status, name, birth_date, sex);
