-- Cases: rights cases, letters and visits (维权、信访) and hotline calls (12338).
-- Dates are China calendar dates as YYYY-MM-DD text; times are UTC milliseconds.

-- The configurable list of case types; the defaults are those of the domain notes.
CREATE TABLE case_types (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- Cases of a restricted type (domestic violence) are visible only to their handlers.
    restricted INTEGER NOT NULL DEFAULT 0,
    sort INTEGER NOT NULL DEFAULT 100,
    active INTEGER NOT NULL DEFAULT 1
);
INSERT INTO case_types (code, name_zh, name_en, restricted, sort) VALUES
    ('domestic_violence', '家庭暴力', 'Domestic violence', 1, 10),
    ('marriage', '婚姻', 'Marriage', 0, 20),
    ('support', '抚养/赡养/扶养', 'Support obligations', 0, 30),
    ('inheritance', '继承', 'Inheritance', 0, 40),
    ('abandonment', '遗弃', 'Abandonment', 0, 50),
    ('marriage_freedom', '干涉婚姻自由', 'Interference with freedom of marriage', 0, 60),
    ('land', '土地权益', 'Land rights', 0, 70),
    ('labour', '劳动权益', 'Labour rights', 0, 80),
    ('sexual', '性骚扰/性侵害', 'Sexual harassment or assault', 0, 90),
    ('trafficking', '拐卖', 'Trafficking', 0, 100),
    ('other', '其他', 'Other', 0, 110);

-- Partner units cases are referred to (police, court, justice office…), per county.
CREATE TABLE case_partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    UNIQUE (county_code, name)
);

-- A case as it stands now. The columns from unit_code to repeat_of are what the figures
-- count; case_history keeps their earlier values, so figures can be asked as of a past date.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES org_units (code),
    first_unit_code TEXT NOT NULL,
    type_code TEXT NOT NULL REFERENCES case_types (code),
    channel TEXT NOT NULL,
    received_date TEXT NOT NULL,
    received_month TEXT NOT NULL,
    state TEXT NOT NULL,
    decision TEXT NOT NULL DEFAULT '',
    decided_date TEXT,
    acceptance_due TEXT NOT NULL,
    accepted_date TEXT,
    resolution_due TEXT,
    supervision_due TEXT,
    closed_date TEXT,
    score INTEGER,
    extension_days INTEGER NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    transferred INTEGER NOT NULL DEFAULT 0,
    repeat_of INTEGER REFERENCES cases (id),
    -- The earliest deadline that applies to the case while it runs (NULL once it stops):
    -- overdue is due_date < today, soon due within three days (cases::store::DUE_SQL).
    due_date TEXT,
    -- What the figures count of this row that does not depend on the date asked: bits
    -- written from the columns above by the store (see cases::store::COUNTED_BITS).
    counted INTEGER NOT NULL DEFAULT 0,
    -- The date of the latest event: history rows end there.
    since_date TEXT NOT NULL,
    summary TEXT NOT NULL,
    request TEXT NOT NULL DEFAULT '',
    restricted INTEGER NOT NULL DEFAULT 0,
    risk_level TEXT NOT NULL DEFAULT '',
    complainant_hash TEXT,
    handler_id INTEGER REFERENCES users (id),
    supervisor_unit TEXT,
    decline_reason TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    pending_referrals INTEGER NOT NULL DEFAULT 0,
    call_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- The newest first, walked back until a page of those the filters keep is found.
CREATE INDEX cases_received ON cases (received_date, state, unit_code);
-- Open cases with what their deadlines need: the list's filters and the overdue counts.
CREATE INDEX cases_open ON cases (state, unit_code, received_month, type_code, channel,
    received_date, since_date, due_date);
CREATE INDEX cases_repeat ON cases (complainant_hash, type_code);
-- Overdue and soon-due cases, in the order they fall due.
CREATE INDEX cases_due ON cases (due_date, unit_code);
-- The figures: in GROUP BY order, covering, so that the sums stream without a sort.
CREATE INDEX cases_figures ON cases (unit_code, received_month, type_code, channel, counted,
    received_date, since_date, score);

-- Earlier values of a case's counted columns, each valid from from_date until (not
-- including) to_date.
CREATE TABLE case_history (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    unit_code TEXT NOT NULL,
    type_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_date TEXT NOT NULL,
    received_month TEXT NOT NULL,
    state TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_date TEXT,
    acceptance_due TEXT NOT NULL,
    accepted_date TEXT,
    resolution_due TEXT,
    supervision_due TEXT,
    closed_date TEXT,
    score INTEGER,
    extension_days INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    transferred INTEGER NOT NULL,
    repeat_of INTEGER,
    due_date TEXT,
    counted INTEGER NOT NULL DEFAULT 0,
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL
);
CREATE INDEX case_history_case ON case_history (case_id);
CREATE INDEX case_history_to ON case_history (to_date, from_date);

-- Complainants, victims, respondents and children involved.
CREATE TABLE case_parties (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    role TEXT NOT NULL,
    person_id INTEGER REFERENCES persons (id),
    name TEXT NOT NULL,
    relation TEXT NOT NULL DEFAULT '',
    minor INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_parties_case ON case_parties (case_id);
CREATE INDEX case_parties_person ON case_parties (person_id);

-- The timeline: every move and step, its content encrypted.
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    actor_id INTEGER,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE case_referrals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    partner_id INTEGER NOT NULL REFERENCES case_partners (id),
    sent_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    answer_date TEXT,
    answer_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_referrals_case ON case_referrals (case_id);

-- Who may read a restricted case beyond its handlers: explicit grants and broken glass.
CREATE TABLE case_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    granted_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX case_grants_case ON case_grants (case_id, user_id);

-- High-risk alerts to a unit's handlers and the unit above.
CREATE TABLE case_alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    unit_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    acked_by INTEGER REFERENCES users (id),
    acked_at INTEGER
);
CREATE INDEX case_alerts_unit ON case_alerts (unit_code, acked_at);

CREATE TABLE case_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    uploaded_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id);

-- The hotline's call log: a call that needs follow-up becomes a case in one step.
CREATE TABLE hotline_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code TEXT NOT NULL,
    unit_code TEXT NOT NULL REFERENCES org_units (code),
    call_date TEXT NOT NULL,
    caller_name TEXT NOT NULL DEFAULT '',
    phone_enc TEXT,
    phone_hash TEXT,
    type_code TEXT NOT NULL REFERENCES case_types (code),
    summary TEXT NOT NULL,
    needs_follow_up INTEGER NOT NULL DEFAULT 0,
    case_id INTEGER REFERENCES cases (id),
    actor_id INTEGER,
    actor TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX hotline_calls_unit ON hotline_calls (unit_code, call_date);
