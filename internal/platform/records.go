package platform

// RecordPair is both halves of one parking event: the entry and the exit
// a park stored under one record id, each only when stored.
type RecordPair struct {
	Enter, Exit       Record
	HasEnter, HasExit bool
}

// RecordPairTx reads an entry and its exit together in one query, where
// Record takes one query per kind. Every store implements it.
type RecordPairTx interface {
	// RecordPair returns the park's entry and exit with id. Finding
	// neither is no error: HasEnter and HasExit are then both false.
	RecordPair(isvParkID, id string) (RecordPair, error)
}

// NewEntryTx stores the common entry, one whose record id the park has
// not used yet, in one statement, where RecordPair and PutRecord take two
// (interface enterRecord, clause 6.4.1). Every store implements it.
type NewEntryTx interface {
	// InsertNewEntry inserts r as an entry when the park has neither an
	// entry nor an exit with r's id, and reports whether it did. When it
	// did not, it wrote nothing.
	InsertNewEntry(r Record) (bool, error)
}
