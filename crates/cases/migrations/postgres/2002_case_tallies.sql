-- Cases: the figures of today, kept as they change. The figures page of a county over a
-- year of cases summed every case row on each view (a fifth of a second of SQL and as much
-- again to carry the rows out, for 200,000 cases); these two tables hold the same sums, by
-- unit and month of receipt and by county, month, type and channel, so that the page reads
-- some thousands of rows instead. Statement-level triggers on cases keep them, in the transaction of the
-- change: a case adds its counted bits (cases::store::COUNTED_BITS) to its cells, and a
-- change takes the old ones out and puts the new ones in. The figures as of a past date,
-- or of a period that does not start and end with a month, still sum the case rows.
-- Cases are records and are never deleted: there is no delete trigger.

CREATE TABLE case_tally_units (
    unit_code TEXT COLLATE "C" NOT NULL,
    received_month TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    declined BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    decided_on_time BIGINT NOT NULL,
    repeats BIGINT NOT NULL,
    followed_up BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    extended BIGINT NOT NULL,
    supervised BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    transferred BIGINT NOT NULL,
    score_sum BIGINT NOT NULL,
    PRIMARY KEY (unit_code, received_month)
);

CREATE TABLE case_tally_kinds (
    county_code TEXT COLLATE "C" NOT NULL,
    received_month TEXT COLLATE "C" NOT NULL,
    type_code TEXT COLLATE "C" NOT NULL,
    channel TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    declined BIGINT NOT NULL,
    closed BIGINT NOT NULL,
    closed_on_time BIGINT NOT NULL,
    decided_on_time BIGINT NOT NULL,
    repeats BIGINT NOT NULL,
    followed_up BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    extended BIGINT NOT NULL,
    supervised BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    transferred BIGINT NOT NULL,
    score_sum BIGINT NOT NULL,
    PRIMARY KEY (county_code, received_month, type_code, channel)
);

INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
SELECT c.unit_code, c.received_month, COUNT(*), CAST(SUM(c.counted & 1) AS BIGINT), CAST(SUM((c.counted >> 1) & 1) AS BIGINT), CAST(SUM((c.counted >> 2) & 1) AS BIGINT), CAST(SUM((c.counted >> 3) & 1) AS BIGINT), CAST(SUM((c.counted >> 4) & 1) AS BIGINT), CAST(SUM((c.counted >> 5) & 1) AS BIGINT), CAST(SUM((c.counted >> 6) & 1) AS BIGINT), CAST(SUM((c.counted >> 7) & 1) AS BIGINT), CAST(SUM((c.counted >> 8) & 1) AS BIGINT), CAST(SUM((c.counted >> 9) & 1) AS BIGINT), CAST(SUM((c.counted >> 10) & 1) AS BIGINT), CAST(SUM((c.counted >> 11) & 1) AS BIGINT),
    CAST(COALESCE(SUM(c.score), 0) AS BIGINT)
FROM cases c GROUP BY c.unit_code, c.received_month;
INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
SELECT c.county_code, c.received_month, c.type_code, c.channel, COUNT(*), CAST(SUM(c.counted & 1) AS BIGINT), CAST(SUM((c.counted >> 1) & 1) AS BIGINT), CAST(SUM((c.counted >> 2) & 1) AS BIGINT), CAST(SUM((c.counted >> 3) & 1) AS BIGINT), CAST(SUM((c.counted >> 4) & 1) AS BIGINT), CAST(SUM((c.counted >> 5) & 1) AS BIGINT), CAST(SUM((c.counted >> 6) & 1) AS BIGINT), CAST(SUM((c.counted >> 7) & 1) AS BIGINT), CAST(SUM((c.counted >> 8) & 1) AS BIGINT), CAST(SUM((c.counted >> 9) & 1) AS BIGINT), CAST(SUM((c.counted >> 10) & 1) AS BIGINT), CAST(SUM((c.counted >> 11) & 1) AS BIGINT),
    CAST(COALESCE(SUM(c.score), 0) AS BIGINT)
FROM cases c GROUP BY c.county_code, c.received_month, c.type_code, c.channel;

