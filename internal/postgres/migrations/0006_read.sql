-- 0006: indexes of the read side (platform.ReadTx), the PostgreSQL twin
-- of the SQLite store's 0006. The others it needs exist: parks and
-- vacancy by their key, enter_records (isv_park_id, at) for RecentRecords
-- and RecordCounts, vacancy_series (at, seq) for VacancyHours,
-- reservations (plate_no, created_at) for a plate's orders.

-- RecentRecords of exits, and RecordCounts reading exits park by park.
CREATE INDEX exit_records_park_at ON exit_records (isv_park_id, at);
-- ParkLiveness: a park's latest events.
CREATE INDEX liveness_events_park_at ON liveness_events (isv_park_id, at, seq);
-- Reservations: newest first, over a range of CreatedAt.
CREATE INDEX reservations_created_at ON reservations (created_at DESC, book_code);
