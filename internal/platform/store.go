package platform

import (
	"context"
	"time"
)

// Store is the platform's storage. Writes go through Update, which may
// group the transactions of concurrent callers into one commit (group
// commit) but keeps each one atomic: when fn returns an error, nothing it
// wrote is kept and the others are unaffected. Update returns only after
// the commit that holds fn's writes is durable.
type Store interface {
	// Update runs fn in a read-write transaction. fn must not retain tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close flushes pending writes and releases the store.
	Close() error
}

// Tx is what a transaction can do. Getters return ErrNotFound when nothing
// matches. Writers in a View transaction fail, and so does any use of a Tx
// after its fn returned. Rules every store enforces (internal/testkit/storetest):
//   - Tokens, parks, pictures and liveness events need their account;
//     entrances, records, vacancy, verifications and reservations need
//     their park: a write that breaks this fails with KindInvalid.
//     Warnings and history may name no park; reservation events and
//     dispatches need no stored reservation.
//   - A park keeps its IsvParkID: PutPark with another id for the same
//     (UserID, ParkCode), or an id of another park, fails with KindConflict.
//   - A limit of 0 or less means all. LivenessHistory returns the latest
//     events oldest first; Warnings newest first.
//   - Times round-trip to the millisecond; JSON documents byte for byte.
type Tx interface {
	// Accounts.
	Account(userID string) (Account, error)
	PutAccount(a Account) error // insert or replace by UserID
	Accounts() ([]Account, error)
	// UnavailableAccounts returns the accounts that are disabled or
	// recorded offline, by user id: the cheap shared check that keeps a
	// cached token honest and tells a heartbeat whether it changes the
	// account's state.
	UnavailableAccounts() ([]AccountStatus, error)
	// AccountSettings returns the accounts whose encryption settings or
	// role differ from the defaults (a data key, the requirement to
	// encrypt, a role other than RolePLMS), by user id: the cheap shared
	// read from which every request's account settings are taken.
	AccountSettings() ([]AccountSettings, error)
	// SetAccountState records a change of online state: it updates the
	// account's Online/StateSince and appends e to the history.
	SetAccountState(e LivenessEvent) error
	// AddLivenessEvent appends e (used for the parks of an account).
	AddLivenessEvent(e LivenessEvent) error
	LivenessHistory(userID string, limit int) ([]LivenessEvent, error)

	// Tokens.
	PutToken(t Token) error
	Token(value string) (Token, error)
	TouchToken(value string, at time.Time) error
	// LastSeen returns the latest LastSeen of the account's tokens (zero
	// when it has none).
	LastSeen(userID string) (time.Time, error)
	// DeleteTokensBefore removes tokens last seen before t.
	DeleteTokensBefore(t time.Time) (int, error)
	// DeleteAccountTokens removes every token of the account (disabling
	// it ends them for good) and returns how many there were.
	DeleteAccountTokens(userID string) (int, error)

	// Parks.
	Park(userID, parkCode string) (Park, error)
	ParkByID(isvParkID string) (Park, error)
	PutPark(p Park) error // insert or replace by (UserID, ParkCode)
	ParksOf(userID string) ([]Park, error)
	// OnlineCounts returns how many accounts are online and how many
	// parks those accounts have, in one query (the /metrics gauges).
	OnlineCounts() (accounts, parks int, err error)

	// Entrances.
	Entrance(isvParkID, code string) (Entrance, error)
	PutEntrance(e Entrance) error // insert or replace by (IsvParkID, Code)
	Entrances(isvParkID string) ([]Entrance, error)

	// Records.
	Record(kind RecordKind, isvParkID, id string) (Record, error)
	PutRecord(kind RecordKind, r Record) error // insert or replace by (IsvParkID, ID)
	// OpenEntries returns the park's entries that have no exit.
	OpenEntries(isvParkID string) ([]Record, error)
	// ExitsWithoutEntry returns the park's exits flagged NoEntry whose
	// Time lies in [from, to).
	ExitsWithoutEntry(isvParkID string, from, to time.Time) ([]Record, error)
	AddHistory(h HistoryEntry) error
	History(object, isvParkID, key string) ([]HistoryEntry, error)
	// An entry and its exit in one read; a new entry in one write.
	RecordPairTx
	NewEntryTx

	// Pictures.
	Picture(userID, parkCode, id string) (Picture, error)
	PutPicture(p Picture) error // insert or replace by (UserID, ParkCode, ID)

	// Vacancy: PutVacancy replaces the live value and appends to the series.
	PutVacancy(v Vacancy) error
	Vacancy(isvParkID string) (Vacancy, error)
	VacancySeries(isvParkID string, from, to time.Time) ([]Vacancy, error)

	// Data quality and verification.
	AddWarning(w Warning) error
	Warnings(isvParkID string, limit int) ([]Warning, error)
	PutVerification(v Verification) error // insert or replace by (IsvParkID, Hour)
	Verifications(isvParkID string, from, to time.Time) ([]Verification, error)

	// Reservations, the downlink queue, booking API keys and the blacklist.
	ReservationTx
	// Leases, locks and retention.
	MaintenanceTx
	// Login lock-out counts.
	LoginTx
	// Liveness sweep.
	LivenessTx
	// Whole-city listings and aggregates.
	ReadTx
	// Operators of the console and their sessions.
	OperatorTx
	// The audit log.
	AuditTx
	// Off-peak packages and orders.
	OffPeakTx
}
