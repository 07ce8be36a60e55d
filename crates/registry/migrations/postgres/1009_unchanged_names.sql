-- Registry: a person saved with her name, unit and status unchanged (most edits, and every
-- row a re-import updates) leaves her name pairs alone without looking for them. The
-- joins over the transition tables were planned as scans of person_grams: 2.5 ms for
-- each such save at ten thousand persons. SQLite's trigger has a WHEN clause for this.
CREATE OR REPLACE FUNCTION persons_grams_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.name, o.unit_code, o.status) IS DISTINCT FROM (n.name, n.unit_code, n.status)
    ) THEN
        RETURN NULL;
    END IF;
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
