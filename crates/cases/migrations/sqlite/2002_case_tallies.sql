-- Cases: the figures of today, kept as they change. The figures page of a county over a
-- year of cases summed every case row on each view (a fifth of a second of SQL and as much
-- again to carry the rows out, for 200,000 cases); these two tables hold the same sums, by
-- unit and month of receipt and by county, month, type and channel, so that the page reads
-- some thousands of rows instead. Triggers on cases keep them, in the transaction of the
-- change: a case adds its counted bits (cases::store::COUNTED_BITS) to its cells, and a
-- change takes the old ones out and puts the new ones in. The figures as of a past date,
-- or of a period that does not start and end with a month, still sum the case rows.
-- Cases are records and are never deleted: there is no delete trigger.

CREATE TABLE case_tally_units (
    unit_code TEXT NOT NULL,
    received_month TEXT NOT NULL,
    n INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    declined INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    decided_on_time INTEGER NOT NULL,
    repeats INTEGER NOT NULL,
    followed_up INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    extended INTEGER NOT NULL,
    supervised INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    transferred INTEGER NOT NULL,
    score_sum INTEGER NOT NULL,
    PRIMARY KEY (unit_code, received_month)
) WITHOUT ROWID;

CREATE TABLE case_tally_kinds (
    county_code TEXT NOT NULL,
    received_month TEXT NOT NULL,
    type_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    declined INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    closed_on_time INTEGER NOT NULL,
    decided_on_time INTEGER NOT NULL,
    repeats INTEGER NOT NULL,
    followed_up INTEGER NOT NULL,
    satisfied INTEGER NOT NULL,
    extended INTEGER NOT NULL,
    supervised INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    transferred INTEGER NOT NULL,
    score_sum INTEGER NOT NULL,
    PRIMARY KEY (county_code, received_month, type_code, channel)
) WITHOUT ROWID;

INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
SELECT c.unit_code, c.received_month, COUNT(*), CAST(SUM(c.counted & 1) AS INTEGER), CAST(SUM((c.counted >> 1) & 1) AS INTEGER), CAST(SUM((c.counted >> 2) & 1) AS INTEGER), CAST(SUM((c.counted >> 3) & 1) AS INTEGER), CAST(SUM((c.counted >> 4) & 1) AS INTEGER), CAST(SUM((c.counted >> 5) & 1) AS INTEGER), CAST(SUM((c.counted >> 6) & 1) AS INTEGER), CAST(SUM((c.counted >> 7) & 1) AS INTEGER), CAST(SUM((c.counted >> 8) & 1) AS INTEGER), CAST(SUM((c.counted >> 9) & 1) AS INTEGER), CAST(SUM((c.counted >> 10) & 1) AS INTEGER), CAST(SUM((c.counted >> 11) & 1) AS INTEGER),
    CAST(COALESCE(SUM(c.score), 0) AS INTEGER)
FROM cases c GROUP BY c.unit_code, c.received_month;
INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
SELECT c.county_code, c.received_month, c.type_code, c.channel, COUNT(*), CAST(SUM(c.counted & 1) AS INTEGER), CAST(SUM((c.counted >> 1) & 1) AS INTEGER), CAST(SUM((c.counted >> 2) & 1) AS INTEGER), CAST(SUM((c.counted >> 3) & 1) AS INTEGER), CAST(SUM((c.counted >> 4) & 1) AS INTEGER), CAST(SUM((c.counted >> 5) & 1) AS INTEGER), CAST(SUM((c.counted >> 6) & 1) AS INTEGER), CAST(SUM((c.counted >> 7) & 1) AS INTEGER), CAST(SUM((c.counted >> 8) & 1) AS INTEGER), CAST(SUM((c.counted >> 9) & 1) AS INTEGER), CAST(SUM((c.counted >> 10) & 1) AS INTEGER), CAST(SUM((c.counted >> 11) & 1) AS INTEGER),
    CAST(COALESCE(SUM(c.score), 0) AS INTEGER)
FROM cases c GROUP BY c.county_code, c.received_month, c.type_code, c.channel;

