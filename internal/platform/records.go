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
