-- 0007: off-peak parking (错峰停车, docs/offpeak.md): an account's role,
-- the packages and orders of off-peak platforms, and the status history
-- of orders. The PostgreSQL twin of the SQLite store's 0007 (amounts
-- BIGINT cents).

ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'plms';

CREATE TABLE offpeak_packages (
    user_id       TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    isv_park_id   TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    package_no    TEXT COLLATE "C" NOT NULL,
    provider_code TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL DEFAULT '',
    type          INTEGER NOT NULL DEFAULT 0,
    price_cents   BIGINT  NOT NULL DEFAULT 0,
    on_sale       BOOLEAN NOT NULL DEFAULT FALSE,
    start_time    TEXT    NOT NULL DEFAULT '',
    end_time      TEXT    NOT NULL DEFAULT '',
    info          TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (user_id, isv_park_id, package_no)
);
CREATE INDEX offpeak_packages_park ON offpeak_packages (isv_park_id, on_sale);

CREATE TABLE offpeak_orders (
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (user_id),
    order_no     TEXT COLLATE "C" NOT NULL,
    isv_park_id  TEXT COLLATE "C" NOT NULL REFERENCES parks (isv_park_id),
    package_no   TEXT COLLATE "C" NOT NULL,
    plate_no     TEXT    NOT NULL DEFAULT '',
    amount_cents BIGINT  NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    order_time   BIGINT  NOT NULL,
    day          TEXT COLLATE "C" NOT NULL,
    info         TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (user_id, order_no)
);
CREATE INDEX offpeak_orders_park ON offpeak_orders (isv_park_id, order_time);
CREATE INDEX offpeak_orders_day ON offpeak_orders (day, isv_park_id, user_id);

CREATE TABLE offpeak_order_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL,
    order_no    TEXT COLLATE "C" NOT NULL,
    from_status INTEGER NOT NULL,
    to_status   INTEGER NOT NULL,
    at          BIGINT  NOT NULL
);
CREATE INDEX offpeak_order_events_order ON offpeak_order_events (user_id, order_no, seq);


-- ParksByPermitNo: the permitNo a park reported in parkInfo, NULL for an
-- info that is not a JSON object, so no park write can fail on it.
CREATE FUNCTION parkd_permit_no(info TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN info::jsonb ->> 'permitNo';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
CREATE INDEX parks_permit_no ON parks (parkd_permit_no(info));
