package sqlite

import (
	"math"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Leases, locks and retention (platform.MaintenanceTx). The statements
// are those of the PostgreSQL store but for the placeholders.

var _ platform.MaintenanceTx = (*tx)(nil)

// AcquireLease takes the lease name for holder until until when no one
// holds it, when its holder's time ran out at or before now, or when
// holder already has it (a renewal, which moves until either way). It
// reports whether holder has the lease afterwards. One upsert decides,
// whose update applies only when the lease is free or holder's; it
// changes one row when holder gets the lease and none otherwise.
func (t *tx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	res, err := t.exec(`INSERT INTO leases (name, holder, until_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at
		WHERE leases.until_at <= ? OR leases.holder = excluded.holder`,
		name, holder, ms(until), ms(now))
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return n > 0, nil
}

// ReleaseLease deletes the lease name if holder has it; releasing a lease
// held by another, or by no one, does nothing.
func (t *tx) ReleaseLease(name, holder string) error {
	_, err := t.exec("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
	return wrap("release lease", err)
}

// Lock does nothing but check that t may write: the store's single
// writer runs Update functions one after another, so write transactions
// are serial already. Like a write, it fails in a View and after the
// function given t has returned.
func (t *tx) Lock(key string) error {
	if t.done.Load() {
		return errTxDone
	}
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

// PurgeVacancySeries deletes up to limit vacancy reports (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted. The live vacancy stays.
func (t *tx) PurgeVacancySeries(before time.Time, limit int) (int, error) {
	return t.purge("purge vacancy series", `DELETE FROM vacancy_series WHERE seq IN (
		SELECT seq FROM vacancy_series WHERE at < ? ORDER BY at, seq LIMIT ?)`, before, limit)
}

// PurgeHistory deletes up to limit history entries (all when limit <= 0)
// whose ChangedAt is before before, oldest first, and returns how many it
// deleted.
func (t *tx) PurgeHistory(before time.Time, limit int) (int, error) {
	return t.purge("purge history", `DELETE FROM history WHERE seq IN (
		SELECT seq FROM history WHERE changed_at < ? ORDER BY changed_at, seq LIMIT ?)`, before, limit)
}

// PurgeWarnings deletes up to limit warnings (all when limit <= 0) whose
// At is before before, oldest first, and returns how many it deleted.
func (t *tx) PurgeWarnings(before time.Time, limit int) (int, error) {
	return t.purge("purge warnings", `DELETE FROM warnings WHERE seq IN (
		SELECT seq FROM warnings WHERE at < ? ORDER BY at, seq LIMIT ?)`, before, limit)
}

// PurgeVerifications deletes up to limit verifications (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted.
func (t *tx) PurgeVerifications(before time.Time, limit int) (int, error) {
	return t.purge("purge verifications", `DELETE FROM verifications WHERE (isv_park_id, hour) IN (
		SELECT isv_park_id, hour FROM verifications WHERE at < ?
		ORDER BY at, isv_park_id, hour LIMIT ?)`, before, limit)
}

// purge runs a DELETE whose parameters are a time bound and a limit, and
// returns the number of rows it deleted.
func (t *tx) purge(op, query string, before time.Time, limit int) (int, error) {
	res, err := t.exec(query, ms(before), limitArg(limit))
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}

// limitArg is the value of a "LIMIT ?" parameter: n for n > 0, else no
// limit (a bound parameter keeps one prepared statement per query).
func limitArg(n int) int64 {
	if n <= 0 {
		return math.MaxInt64
	}
	return int64(n)
}

// OldPictures returns up to limit pictures (all when limit <= 0) whose
// ReceivedAt is before before, oldest first, ties by (UserID, ParkCode,
// ID).
func (t *tx) OldPictures(before time.Time, limit int) ([]platform.Picture, error) {
	return getAll(t, scanPicture, `SELECT `+pictureCols+` FROM pictures WHERE received_at < ?
		ORDER BY received_at, user_id, park_code, id LIMIT ?`, ms(before), limitArg(limit))
}

// DeletePicture deletes the metadata of a park's picture id (not its
// blob): ErrNotFound when there is none.
func (t *tx) DeletePicture(userID, parkCode, id string) error {
	err := t.execOne("DELETE FROM pictures WHERE user_id = ? AND park_code = ? AND id = ?",
		userID, parkCode, id)
	return wrap("delete picture", err)
}

// PictureHashInUse reports whether any picture cites the blob hash.
func (t *tx) PictureHashInUse(hash string) (bool, error) {
	_, err := getOne(t, scanInt, "SELECT 1 FROM pictures WHERE hash = ? LIMIT 1", hash)
	if platform.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
