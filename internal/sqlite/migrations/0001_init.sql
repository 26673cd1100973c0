-- 0001: the platform's first schema.
--
-- Kept close to what PostgreSQL accepts: times are BIGINT unix
-- milliseconds, booleans INTEGER 0/1, JSON documents TEXT (exact bytes).
-- "seq INTEGER PRIMARY KEY" is SQLite's insertion counter (rowid); the
-- PostgreSQL schema uses BIGINT GENERATED ALWAYS AS IDENTITY there.

CREATE TABLE accounts (
    user_id        TEXT    NOT NULL PRIMARY KEY,
    password_hash  BLOB,
    callback_url   TEXT    NOT NULL DEFAULT '',
    callback_token TEXT    NOT NULL DEFAULT '',
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    online         INTEGER NOT NULL DEFAULT 0,
    state_since    BIGINT  NOT NULL
);

CREATE TABLE tokens (
    value     TEXT   NOT NULL PRIMARY KEY,
    user_id   TEXT   NOT NULL REFERENCES accounts (user_id),
    issued_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX tokens_user_last_seen ON tokens (user_id, last_seen);
CREATE INDEX tokens_last_seen ON tokens (last_seen);

CREATE TABLE liveness_events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES accounts (user_id),
    isv_park_id TEXT    NOT NULL DEFAULT '',
    online      INTEGER NOT NULL,
    at          BIGINT  NOT NULL,
    cause       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX liveness_events_user_at ON liveness_events (user_id, at, seq);

CREATE TABLE parks (
    isv_park_id       TEXT    NOT NULL PRIMARY KEY,
    user_id           TEXT    NOT NULL REFERENCES accounts (user_id),
    park_code         TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    area_code         TEXT    NOT NULL DEFAULT '',
    biz_status        INTEGER NOT NULL DEFAULT 0,
    reservable        INTEGER NOT NULL DEFAULT 0,
    reservable_spaces INTEGER NOT NULL DEFAULT 0,
    total_spaces      INTEGER NOT NULL DEFAULT 0,
    longitude         REAL    NOT NULL DEFAULT 0,
    latitude          REAL    NOT NULL DEFAULT 0,
    info              TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (user_id, park_code)
);

CREATE TABLE entrances (
    isv_park_id TEXT   NOT NULL REFERENCES parks (isv_park_id),
    code        TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    info        TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (isv_park_id, code)
);

CREATE TABLE enter_records (
    isv_park_id TEXT    NOT NULL REFERENCES parks (isv_park_id),
    id          TEXT    NOT NULL,
    plate_no    TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL,
    book_code   TEXT    NOT NULL DEFAULT '',
    payload     TEXT,
    received_at BIGINT  NOT NULL,
    no_entry    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (isv_park_id, id)
);
-- OpenEntries walks a park's entries in time order and probes the exits'
-- primary key for each.
CREATE INDEX enter_records_park_at ON enter_records (isv_park_id, at);

CREATE TABLE exit_records (
    isv_park_id TEXT    NOT NULL REFERENCES parks (isv_park_id),
    id          TEXT    NOT NULL,
    plate_no    TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL,
    book_code   TEXT    NOT NULL DEFAULT '',
    payload     TEXT,
    received_at BIGINT  NOT NULL,
    no_entry    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (isv_park_id, id)
);
CREATE INDEX exit_records_no_entry ON exit_records (isv_park_id, no_entry, at);

CREATE TABLE history (
    seq         INTEGER NOT NULL PRIMARY KEY,
    object      TEXT    NOT NULL,
    isv_park_id TEXT    NOT NULL DEFAULT '',
    object_key  TEXT    NOT NULL,
    old_value   TEXT,
    changed_at  BIGINT  NOT NULL
);
CREATE INDEX history_object ON history (object, isv_park_id, object_key, changed_at, seq);

CREATE TABLE pictures (
    user_id        TEXT    NOT NULL REFERENCES accounts (user_id),
    park_code      TEXT    NOT NULL,
    id             TEXT    NOT NULL,
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
    isv_park_id              TEXT    NOT NULL PRIMARY KEY REFERENCES parks (isv_park_id),
    info                     TEXT,
    used_stalls              INTEGER NOT NULL,
    unused_stalls            INTEGER NOT NULL,
    unused_reservable_stalls INTEGER NOT NULL,
    at                       BIGINT  NOT NULL
);

CREATE TABLE vacancy_series (
    seq                      INTEGER NOT NULL PRIMARY KEY,
    isv_park_id              TEXT    NOT NULL REFERENCES parks (isv_park_id),
    info                     TEXT,
    used_stalls              INTEGER NOT NULL,
    unused_stalls            INTEGER NOT NULL,
    unused_reservable_stalls INTEGER NOT NULL,
    at                       BIGINT  NOT NULL
);
CREATE INDEX vacancy_series_park_at ON vacancy_series (isv_park_id, at, seq);

CREATE TABLE warnings (
    seq         INTEGER NOT NULL PRIMARY KEY,
    isv_park_id TEXT    NOT NULL DEFAULT '',
    user_id     TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX warnings_park_at ON warnings (isv_park_id, at, seq);

CREATE TABLE verifications (
    isv_park_id TEXT    NOT NULL REFERENCES parks (isv_park_id),
    hour        BIGINT  NOT NULL,
    plates      INTEGER NOT NULL,
    no_entry    TEXT    NOT NULL,
    missing     TEXT    NOT NULL,
    used_stalls INTEGER NOT NULL,
    at          BIGINT  NOT NULL,
    plate_list  TEXT    NOT NULL,
    PRIMARY KEY (isv_park_id, hour)
);
