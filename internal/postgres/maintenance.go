package postgres

import (
	"strings"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Leases, locks and retention (platform.MaintenanceTx). The statements
// are those of the SQLite store but for the placeholders and Lock.

var _ platform.MaintenanceTx = (*tx)(nil)

// AcquireLease takes the lease name for holder until until when no one
// holds it, when its holder's time ran out at or before now, or when
// holder already has it (a renewal, which moves until either way). It
// reports whether holder has the lease afterwards.
//
// One upsert decides, atomically however many transactions race: its
// update applies only when the lease is free or holder's, and it changes
// one row when holder gets the lease and none otherwise. A racer that
// finds a row inserted or updated by a transaction still in progress
// waits for that transaction to end, then judges the row it left, so of
// several holders racing for a free lease exactly one gets it. The
// lease's row stays locked until the transaction ends.
func (t *tx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	n, err := t.exec(`INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at
		WHERE leases.until_at <= $4 OR leases.holder = excluded.holder`,
		name, holder, ms(until), ms(now))
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return n > 0, nil
}

// ReleaseLease deletes the lease name if holder has it; releasing a lease
// held by another, or by no one, does nothing.
func (t *tx) ReleaseLease(name, holder string) error {
	_, err := t.exec("DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
	return wrap("release lease", err)
}

// Lock takes a transaction-level advisory lock on key, waiting while
// another transaction holds it; PostgreSQL releases it when the
// transaction commits or rolls back. A transaction may lock a key again
// (it then holds it twice, until its end). Keys are hashed to 64 bits by
// hashtextextended: two keys that collide only serialise more than
// needed. Any string is a key: PostgreSQL text holds neither NUL nor
// invalid UTF-8, so those are replaced by U+FFFD before hashing (keys
// that differ only there collide). Two transactions that lock keys in
// different orders may deadlock: PostgreSQL then fails one of them, whose
// Update returns the error. Lock counts as a write: it fails in a View.
func (t *tx) Lock(key string) error {
	text := strings.ToValidUTF8(strings.ReplaceAll(key, "\x00", "\uFFFD"), "\uFFFD")
	_, err := t.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", text)
	return wrap("lock "+text, err)
}

// PurgeVacancySeries deletes up to limit vacancy reports (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted. The live vacancy stays.
func (t *tx) PurgeVacancySeries(before time.Time, limit int) (int, error) {
	return t.purge("purge vacancy series", `DELETE FROM vacancy_series WHERE seq IN (
		SELECT seq FROM vacancy_series WHERE at < $1 ORDER BY at, seq LIMIT $2)`, before, limit)
}

// PurgeHistory deletes up to limit history entries (all when limit <= 0)
// whose ChangedAt is before before, oldest first, and returns how many it
// deleted.
func (t *tx) PurgeHistory(before time.Time, limit int) (int, error) {
	return t.purge("purge history", `DELETE FROM history WHERE seq IN (
		SELECT seq FROM history WHERE changed_at < $1 ORDER BY changed_at, seq LIMIT $2)`, before, limit)
}

// PurgeWarnings deletes up to limit warnings (all when limit <= 0) whose
// At is before before, oldest first, and returns how many it deleted.
func (t *tx) PurgeWarnings(before time.Time, limit int) (int, error) {
	return t.purge("purge warnings", `DELETE FROM warnings WHERE seq IN (
		SELECT seq FROM warnings WHERE at < $1 ORDER BY at, seq LIMIT $2)`, before, limit)
}

// PurgeVerifications deletes up to limit verifications (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted.
func (t *tx) PurgeVerifications(before time.Time, limit int) (int, error) {
	return t.purge("purge verifications", `DELETE FROM verifications WHERE (isv_park_id, hour) IN (
		SELECT isv_park_id, hour FROM verifications WHERE at < $1
		ORDER BY at, isv_park_id, hour LIMIT $2)`, before, limit)
}

// purge runs a DELETE whose parameters are a time bound and a limit, and
// returns the number of rows it deleted. (PostgreSQL has no DELETE ...
// LIMIT: the rows are chosen by their key in a subquery.) Two purges
// racing may choose the same rows: the second then deletes fewer.
func (t *tx) purge(op, query string, before time.Time, limit int) (int, error) {
	n, err := t.exec(query, ms(before), limitArg(limit))
	if err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}

// OldPictures returns up to limit pictures (all when limit <= 0) whose
// ReceivedAt is before before, oldest first, ties by (UserID, ParkCode,
// ID).
func (t *tx) OldPictures(before time.Time, limit int) ([]platform.Picture, error) {
	return getAll(t, scanPicture, `SELECT `+pictureCols+` FROM pictures WHERE received_at < $1
		ORDER BY received_at, user_id, park_code, id LIMIT $2`, ms(before), limitArg(limit))
}

// DeletePicture deletes the metadata of a park's picture id (not its
// blob): ErrNotFound when there is none.
func (t *tx) DeletePicture(userID, parkCode, id string) error {
	err := t.execOne("DELETE FROM pictures WHERE user_id = $1 AND park_code = $2 AND id = $3",
		userID, parkCode, id)
	return wrap("delete picture", err)
}

// PictureHashInUse reports whether any picture cites the blob hash.
func (t *tx) PictureHashInUse(hash string) (bool, error) {
	_, err := getOne(t, scanInt, "SELECT 1 FROM pictures WHERE hash = $1 LIMIT 1", hash)
	if platform.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