CREATE FUNCTION cases_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    SELECT d.unit_code, d.received_month, CAST(SUM(d.n) AS BIGINT), CAST(SUM(d.accepted) AS BIGINT), CAST(SUM(d.declined) AS BIGINT), CAST(SUM(d.closed) AS BIGINT), CAST(SUM(d.closed_on_time) AS BIGINT), CAST(SUM(d.decided_on_time) AS BIGINT), CAST(SUM(d.repeats) AS BIGINT), CAST(SUM(d.followed_up) AS BIGINT), CAST(SUM(d.satisfied) AS BIGINT), CAST(SUM(d.extended) AS BIGINT), CAST(SUM(d.supervised) AS BIGINT), CAST(SUM(d.reopened) AS BIGINT), CAST(SUM(d.transferred) AS BIGINT), CAST(SUM(d.score_sum) AS BIGINT)
    FROM (SELECT nr.unit_code, nr.received_month, 1 AS n, (nr.counted & 1) AS accepted, ((nr.counted >> 1) & 1) AS declined, ((nr.counted >> 2) & 1) AS closed, ((nr.counted >> 3) & 1) AS closed_on_time, ((nr.counted >> 4) & 1) AS decided_on_time, ((nr.counted >> 5) & 1) AS repeats, ((nr.counted >> 6) & 1) AS followed_up, ((nr.counted >> 7) & 1) AS satisfied, ((nr.counted >> 8) & 1) AS extended, ((nr.counted >> 9) & 1) AS supervised, ((nr.counted >> 10) & 1) AS reopened, ((nr.counted >> 11) & 1) AS transferred, COALESCE(nr.score, 0) AS score_sum FROM new_rows nr) d
    GROUP BY d.unit_code, d.received_month
    ON CONFLICT (unit_code, received_month) DO UPDATE SET n = case_tally_units.n + excluded.n, accepted = case_tally_units.accepted + excluded.accepted, declined = case_tally_units.declined + excluded.declined, closed = case_tally_units.closed + excluded.closed, closed_on_time = case_tally_units.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_units.decided_on_time + excluded.decided_on_time, repeats = case_tally_units.repeats + excluded.repeats, followed_up = case_tally_units.followed_up + excluded.followed_up, satisfied = case_tally_units.satisfied + excluded.satisfied, extended = case_tally_units.extended + excluded.extended, supervised = case_tally_units.supervised + excluded.supervised, reopened = case_tally_units.reopened + excluded.reopened, transferred = case_tally_units.transferred + excluded.transferred, score_sum = case_tally_units.score_sum + excluded.score_sum;
    INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    SELECT d.county_code, d.received_month, d.type_code, d.channel, CAST(SUM(d.n) AS BIGINT), CAST(SUM(d.accepted) AS BIGINT), CAST(SUM(d.declined) AS BIGINT), CAST(SUM(d.closed) AS BIGINT), CAST(SUM(d.closed_on_time) AS BIGINT), CAST(SUM(d.decided_on_time) AS BIGINT), CAST(SUM(d.repeats) AS BIGINT), CAST(SUM(d.followed_up) AS BIGINT), CAST(SUM(d.satisfied) AS BIGINT), CAST(SUM(d.extended) AS BIGINT), CAST(SUM(d.supervised) AS BIGINT), CAST(SUM(d.reopened) AS BIGINT), CAST(SUM(d.transferred) AS BIGINT), CAST(SUM(d.score_sum) AS BIGINT)
    FROM (SELECT nr.county_code, nr.received_month, nr.type_code, nr.channel, 1 AS n, (nr.counted & 1) AS accepted, ((nr.counted >> 1) & 1) AS declined, ((nr.counted >> 2) & 1) AS closed, ((nr.counted >> 3) & 1) AS closed_on_time, ((nr.counted >> 4) & 1) AS decided_on_time, ((nr.counted >> 5) & 1) AS repeats, ((nr.counted >> 6) & 1) AS followed_up, ((nr.counted >> 7) & 1) AS satisfied, ((nr.counted >> 8) & 1) AS extended, ((nr.counted >> 9) & 1) AS supervised, ((nr.counted >> 10) & 1) AS reopened, ((nr.counted >> 11) & 1) AS transferred, COALESCE(nr.score, 0) AS score_sum FROM new_rows nr) d
    GROUP BY d.county_code, d.received_month, d.type_code, d.channel
    ON CONFLICT (county_code, received_month, type_code, channel) DO UPDATE SET n = case_tally_kinds.n + excluded.n, accepted = case_tally_kinds.accepted + excluded.accepted, declined = case_tally_kinds.declined + excluded.declined, closed = case_tally_kinds.closed + excluded.closed, closed_on_time = case_tally_kinds.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_kinds.decided_on_time + excluded.decided_on_time, repeats = case_tally_kinds.repeats + excluded.repeats, followed_up = case_tally_kinds.followed_up + excluded.followed_up, satisfied = case_tally_kinds.satisfied + excluded.satisfied, extended = case_tally_kinds.extended + excluded.extended, supervised = case_tally_kinds.supervised + excluded.supervised, reopened = case_tally_kinds.reopened + excluded.reopened, transferred = case_tally_kinds.transferred + excluded.transferred, score_sum = case_tally_kinds.score_sum + excluded.score_sum;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_insert();

