package platform

import (
	"encoding/json"
	"time"
)

// Account is a parking system's (or a vendor's) account, created by the
// operator (docs/protocol.md §5), never by the API.
type Account struct {
	UserID string
	// PasswordHash is a bcrypt hash of the login password as it travels:
	// Base64(SM3(plaintext)). The plaintext is never stored.
	PasswordHash []byte
	// CallbackURL is the base URL of the parking system's downlink
	// receiver (docs/protocol.md §8); empty when none.
	CallbackURL string
	// CallbackToken is sent in the authorization header of downlink calls.
	CallbackToken string
	Disabled      bool
	CreatedAt     time.Time
	// Online is the liveness state last recorded for the account, and
	// StateSince when it was entered.
	Online     bool
	StateSince time.Time
	// DataKey is the account's SM4 key for encrypted data (docs/protocol.md §7,
	// header encrypted: 0): 16 bytes, or nil when the account has none and
	// so cannot send encrypted requests. The operator sets it
	// (parkd account set-key).
	DataKey []byte
	// RequireEncryption refuses plaintext requests from the account (code
	// 4 naming `encrypted`), except login and heartBeats. It is only
	// meaningful with a DataKey.
	RequireEncryption bool
	// Role is RolePLMS (a parking system; "" means the same) or
	// RoleOffPeak (a third-party off-peak platform): it decides which
	// interfaces the account may call (docs/offpeak.md).
	Role string
}

// Token is a live or expired accessToken (table 3).
type Token struct {
	Value    string // 32 lowercase hex
	UserID   string
	IssuedAt time.Time
	LastSeen time.Time // issue time or last heartbeat
}

// AccountSettings is what AccountSettings reports of an account: the
// fields of Account that decide how its requests are read and which
// interfaces it may call.
type AccountSettings struct {
	UserID            string
	DataKey           []byte
	RequireEncryption bool
	Role              string
}

// AccountStatus is what UnavailableAccounts reports of an account.
type AccountStatus struct {
	UserID   string
	Disabled bool
	Online   bool
}

// LivenessEvent is one change of online state, of an account or of one of
// its parks (IsvParkID set).
type LivenessEvent struct {
	UserID    string
	IsvParkID string // empty for the account itself
	Online    bool
	At        time.Time
	Cause     string // "login", "heartbeat", "timeout", "disabled"
}

// Park is a park as the platform keeps it: the latest table 6 report (JSON
// bytes of the validated item) under its tenancy key (UserID, ParkCode) and
// its platform id.
type Park struct {
	IsvParkID string // 32 lowercase hex, kept across updates
	UserID    string
	ParkCode  string
	Name      string
	AreaCode  string
	BizStatus int
	// Reservable and ReservableSpaces mirror table 6 for quick checks.
	Reservable       bool
	ReservableSpaces int
	TotalSpaces      int
	Longitude        float64
	Latitude         float64
	Info             json.RawMessage // the normalised protocol.ParkInfo
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Entrance is a table 9 entrance of a park, identified by (IsvParkID, Code).
type Entrance struct {
	ID        string // platform id, 32 lowercase hex, stable across updates
	IsvParkID string
	Code      string // entranceExitCode
	Info      json.RawMessage
	UpdatedAt time.Time
}

// Record is an entry (table 11) or an exit (table 13) as stored.
type Record struct {
	IsvParkID string
	ID        string    // the parking event's id, shared by entry and exit
	PlateNo   string    // normalised
	Time      time.Time // enterTime or leaveTime
	BookCode  string
	// Payload is the normalised protocol item as JSON; comparing payloads
	// tells an identical re-send from a change.
	Payload    json.RawMessage
	ReceivedAt time.Time
	// NoEntry flags an exit stored before (or without) its entry. Only
	// meaningful for exits; it is cleared when the entry arrives.
	NoEntry bool
}

// RecordKind names the two kinds of record.
type RecordKind string

// Record kinds.
const (
	KindEnter RecordKind = "enter"
	KindExit  RecordKind = "exit"
)

// HistoryEntry keeps a replaced version of a record, entrance, park or
// picture ("change history", docs/protocol.md §5 and §6).
type HistoryEntry struct {
	Object    string // "enter", "exit", "park", "entrance", "picture"
	IsvParkID string // empty for pictures of parks not yet reported
	Key       string // the object's id within the park
	Old       json.RawMessage
	ChangedAt time.Time
}

// Picture is a stored picture's metadata; the bytes are in the blob store
// under Hash.
type Picture struct {
	UserID       string
	ParkCode     string
	ID           string // business id cited by records
	Hash         string // hex SHA-256 of the bytes: the blob key
	Size         int
	Kind         string // "jpeg" or "png"
	FileName     string
	ImageBizType int
	PickTime     time.Time
	ReceivedAt   time.Time
}

// Vacancy is a park's live vacancy: the latest table 17 report.
type Vacancy struct {
	IsvParkID string
	Info      json.RawMessage // protocol.ParkSpaceInfo
	// The counts the platform reasons with.
	UsedStalls             int
	UnusedStalls           int
	UnusedReservableStalls int
	At                     time.Time
}

// Warning is a data-quality warning about a park's data: stored data that
// is accepted but suspect (docs/protocol.md §3, §5, §6).
type Warning struct {
	IsvParkID string // empty when the park is not known yet
	UserID    string
	Kind      string // e.g. "plate-format", "vacancy-totals", "small-picture", "exit-without-entry"
	Detail    string
	At        time.Time
}

// Verification is the hourly comparison of a parkCarInfo plate list with
// the open entries (docs/protocol.md §5), kept per park per hour.
type Verification struct {
	IsvParkID string
	Hour      time.Time // the hour the list was received in, truncated
	Plates    int       // plates in the list
	// NoEntry are plates inside with no open entry; Missing are open
	// entries whose plate is absent from the list.
	NoEntry []string
	Missing []string
	// UsedStalls is the last reported usedStalls (-1 when none).
	UsedStalls int
	At         time.Time
	// PlateList is the normalised list as received.
	PlateList []string
}
