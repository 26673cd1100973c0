-- 0002: reservations, their events, the downlink queue, booking API keys
-- and the plate blacklist (docs/protocol.md §8, §9).
--
-- Same conventions as 0001: times are BIGINT unix milliseconds (NOT NULL;
-- a zero time is stored as its own, very negative, value), booleans
-- INTEGER 0/1, "seq INTEGER PRIMARY KEY" the insertion counter.

CREATE TABLE reservations (
    book_code    TEXT    NOT NULL PRIMARY KEY,
    isv_park_id  TEXT    NOT NULL REFERENCES parks (isv_park_id),
    user_id      TEXT    NOT NULL DEFAULT '',
    park_code    TEXT    NOT NULL DEFAULT '',
    plate_no     TEXT    NOT NULL DEFAULT '',
    book_time    BIGINT  NOT NULL,
    over_time    BIGINT  NOT NULL,
    obligat_time INTEGER NOT NULL DEFAULT 0,
    hold_until   BIGINT  NOT NULL,
    book_type    INTEGER NOT NULL DEFAULT 0,
    space_type   INTEGER NOT NULL DEFAULT 0,
    car_model    INTEGER NOT NULL DEFAULT 0,
    car_color    INTEGER NOT NULL DEFAULT 0,
    plate_color  INTEGER NOT NULL DEFAULT 0,
    state        TEXT    NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 0,
    client_id    TEXT    NOT NULL DEFAULT '',
    wait_seq     BIGINT  NOT NULL DEFAULT 0,
    no_show      INTEGER NOT NULL DEFAULT 0,
    enter_id     TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
-- ReservationsByPlate, newest first.
CREATE INDEX reservations_plate ON reservations (plate_no, created_at);
-- Waitlist: a park's waitlisted orders in FIFO order.
CREATE INDEX reservations_waitlist ON reservations (isv_park_id, state, wait_seq);
-- ReservationsToExpire: pending and waitlisted orders by overTime,
-- confirmed ones by the end of their hold.
CREATE INDEX reservations_state_over_time ON reservations (state, over_time);
CREATE INDEX reservations_state_hold_until ON reservations (state, hold_until);
-- ParkReservations.
CREATE INDEX reservations_park_book_time ON reservations (isv_park_id, book_time);
-- NoShows.
CREATE INDEX reservations_no_shows ON reservations (plate_no, no_show, updated_at);

-- The last WaitSeq handed out: one row, incremented in the transaction
-- that takes a number, so numbers grow across transactions and restarts.
CREATE TABLE wait_seq (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    last BIGINT  NOT NULL
);
INSERT INTO wait_seq (id, last) VALUES (1, 0);

CREATE TABLE reservation_events (
    seq        INTEGER NOT NULL PRIMARY KEY,
    book_code  TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL,
    cause      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX reservation_events_book_code ON reservation_events (book_code, at, seq);

CREATE TABLE dispatches (
    id         TEXT    NOT NULL PRIMARY KEY,
    book_code  TEXT    NOT NULL,
    op         TEXT    NOT NULL,
    revision   INTEGER NOT NULL DEFAULT 0,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT  NOT NULL,
    deadline   BIGINT  NOT NULL,
    last_error TEXT    NOT NULL DEFAULT '',
    created_at BIGINT  NOT NULL
);
-- DueDispatches and NextDispatchAt.
CREATE INDEX dispatches_next_at ON dispatches (next_at, created_at, id);
-- DispatchesFor.
CREATE INDEX dispatches_book_code ON dispatches (book_code, created_at, id);

CREATE TABLE api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    secret_hash BLOB,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE blacklist (
    plate_no TEXT   NOT NULL PRIMARY KEY,
    until_at BIGINT NOT NULL,
    reason   TEXT   NOT NULL DEFAULT '',
    at       BIGINT NOT NULL
);

-- RecordByBookCode: only records that carry a bookCode (most carry none,
-- stored as '') are indexed.
CREATE INDEX enter_records_book_code ON enter_records (isv_park_id, book_code, at)
    WHERE book_code <> '';
CREATE INDEX exit_records_book_code ON exit_records (isv_park_id, book_code, at)
    WHERE book_code <> '';
