package sqlite

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// BenchmarkIngestStatements measures the statement path of an entry's
// ingest without the commit: b.N times the park's RecordPair read and an
// InsertNewEntry, all in one Update, so the figure is the cost of the
// store's Tx and its prepared statements, not of the sync.
func BenchmarkIngestStatements(b *testing.B) {
	s := benchStore(b)
	err := s.Update(b.Context(), func(tx platform.Tx) error {
		var n int64
		for b.Loop() {
			n++
			id := fmt.Sprintf("%016d", n)
			if _, err := tx.RecordPair("p1", id); err != nil {
				return err
			}
			ok, err := tx.InsertNewEntry(platform.Record{
				IsvParkID: "p1", ID: id, PlateNo: "粤B12345",
				Time:       time.UnixMilli(1700000000000 + n),
				Payload:    json.RawMessage(`{"id":"` + id + `","plateNo":"粤B12345"}`),
				ReceivedAt: time.UnixMilli(1700000000000 + n),
			})
			if err != nil || !ok {
				return fmt.Errorf("entry %d: inserted %v, %v", n, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