CREATE TRIGGER cases_tally_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (NEW.unit_code, NEW.received_month,
        1, (NEW.counted & 1), ((NEW.counted >> 1) & 1), ((NEW.counted >> 2) & 1), ((NEW.counted >> 3) & 1), ((NEW.counted >> 4) & 1), ((NEW.counted >> 5) & 1), ((NEW.counted >> 6) & 1), ((NEW.counted >> 7) & 1), ((NEW.counted >> 8) & 1), ((NEW.counted >> 9) & 1), ((NEW.counted >> 10) & 1), ((NEW.counted >> 11) & 1), COALESCE(NEW.score, 0))
    ON CONFLICT (unit_code, received_month) DO UPDATE SET n = case_tally_units.n + excluded.n, accepted = case_tally_units.accepted + excluded.accepted, declined = case_tally_units.declined + excluded.declined, closed = case_tally_units.closed + excluded.closed, closed_on_time = case_tally_units.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_units.decided_on_time + excluded.decided_on_time, repeats = case_tally_units.repeats + excluded.repeats, followed_up = case_tally_units.followed_up + excluded.followed_up, satisfied = case_tally_units.satisfied + excluded.satisfied, extended = case_tally_units.extended + excluded.extended, supervised = case_tally_units.supervised + excluded.supervised, reopened = case_tally_units.reopened + excluded.reopened, transferred = case_tally_units.transferred + excluded.transferred, score_sum = case_tally_units.score_sum + excluded.score_sum;
    INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (NEW.county_code, NEW.received_month, NEW.type_code, NEW.channel,
        1, (NEW.counted & 1), ((NEW.counted >> 1) & 1), ((NEW.counted >> 2) & 1), ((NEW.counted >> 3) & 1), ((NEW.counted >> 4) & 1), ((NEW.counted >> 5) & 1), ((NEW.counted >> 6) & 1), ((NEW.counted >> 7) & 1), ((NEW.counted >> 8) & 1), ((NEW.counted >> 9) & 1), ((NEW.counted >> 10) & 1), ((NEW.counted >> 11) & 1), COALESCE(NEW.score, 0))
    ON CONFLICT (county_code, received_month, type_code, channel) DO UPDATE SET n = case_tally_kinds.n + excluded.n, accepted = case_tally_kinds.accepted + excluded.accepted, declined = case_tally_kinds.declined + excluded.declined, closed = case_tally_kinds.closed + excluded.closed, closed_on_time = case_tally_kinds.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_kinds.decided_on_time + excluded.decided_on_time, repeats = case_tally_kinds.repeats + excluded.repeats, followed_up = case_tally_kinds.followed_up + excluded.followed_up, satisfied = case_tally_kinds.satisfied + excluded.satisfied, extended = case_tally_kinds.extended + excluded.extended, supervised = case_tally_kinds.supervised + excluded.supervised, reopened = case_tally_kinds.reopened + excluded.reopened, transferred = case_tally_kinds.transferred + excluded.transferred, score_sum = case_tally_kinds.score_sum + excluded.score_sum;
END;

CREATE TRIGGER cases_tally_update AFTER UPDATE OF unit_code, counted, score ON cases
WHEN OLD.unit_code IS NOT NEW.unit_code OR OLD.counted IS NOT NEW.counted
    OR OLD.score IS NOT NEW.score
