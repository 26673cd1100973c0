-- 0003: what running several instances on one database and keeping it
-- small need (platform.MaintenanceTx): leases for the jobs that must run
-- once, and indexes that let retention find old rows without a scan. The
-- PostgreSQL twin of the SQLite store's 0003, with the conventions of 0001.

-- A lease is held by holder until until_at; a row whose until_at has
-- passed is free for anyone to take.
CREATE TABLE leases (
    name     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    holder   TEXT COLLATE "C" NOT NULL,
    until_at BIGINT NOT NULL
);

-- PurgeVacancySeries, PurgeHistory, PurgeWarnings and PurgeVerifications
-- delete the oldest rows first: the existing indexes of these tables lead
-- with the park or the object, so they need their own by time.
CREATE INDEX vacancy_series_at ON vacancy_series (at, seq);
CREATE INDEX history_changed_at ON history (changed_at, seq);
CREATE INDEX warnings_at ON warnings (at, seq);
CREATE INDEX verifications_at ON verifications (at, isv_park_id, hour);

-- OldPictures, oldest first, and PictureHashInUse.
CREATE INDEX pictures_received_at ON pictures (received_at, user_id, park_code, id);
CREATE INDEX pictures_hash ON pictures (hash);
