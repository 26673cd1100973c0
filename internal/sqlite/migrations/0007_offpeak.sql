-- 0007: off-peak parking (错峰停车, docs/offpeak.md): an account's role,
-- the packages and orders of off-peak platforms, and the status history
-- of orders. Same conventions as 0001 (times BIGINT unix ms, booleans
-- INTEGER 0/1, amounts INTEGER cents).

ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'plms';

CREATE TABLE offpeak_packages (
    user_id       TEXT    NOT NULL REFERENCES accounts (user_id),
    isv_park_id   TEXT    NOT NULL REFERENCES parks (isv_park_id),
    package_no    TEXT    NOT NULL,
    provider_code TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL DEFAULT '',
    type          INTEGER NOT NULL DEFAULT 0,
    price_cents   BIGINT  NOT NULL DEFAULT 0,
    on_sale       INTEGER NOT NULL DEFAULT 0,
    start_time    TEXT    NOT NULL DEFAULT '',
    end_time      TEXT    NOT NULL DEFAULT '',
    info          TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (user_id, isv_park_id, package_no)
);
-- A park's packages (on sale), for the public API and the console.
CREATE INDEX offpeak_packages_park ON offpeak_packages (isv_park_id, on_sale);

CREATE TABLE offpeak_orders (
    user_id      TEXT    NOT NULL REFERENCES accounts (user_id),
    order_no     TEXT    NOT NULL,
    isv_park_id  TEXT    NOT NULL REFERENCES parks (isv_park_id),
    package_no   TEXT    NOT NULL,
    plate_no     TEXT    NOT NULL DEFAULT '',
    amount_cents BIGINT  NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    order_time   BIGINT  NOT NULL,
    day          TEXT    NOT NULL,
    info         TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (user_id, order_no)
);
CREATE INDEX offpeak_orders_park ON offpeak_orders (isv_park_id, order_time);
CREATE INDEX offpeak_orders_day ON offpeak_orders (day, isv_park_id, user_id);

CREATE TABLE offpeak_order_events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL,
    order_no    TEXT    NOT NULL,
    from_status INTEGER NOT NULL,
    to_status   INTEGER NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX offpeak_order_events_order ON offpeak_order_events (user_id, order_no, seq);


-- ParksByPermitNo: the permitNo a park reported in parkInfo (NULL for an
-- info that is not JSON, so no park write can fail on it).
CREATE INDEX parks_permit_no ON parks ((CASE WHEN json_valid(info) THEN json_extract(info, '$.permitNo') END));
