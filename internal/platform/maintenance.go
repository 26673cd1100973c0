package platform

import "time"

// MaintenanceTx is what a transaction can do to run a platform of several
// instances on one database (leases, locks) and to keep it small
// (retention). Every store implements it.
type MaintenanceTx interface {
	// AcquireLease takes or renews the lease name for holder until until:
	// it succeeds when the lease is free, expired at now, or already
	// held by holder, and reports whether holder has it afterwards. Jobs
	// that must run once across instances (the liveness sweep, the
	// reservation dispatcher and expiry sweep, retention) run only while
	// their instance holds the lease.
	AcquireLease(name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease gives a lease up if holder has it.
	ReleaseLease(name, holder string) error
	// Lock serialises the write transactions that lock the same key until
	// this transaction ends: "park:"+isvParkId around a park's waitlist,
	// "plate:"+plateNo around a plate's bookings. A store whose writes are
	// already serial may do nothing.
	Lock(key string) error

	// PurgeVacancySeries, PurgeHistory, PurgeWarnings and
	// PurgeVerifications delete up to limit rows older than before and
	// return how many they deleted.
	PurgeVacancySeries(before time.Time, limit int) (int, error)
	PurgeHistory(before time.Time, limit int) (int, error)
	PurgeWarnings(before time.Time, limit int) (int, error)
	PurgeVerifications(before time.Time, limit int) (int, error)
	// OldPictures returns up to limit pictures received before before,
	// oldest first; DeletePicture removes one; PictureHashInUse reports
	// whether any picture still cites a blob.
	OldPictures(before time.Time, limit int) ([]Picture, error)
	DeletePicture(userID, parkCode, id string) error
	PictureHashInUse(hash string) (bool, error)
}