BEGIN
    INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (OLD.unit_code, OLD.received_month,
        -1, -(OLD.counted & 1), -((OLD.counted >> 1) & 1), -((OLD.counted >> 2) & 1), -((OLD.counted >> 3) & 1), -((OLD.counted >> 4) & 1), -((OLD.counted >> 5) & 1), -((OLD.counted >> 6) & 1), -((OLD.counted >> 7) & 1), -((OLD.counted >> 8) & 1), -((OLD.counted >> 9) & 1), -((OLD.counted >> 10) & 1), -((OLD.counted >> 11) & 1), -COALESCE(OLD.score, 0))
    ON CONFLICT (unit_code, received_month) DO UPDATE SET n = case_tally_units.n + excluded.n, accepted = case_tally_units.accepted + excluded.accepted, declined = case_tally_units.declined + excluded.declined, closed = case_tally_units.closed + excluded.closed, closed_on_time = case_tally_units.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_units.decided_on_time + excluded.decided_on_time, repeats = case_tally_units.repeats + excluded.repeats, followed_up = case_tally_units.followed_up + excluded.followed_up, satisfied = case_tally_units.satisfied + excluded.satisfied, extended = case_tally_units.extended + excluded.extended, supervised = case_tally_units.supervised + excluded.supervised, reopened = case_tally_units.reopened + excluded.reopened, transferred = case_tally_units.transferred + excluded.transferred, score_sum = case_tally_units.score_sum + excluded.score_sum;
    INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (OLD.county_code, OLD.received_month, OLD.type_code, OLD.channel,
        -1, -(OLD.counted & 1), -((OLD.counted >> 1) & 1), -((OLD.counted >> 2) & 1), -((OLD.counted >> 3) & 1), -((OLD.counted >> 4) & 1), -((OLD.counted >> 5) & 1), -((OLD.counted >> 6) & 1), -((OLD.counted >> 7) & 1), -((OLD.counted >> 8) & 1), -((OLD.counted >> 9) & 1), -((OLD.counted >> 10) & 1), -((OLD.counted >> 11) & 1), -COALESCE(OLD.score, 0))
    ON CONFLICT (county_code, received_month, type_code, channel) DO UPDATE SET n = case_tally_kinds.n + excluded.n, accepted = case_tally_kinds.accepted + excluded.accepted, declined = case_tally_kinds.declined + excluded.declined, closed = case_tally_kinds.closed + excluded.closed, closed_on_time = case_tally_kinds.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_kinds.decided_on_time + excluded.decided_on_time, repeats = case_tally_kinds.repeats + excluded.repeats, followed_up = case_tally_kinds.followed_up + excluded.followed_up, satisfied = case_tally_kinds.satisfied + excluded.satisfied, extended = case_tally_kinds.extended + excluded.extended, supervised = case_tally_kinds.supervised + excluded.supervised, reopened = case_tally_kinds.reopened + excluded.reopened, transferred = case_tally_kinds.transferred + excluded.transferred, score_sum = case_tally_kinds.score_sum + excluded.score_sum;
    INSERT INTO case_tally_units (unit_code, received_month, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (NEW.unit_code, NEW.received_month,
        1, (NEW.counted & 1), ((NEW.counted >> 1) & 1), ((NEW.counted >> 2) & 1), ((NEW.counted >> 3) & 1), ((NEW.counted >> 4) & 1), ((NEW.counted >> 5) & 1), ((NEW.counted >> 6) & 1), ((NEW.counted >> 7) & 1), ((NEW.counted >> 8) & 1), ((NEW.counted >> 9) & 1), ((NEW.counted >> 10) & 1), ((NEW.counted >> 11) & 1), COALESCE(NEW.score, 0))
    ON CONFLICT (unit_code, received_month) DO UPDATE SET n = case_tally_units.n + excluded.n, accepted = case_tally_units.accepted + excluded.accepted, declined = case_tally_units.declined + excluded.declined, closed = case_tally_units.closed + excluded.closed, closed_on_time = case_tally_units.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_units.decided_on_time + excluded.decided_on_time, repeats = case_tally_units.repeats + excluded.repeats, followed_up = case_tally_units.followed_up + excluded.followed_up, satisfied = case_tally_units.satisfied + excluded.satisfied, extended = case_tally_units.extended + excluded.extended, supervised = case_tally_units.supervised + excluded.supervised, reopened = case_tally_units.reopened + excluded.reopened, transferred = case_tally_units.transferred + excluded.transferred, score_sum = case_tally_units.score_sum + excluded.score_sum;
    INSERT INTO case_tally_kinds (county_code, received_month, type_code, channel, n, accepted, declined, closed, closed_on_time, decided_on_time, repeats, followed_up, satisfied, extended, supervised, reopened, transferred, score_sum)
    VALUES (NEW.county_code, NEW.received_month, NEW.type_code, NEW.channel,
        1, (NEW.counted & 1), ((NEW.counted >> 1) & 1), ((NEW.counted >> 2) & 1), ((NEW.counted >> 3) & 1), ((NEW.counted >> 4) & 1), ((NEW.counted >> 5) & 1), ((NEW.counted >> 6) & 1), ((NEW.counted >> 7) & 1), ((NEW.counted >> 8) & 1), ((NEW.counted >> 9) & 1), ((NEW.counted >> 10) & 1), ((NEW.counted >> 11) & 1), COALESCE(NEW.score, 0))
    ON CONFLICT (county_code, received_month, type_code, channel) DO UPDATE SET n = case_tally_kinds.n + excluded.n, accepted = case_tally_kinds.accepted + excluded.accepted, declined = case_tally_kinds.declined + excluded.declined, closed = case_tally_kinds.closed + excluded.closed, closed_on_time = case_tally_kinds.closed_on_time + excluded.closed_on_time, decided_on_time = case_tally_kinds.decided_on_time + excluded.decided_on_time, repeats = case_tally_kinds.repeats + excluded.repeats, followed_up = case_tally_kinds.followed_up + excluded.followed_up, satisfied = case_tally_kinds.satisfied + excluded.satisfied, extended = case_tally_kinds.extended + excluded.extended, supervised = case_tally_kinds.supervised + excluded.supervised, reopened = case_tally_kinds.reopened + excluded.reopened, transferred = case_tally_kinds.transferred + excluded.transferred, score_sum = case_tally_kinds.score_sum + excluded.score_sum;
END;