CREATE FUNCTION cases_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    SELECT d.unit_code, d.received_month, CAST(SUM(d.n) AS BIGINT), CAST(SUM(d.accepted) AS BIGINT), CAST(SUM(d.declined) AS BIGINT), CAST(SUM(d.closed) AS BIGINT), CAST(SUM(d.closed_on_time) AS BIGINT), CAST(SUM(d.decided_on_time) AS BIGINT), CAST(SUM(d.repeats) AS BIGINT), CAST(SUM(d.followed_up) AS BIGINT), CAST(SUM(d.satisfied) AS BIGINT), CAST(SUM(d.extended) AS BIGINT), CAST(SUM(d.supervised) AS BIGINT), CAST(SUM(d.reopened) AS BIGINT), CAST(SUM(d.transferred) AS BIGINT), CAST(SUM(d.score_sum) AS BIGINT)
    FROM (SELECT orow.unit_code, orow.received_month, -1 AS n, -(orow.counted & 1) AS accepted, -((orow.counted >> 1) & 1) AS declined, -((orow.counted >> 2) & 1) AS closed, -((orow.counted >> 3) & 1) AS closed_on_time, -((orow.counted >> 4) & 1) AS decided_on_time, -((orow.counted >> 5) & 1) AS repeats, -((orow.counted >> 6) & 1) AS followed_up, -((orow.counted >> 7) & 1) AS satisfied, -((orow.counted >> 8) & 1) AS extended, -((orow.counted >> 9) & 1) AS supervised, -((orow.counted >> 10) & 1) AS reopened, -((orow.counted >> 11) & 1) AS transferred, -COALESCE(orow.score, 0) AS score_sum FROM old_rows orow JOIN new_rows nr ON nr.id = orow.id WHERE (orow.unit_code, orow.counted, orow.score) IS DISTINCT FROM (nr.unit_code, nr.counted, nr.score)
        UNION ALL SELECT nr.unit_code, nr.received_month, 1 AS n, (nr.counted & 1) AS accepted, ((nr.counted >> 1) & 1) AS declined, ((nr.counted >> 2) & 1) AS closed, ((nr.counted >> 3) & 1) AS closed_on_time, ((nr.counted >> 4) & 1) AS decided_on_time, ((nr.counted >> 5) & 1) AS repeats, ((nr.counted >> 6) & 1) AS followed_up, ((nr.counted >> 7) & 1) AS satisfied, ((nr.counted >> 8) & 1) AS extended, ((nr.counted >> 9) & 1) AS supervised, ((nr.counted >> 10) & 1) AS reopened, ((nr.counted >> 11) & 1) AS transferred, COALESCE(nr.score, 0) AS score_sum FROM new_rows nr JOIN old_rows orow ON orow.id = nr.id WHERE (nr.unit_code, nr.counted, nr.score) IS DISTINCT FROM (orow.unit_code, orow.counted, orow.score)) d
    GROUP BY d.unit_code, d.received_month
    ON CONFLICT (unit_code, received_month) DO UPDATE SET n = case_tally_units.n + excluded.n, accepted = case_tally_units.accepted + excluded.accepted, declined = case_tally_units.declined + excluded.declined, closed = case_tally_units.closed + excluded.closed, closed_on_time = case_tally_units.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_units.decided_on_time + excluded.decided_on_time, repeats = case_tally_units.repeats + excluded.repeats, followed_up = case_tally_units.followed_up + excluded.followed_up, satisfied = case_tally_units.satisfied + excluded.satisfied, extended = case_tally_units.extended + excluded.extended, supervised = case_tally_units.supervised + excluded.supervised, reopened = case_tally_units.reopened + excluded.reopened, transferred = case_tally_units.transferred + excluded.transferred, score_sum = case_tally_units.score_sum + excluded.score_sum;
    INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    SELECT d.county_code, d.received_month, d.type_code, d.channel, CAST(SUM(d.n) AS BIGINT), CAST(SUM(d.accepted) AS BIGINT), CAST(SUM(d.declined) AS BIGINT), CAST(SUM(d.closed) AS BIGINT), CAST(SUM(d.closed_on_time) AS BIGINT), CAST(SUM(d.decided_on_time) AS BIGINT), CAST(SUM(d.repeats) AS BIGINT), CAST(SUM(d.followed_up) AS BIGINT), CAST(SUM(d.satisfied) AS BIGINT), CAST(SUM(d.extended) AS BIGINT), CAST(SUM(d.supervised) AS BIGINT), CAST(SUM(d.reopened) AS BIGINT), CAST(SUM(d.transferred) AS BIGINT), CAST(SUM(d.score_sum) AS BIGINT)
    FROM (SELECT orow.county_code, orow.received_month, orow.type_code, orow.channel, -1 AS n, -(orow.counted & 1) AS accepted, -((orow.counted >> 1) & 1) AS declined, -((orow.counted >> 2) & 1) AS closed, -((orow.counted >> 3) & 1) AS closed_on_time, -((orow.counted >> 4) & 1) AS decided_on_time, -((orow.counted >> 5) & 1) AS repeats, -((orow.counted >> 6) & 1) AS followed_up, -((orow.counted >> 7) & 1) AS satisfied, -((orow.counted >> 8) & 1) AS extended, -((orow.counted >> 9) & 1) AS supervised, -((orow.counted >> 10) & 1) AS reopened, -((orow.counted >> 11) & 1) AS transferred, -COALESCE(orow.score, 0) AS score_sum FROM old_rows orow JOIN new_rows nr ON nr.id = orow.id WHERE (orow.unit_code, orow.counted, orow.score) IS DISTINCT FROM (nr.unit_code, nr.counted, nr.score)
        UNION ALL SELECT nr.county_code, nr.received_month, nr.type_code, nr.channel, 1 AS n, (nr.counted & 1) AS accepted, ((nr.counted >> 1) & 1) AS declined, ((nr.counted >> 2) & 1) AS closed, ((nr.counted >> 3) & 1) AS closed_on_time, ((nr.counted >> 4) & 1) AS decided_on_time, ((nr.counted >> 5) & 1) AS repeats, ((nr.counted >> 6) & 1) AS followed_up, ((nr.counted >> 7) & 1) AS satisfied, ((nr.counted >> 8) & 1) AS extended, ((nr.counted >> 9) & 1) AS supervised, ((nr.counted >> 10) & 1) AS reopened, ((nr.counted >> 11) & 1) AS transferred, COALESCE(nr.score, 0) AS score_sum FROM new_rows nr JOIN old_rows orow ON orow.id = nr.id WHERE (nr.unit_code, nr.counted, nr.score) IS DISTINCT FROM (orow.unit_code, orow.counted, orow.score)) d
    GROUP BY d.county_code, d.received_month, d.type_code, d.channel
    ON CONFLICT (county_code, received_month, type_code, channel) DO UPDATE SET n = case_tally_kinds.n + excluded.n, accepted = case_tally_kinds.accepted + excluded.accepted, declined = case_tally_kinds.declined + excluded.declined, closed = case_tally_kinds.closed + excluded.closed, closed_on_time = case_tally_kinds.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_kinds.decided_on_time + excluded.decided_on_time, repeats = case_tally_kinds.repeats + excluded.repeats, followed_up = case_tally_kinds.followed_up + excluded.followed_up, satisfied = case_tally_kinds.satisfied + excluded.satisfied, extended = case_tally_kinds.extended + excluded.extended, supervised = case_tally_kinds.supervised + excluded.supervised, reopened = case_tally_kinds.reopened + excluded.reopened, transferred = case_tally_kinds.transferred + excluded.transferred, score_sum = case_tally_kinds.score_sum + excluded.score_sum;
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_tally_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_update();
