-- 0001: the platform's first schema, the PostgreSQL twin of the SQLite
-- store's 0001 (same tables, columns, keys and indexes; same numbering,
-- so both stores report the same Version).
--
-- Times are BIGINT unix milliseconds (a zero time is stored as its own,
-- very negative, value), booleans BOOLEAN, JSON documents TEXT holding the
-- exact bytes (NULL for a nil document), floats DOUBLE PRECISION. The
-- insertion counters ("seq") are identity columns. Identifiers that lists
-- are ordered by are COLLATE "C", so every database orders them by bytes,
-- as SQLite does, whatever its default collation.

CREATE TABLE accounts (
    user_id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    password_hash  BYTEA,
    callback_url   TEXT    NOT NULL DEFAULT '',
    callback_token TEXT    NOT NULL DEFAULT '',
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL,
    online         BOOLEAN NOT NULL DEFAULT FALSE,
    state_since    BIGINT  NOT NULL
);

CREATE TABLE tokens (
    value     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    issued_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX tokens_user_last_seen ON tokens (user_id, last_seen);
CREATE INDEX tokens_last_seen ON tokens (last_seen);

CREATE TABLE liveness_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    isv_park_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    online      BOOLEAN NOT NULL,
    at          BIGINT  NOT NULL,
    cause       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX liveness_events_user_at ON liveness_events (user_id, at, seq);

CREATE TABLE parks (
    isv_park_id       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id           TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    park_code         TEXT COLLATE "C" NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    area_code         TEXT    NOT NULL DEFAULT '',
    biz_status        INTEGER NOT NULL DEFAULT 0,
    reservable        BOOLEAN NOT NULL DEFAULT FALSE,
    reservable_spaces INTEGER NOT NULL DEFAULT 0,
    total_spaces      INTEGER NOT NULL DEFAULT 0,
    longitude         DOUBLE PRECISION NOT NULL DEFAULT 0,
    latitude          DOUBLE PRECISION NOT NULL DEFAULT 0,
    info              TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (user_id, park_code)
);

CREATE TABLE entrances (
    isv_park_id TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    code        TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    info        TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (isv_park_id, code)
);

CREATE TABLE enter_records (
    isv_park_id TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    id          TEXT COLLATE "C" NOT NULL,
    plate_no    TEXT COLLATE "C" NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL,
    book_code   TEXT COLLATE "C" NOT NULL DEFAULT '',
    payload     TEXT,
    received_at BIGINT  NOT NULL,
    no_entry    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (isv_park_id, id)
);
-- OpenEntries walks a park's entries in time order and probes the exits'
-- primary key for each.
CREATE INDEX enter_records_park_at ON enter_records (isv_park_id, at);

CREATE TABLE exit_records (
    isv_park_id TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    id          TEXT COLLATE "C" NOT NULL,
    plate_no    TEXT COLLATE "C" NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL,
    book_code   TEXT COLLATE "C" NOT NULL DEFAULT '',
    payload     TEXT,
    received_at BIGINT  NOT NULL,
    no_entry    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (isv_park_id, id)
);
CREATE INDEX exit_records_no_entry ON exit_records (isv_park_id, no_entry, at);

CREATE TABLE history (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    object      TEXT COLLATE "C" NOT NULL,
    isv_park_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    object_key  TEXT COLLATE "C" NOT NULL,
    old_value   TEXT,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX history_object ON history (object, isv_park_id, object_key, changed_at, seq);

CREATE TABLE pictures (
    user_id        TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    park_code      TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    hash           TEXT    NOT NULL,
    size           BIGINT  NOT NULL,
    kind           TEXT    NOT NULL DEFAULT '',
    file_name      TEXT    NOT NULL DEFAULT '',
    image_biz_type INTEGER NOT NULL DEFAULT 0,
    pick_time      BIGINT  NOT NULL,
    received_at    BIGINT  NOT NULL,
    PRIMARY KEY (user_id, park_code, id)
);

CREATE TABLE vacancy (
    isv_park_id              TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES parks (isv_park_id),
    info                     TEXT,
    used_stalls              INTEGER NOT NULL,
    unused_stalls            INTEGER NOT NULL,
    unused_reservable_stalls INTEGER NOT NULL,
    at                       BIGINT  NOT NULL
);

CREATE TABLE vacancy_series (
    seq                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    isv_park_id              TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    info                     TEXT,
    used_stalls              INTEGER NOT NULL,
    unused_stalls            INTEGER NOT NULL,
    unused_reservable_stalls INTEGER NOT NULL,
    at                       BIGINT  NOT NULL
);
CREATE INDEX vacancy_series_park_at ON vacancy_series (isv_park_id, at, seq);

CREATE TABLE warnings (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    isv_park_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    user_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX warnings_park_at ON warnings (isv_park_id, at, seq);

CREATE TABLE verifications (
    isv_park_id TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    hour        BIGINT  NOT NULL,
    plates      INTEGER NOT NULL,
    no_entry    TEXT    NOT NULL,
    missing     TEXT    NOT NULL,
    used_stalls INTEGER NOT NULL,
    at          BIGINT  NOT NULL,
    plate_list  TEXT    NOT NULL,
    PRIMARY KEY (isv_park_id, hour)
);
