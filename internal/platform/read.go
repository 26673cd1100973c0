package platform

import "time"

// HourCount is the number of entries and exits of one park in one hour
// (statistics: turnover by district and hour).
type HourCount struct {
	IsvParkID string
	Hour      time.Time // truncated to the hour (UTC instant)
	Entries   int
	Exits     int
}

// VacancyHour summarises the vacancy reports of one park in one hour
// (statistics: occupancy by district and hour, a day's peak).
type VacancyHour struct {
	IsvParkID string
	Hour      time.Time // truncated to the hour (UTC instant)
	Samples   int       // reports in the hour
	AvgUsed   float64   // mean of UsedStalls
	MaxUsed   int       // largest UsedStalls
	MinUnused int       // smallest UnusedStalls
}

// ReservationFilter selects reservations for the console. Zero fields
// match everything.
type ReservationFilter struct {
	IsvParkID string
	State     ReservationState
	Plate     string    // normalised plate
	From, To  time.Time // CreatedAt in [From, To) when set
	Limit     int       // 0 or less: all
}

// ReadTx is the read side that the public API, the operator console and
// the statistics need: whole-city listings and aggregates. Lists are
// ordered as stated, ties broken by the key named, so every store returns
// the same order. A limit of 0 or less means all.
type ReadTx interface {
	// AllParks returns every park of every account, by IsvParkID.
	AllParks() ([]Park, error)
	// LiveVacancies returns the live vacancy of every park that has
	// one, by IsvParkID.
	LiveVacancies() ([]Vacancy, error)
	// ParksChangedSince returns the parks whose UpdatedAt is t or later,
	// by IsvParkID.
	ParksChangedSince(t time.Time) ([]Park, error)
	// VacanciesSince returns the live vacancies whose At is t or later,
	// by IsvParkID.
	VacanciesSince(t time.Time) ([]Vacancy, error)
	// RecentRecords returns the park's latest records of kind, newest
	// Time first, then ID descending.
	RecentRecords(kind RecordKind, isvParkID string, limit int) ([]Record, error)
	// RecordCounts counts entries (by enter Time) and exits (by leave
	// Time) per park and hour for times in [from, to), by Hour then
	// IsvParkID. Parks and hours with neither are left out.
	RecordCounts(from, to time.Time) ([]HourCount, error)
	// VacancyHours summarises the vacancy series per park and hour for
	// reports with At in [from, to), by Hour then IsvParkID.
	VacancyHours(from, to time.Time) ([]VacancyHour, error)
	// ParkLiveness returns the park's latest online/offline events
	// (LivenessEvent with this IsvParkID), oldest first.
	ParkLiveness(isvParkID string, limit int) ([]LivenessEvent, error)
	// Reservations returns the orders that match f, newest CreatedAt
	// first, then BookCode.
	Reservations(f ReservationFilter) ([]Reservation, error)
}

// Reader returns the read side of tx: tx itself, since Tx embeds ReadTx.
func Reader(tx Tx) ReadTx { return tx }
