package client_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// benchRecords is how many records one iteration queues and waits for.
const benchRecords = 1000

// BenchmarkOutboxThroughput measures records per second from the call that
// queues them to the platform's acknowledgement, into a local parkd over
// plain HTTP, with the outbox's default durability (an fsync before each
// queueing call returns, shared by concurrent callers) and parkd's (synced
// commits). lots=1 is one park whose records are queued one after another;
// lots=100 is 100 parks in one outbox (a vendor's central system), each
// queued by its own goroutine, delivered by the default 4 workers. Each
// iteration queues benchRecords entries and flushes. journal-B/record is
// the growth of the journal per record (its "add" and "done" frames), with
// compaction out of the way.
func BenchmarkOutboxThroughput(b *testing.B) {
	for _, lots := range []int{1, 100} {
		b.Run(fmt.Sprintf("lots=%d", lots), func(b *testing.B) { benchOutbox(b, lots) })
	}
}

func benchOutbox(b *testing.B, lots int) {
	ts := startPlatform(b, true)
	c := newClient(b, ts)
	parks := make([]string, lots)
	infos := make([]protocol.ParkInfo, lots)
	for i := range parks {
		parks[i] = fmt.Sprintf("%032x", 0xbe0000+i)
		infos[i] = parkInfo(parks[i])
	}
	if _, err := c.ParkInfo(b.Context(), infos...); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	o := openOutbox(b, client.OutboxConfig{Dir: dir, Client: c, RotateBytes: 1 << 40})
	at := dt(b, "2024-01-01 07:00:00")
	per := benchRecords / lots

	var journal int64
	iter := 0
	for b.Loop() {
		before := dirBytes(b, dir)
		var wg sync.WaitGroup
		for l, park := range parks {
			wg.Go(func() {
				for k := range per {
					id := eventID(fmt.Sprintf("i%04dl%03d", iter, l), k)
					rec := protocol.EnterRecord{ParkCode: park, ID: id, PlateNo: plateNo(k), EnterTime: at,
						EntryCarPhotoID: photoID, EntranceCode: "GATE01"}
					if err := o.EnterRecord(rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		flush(b, o)
		journal += dirBytes(b, dir) - before
		iter++
	}
	if s := o.Stats(); s.Depth != 0 || s.Rejected != 0 || s.Sent != uint64(iter*per*lots) {
		b.Fatalf("stats %+v after %d records", s, iter*per*lots)
	}
	n := float64(iter * per * lots)
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(journal)/n, "journal-B/record")
	b.ReportMetric(0, "ns/op")
}

// dirBytes returns the size of the outbox's journal.
func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(filepath.Join(dir, "journal"), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
