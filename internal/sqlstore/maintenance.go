package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Leases, locks and retention (platform.MaintenanceTx).

var _ platform.MaintenanceTx = (*Tx)(nil)

var (
	// The update applies only when the lease is free or holder's.
	acquireLease = upsert("leases", "name, holder, until_at", "name",
		"leases.until_at <= ? OR leases.holder = excluded.holder")
	releaseLease       = define("DELETE FROM leases WHERE name = ? AND holder = ?")
	purgeVacancySeries = defineFor(func(d Dialect) string {
		return d.Purge("vacancy_series", "seq", "at < ?", "at, seq")
	})
	purgeHistory = defineFor(func(d Dialect) string {
		return d.Purge("history", "seq", "changed_at < ?", "changed_at, seq")
	})
	purgeWarnings = defineFor(func(d Dialect) string {
		return d.Purge("warnings", "seq", "at < ?", "at, seq")
	})
	purgeVerifications = defineFor(func(d Dialect) string {
		return d.Purge("verifications", "isv_park_id, hour", "at < ?", "at, isv_park_id, hour")
	})
	oldPictures = define(`SELECT ` + pictureCols + ` FROM pictures WHERE received_at < ?
		ORDER BY received_at, user_id, park_code, id LIMIT ?`)
	deletePicture    = define("DELETE FROM pictures WHERE user_id = ? AND park_code = ? AND id = ?")
	pictureHashInUse = define("SELECT 1 FROM pictures WHERE hash = ? LIMIT 1")
)

// AcquireLease takes the lease name for holder until until when no one
// holds it, when its holder's time ran out at or before now, or when
// holder already has it (a renewal, which moves until either way). It
// reports whether holder has the lease afterwards.
//
// One upsert decides, atomically however many transactions race: its
// update applies only when the lease is free or holder's, and it changes
// one row when holder gets the lease and none otherwise. On PostgreSQL a
// racer that finds a row inserted or updated by a transaction still in
// progress waits for that transaction to end, then judges the row it
// left, so of several holders racing for a free lease exactly one gets
// it; the lease's row stays locked until the transaction ends.
func (t *Tx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	n, err := t.exec(acquireLease, name, holder, ms(until), ms(now))
	if err != nil {
		return false, t.wrap("acquire lease", err)
	}
	return n > 0, nil
}

// ReleaseLease deletes the lease name if holder has it; releasing a lease
// held by another, or by no one, does nothing.
func (t *Tx) ReleaseLease(name, holder string) error {
	_, err := t.exec(releaseLease, name, holder)
	return t.wrap("release lease", err)
}

// Lock takes the dialect's transaction-level lock on key (see
// Dialect.Lock), waiting while another transaction holds it, until this
// one ends. Where write transactions are serial already it only checks
// that t may write. Lock counts as a write: it fails in a View and after
// the function given t has returned.
func (t *Tx) Lock(key string) error {
	query, arg := t.sql.d.Lock(key)
	if query == "" {
		if err := t.lock(true); err != nil {
			return err
		}
		t.mu.Unlock()
		return nil
	}
	_, err := t.execText(query, arg)
	return t.wrap("lock", err)
}

// PurgeVacancySeries deletes up to limit vacancy reports (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted. The live vacancy stays.
func (t *Tx) PurgeVacancySeries(before time.Time, limit int) (int, error) {
	return t.count("purge vacancy series", purgeVacancySeries, ms(before), limitArg(limit))
}

// PurgeHistory deletes up to limit history entries (all when limit <= 0)
// whose ChangedAt is before before, oldest first, and returns how many it
// deleted.
func (t *Tx) PurgeHistory(before time.Time, limit int) (int, error) {
	return t.count("purge history", purgeHistory, ms(before), limitArg(limit))
}

// PurgeWarnings deletes up to limit warnings (all when limit <= 0) whose
// At is before before, oldest first, and returns how many it deleted.
func (t *Tx) PurgeWarnings(before time.Time, limit int) (int, error) {
	return t.count("purge warnings", purgeWarnings, ms(before), limitArg(limit))
}

// PurgeVerifications deletes up to limit verifications (all when limit
// <= 0) whose At is before before, oldest first, and returns how many it
// deleted.
func (t *Tx) PurgeVerifications(before time.Time, limit int) (int, error) {
	return t.count("purge verifications", purgeVerifications, ms(before), limitArg(limit))
}

// OldPictures returns up to limit pictures (all when limit <= 0) whose
// ReceivedAt is before before, oldest first, ties by (UserID, ParkCode,
// ID).
func (t *Tx) OldPictures(before time.Time, limit int) ([]platform.Picture, error) {
	return getAll(t, scanPicture, oldPictures, ms(before), limitArg(limit))
}

// DeletePicture deletes the metadata of a park's picture id (not its
// blob): ErrNotFound when there is none.
func (t *Tx) DeletePicture(userID, parkCode, id string) error {
	return t.wrap("delete picture", t.execOne(deletePicture, userID, parkCode, id))
}

// PictureHashInUse reports whether any picture cites the blob hash.
func (t *Tx) PictureHashInUse(hash string) (bool, error) {
	_, err := getOne(t, scanInt, pictureHashInUse, hash)
	if platform.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
