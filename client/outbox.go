package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/protocol"
)

// OutboxConfig configures an Outbox.
type OutboxConfig struct {
	// Dir holds the journal, picture files waiting to be sent and the
	// set-aside rejections. One outbox per directory.
	Dir    string
	Client *Client
	// Workers is how many requests may be in flight at once, each for a
	// different park (default 4).
	Workers int
	// MaxBatch bounds the items of one request (default 50).
	MaxBatch int
	// MinBackoff and MaxBackoff bound the retry delay after a failure
	// (defaults 500 ms and 1 min); each delay is jittered.
	MinBackoff, MaxBackoff time.Duration
	// NoSync skips fsync: records then survive a crash of the process but
	// not a power loss. The default syncs, sharing one fsync among
	// concurrent callers.
	NoSync bool
	// RotateBytes is the journal size over which it is compacted
	// (default 16 MiB), once at least half of it is no longer needed.
	RotateBytes int64
	Now         func() time.Time
	Log         *slog.Logger
}

// Outbox delivers records to the platform exactly as handed over, in order
// per park, through outages and crashes: each item is written to a local
// journal before the first attempt and removed only when the platform
// acknowledges it. Re-delivery after a crash is safe because the platform
// treats ids idempotently. Items the platform rejects for their content (a
// 1xxx code) are set aside with the reason, never retried forever and
// never dropped silently; see Rejected and RetryRejected.
type Outbox struct {
	cfg OutboxConfig
	j   *journal
	// rot orders journal writes around compaction: an append and the
	// queue change it stands for happen under rot.RLock, a compaction
	// (snapshot of the queue, then rewrite) under rot.Lock, so that no
	// entry is lost from, or resurrected in, the rewritten journal.
	rot sync.RWMutex
	// rmu serialises the set-aside list's file, rejected.jsonl.
	rmu sync.Mutex

	mu       sync.Mutex
	parks    map[string]*parkQueue
	pending  int
	live     int64 // approximate journal bytes of the queued items
	nextSeq  uint64
	sent     uint64
	requests uint64
	retries  uint64
	throttle uint64
	rejected []Rejection
	wake     chan struct{}
	closed   bool

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// entry is one queued item.
type entry struct {
	seq  uint64
	kind protocol.Interface
	park string
	at   time.Time
	item json.RawMessage
	// ref is a record's or a picture's id, cites the picture a record
	// cites: what the order of a park's requests depends on.
	ref, cites string
}

// newEntry returns a queued item.
func newEntry(seq uint64, kind protocol.Interface, park string, at time.Time, item json.RawMessage) *entry {
	e := &entry{seq: seq, kind: kind, park: park, at: at, item: item}
	e.ref, e.cites = refsOf(kind, item)
	return e
}

// cost approximates the journal bytes of e's "add" frame.
func (e *entry) cost() int64 { return int64(len(e.item)) + 128 }

type parkQueue struct {
	items       []*entry
	busy        bool
	retryAt     time.Time
	failures    int
	singleUntil uint64 // send one item at a time up to this seq, to isolate a rejected one
}

// Rejection is an item the platform refused for its content.
type Rejection struct {
	Seq      uint64             `json:"seq"`
	Kind     protocol.Interface `json:"kind"`
	ParkCode string             `json:"parkCode"`
	Item     json.RawMessage    `json:"item"`
	Code     protocol.Code      `json:"code"`
	Message  string             `json:"message"`
	At       time.Time          `json:"at"`
}

// Stats describes the queue.
type Stats struct {
	Depth        int           // items waiting for acknowledgement
	OldestAge    time.Duration // age of the oldest waiting item
	Sent         uint64        // items acknowledged since open
	Rejected     int           // items set aside
	JournalBytes int64         // size of the active journal segment
	Requests     uint64        // requests sent since open, answered or not
	Retries      uint64        // requests that failed and will be sent again
	Throttled    uint64        // of those, refused for load (HTTP 429 or a Retry-After)
}

const rejectedFile = "rejected.jsonl"

// OpenOutbox opens (or creates) the outbox in cfg.Dir, replays its journal
// and starts delivering.
func OpenOutbox(cfg OutboxConfig) (*Outbox, error) {
	if cfg.Client == nil || cfg.Dir == "" {
		return nil, errors.New("outbox: Client and Dir are required")
	}
	setOutboxDefaults(&cfg)
	o := &Outbox{cfg: cfg, parks: map[string]*parkQueue{}, wake: make(chan struct{}), nextSeq: 1}
	live := map[uint64]*entry{}
	j, err := openJournal(filepath.Join(cfg.Dir, "journal"), !cfg.NoSync, func(e journalEntry) {
		o.nextSeq = max(o.nextSeq, e.Seq+1)
		switch e.Op {
		case "add":
			live[e.Seq] = newEntry(e.Seq, protocol.Interface(e.Kind), e.Park, time.UnixMilli(e.At), e.Item)
		case "done":
			delete(live, e.Seq)
		}
	})
	if err != nil {
		return nil, err
	}
	o.j = j
	if o.rejected, err = readRejections(filepath.Join(cfg.Dir, rejectedFile)); err != nil {
		j.close()
		return nil, err
	}
	for _, e := range sortedEntries(live) {
		o.enqueueLocked(e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	for range cfg.Workers {
		o.wg.Add(1)
		go o.worker(ctx)
	}
	return o, nil
}

func setOutboxDefaults(cfg *OutboxConfig) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 50
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.RotateBytes <= 0 {
		cfg.RotateBytes = 16 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
}

// ParkInfo queues park reports (table 6).
func (o *Outbox) ParkInfo(items ...protocol.ParkInfo) error {
	return addAll(o, protocol.ParkInfoCode, items, func(v protocol.ParkInfo) string { return v.ParkCode })
}

// EntranceExitInfo queues entrance reports (table 9).
func (o *Outbox) EntranceExitInfo(items ...protocol.EntranceExitInfo) error {
	return addAll(o, protocol.EntranceExitCode, items, func(v protocol.EntranceExitInfo) string { return v.ParkCode })
}

// EnterRecord queues vehicle entries (table 11).
func (o *Outbox) EnterRecord(items ...protocol.EnterRecord) error {
	return addAll(o, protocol.EnterRecordCode, items, func(v protocol.EnterRecord) string { return v.ParkCode })
}

// ExitRecord queues vehicle exits (table 13).
func (o *Outbox) ExitRecord(items ...protocol.ExitRecord) error {
	return addAll(o, protocol.ExitRecordCode, items, func(v protocol.ExitRecord) string { return v.ParkCode })
}

// ParkSpaceInfo queues vacancy reports (table 17).
func (o *Outbox) ParkSpaceInfo(items ...protocol.ParkSpaceInfo) error {
	return addAll(o, protocol.ParkSpaceInfoCode, items, func(v protocol.ParkSpaceInfo) string { return v.ParkCode })
}

// ParkCarInfo queues plate lists (table 23).
func (o *Outbox) ParkCarInfo(items ...protocol.ParkCarInfo) error {
	return addAll(o, protocol.ParkCarInfoCode, items, func(v protocol.ParkCarInfo) string { return v.ParkCode })
}

// photoItem is a queued picture: its metadata and the file holding it.
type photoItem struct {
	ParkCode     string `json:"parkCode"`
	ID           string `json:"id"`
	FileName     string `json:"fileName"`
	ImageBizType int    `json:"imageBizType"`
	PickTime     int64  `json:"pickTime"`
	Blob         string `json:"blob"`
}

// Picture queues a picture (table 15). Its bytes are written to a file in
// the outbox directory and synced before the journal entry.
func (o *Outbox) Picture(p Photo) error {
	dir := filepath.Join(o.cfg.Dir, "pictures")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "pic-*.bin")
	if err != nil {
		return err
	}
	_, err = f.Write(p.Data)
	if err == nil && !o.cfg.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	item := photoItem{ParkCode: p.ParkCode, ID: p.ID, FileName: p.FileName, ImageBizType: int(p.ImageBizType),
		PickTime: protocol.Millis(p.PickTime), Blob: filepath.Base(f.Name())}
	if err := o.add(protocol.PictureCode, p.ParkCode, item); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

func addAll[T any](o *Outbox, kind protocol.Interface, items []T, park func(T) string) error {
	for _, it := range items {
		if v, ok := any(it).(protocol.Item); ok {
			if err := v.Validate(); err != nil {
				return err
			}
		}
		if err := o.add(kind, park(it), it); err != nil {
			return err
		}
	}
	return nil
}

// add journals one item and queues it.
func (o *Outbox) add(kind protocol.Interface, park string, item any) error {
	raw, err := json.Marshal(item)
	if err != nil {
		return err
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errors.New("outbox: closed")
	}
	e := newEntry(o.nextSeq, kind, park, o.cfg.Now(), raw)
	o.nextSeq++
	o.mu.Unlock()
	je := journalEntry{Op: "add", Seq: e.seq, Kind: string(kind), Park: park, At: e.at.UnixMilli(), Item: raw}
	o.rot.RLock()
	defer o.rot.RUnlock()
	if err := o.j.append(je); err != nil {
		return fmt.Errorf("outbox: journal: %w", err)
	}
	o.mu.Lock()
	o.enqueueLocked(e)
	o.mu.Unlock()
	return nil
}

func (o *Outbox) enqueueLocked(e *entry) {
	pq := o.parks[e.park]
	if pq == nil {
		pq = &parkQueue{}
		o.parks[e.park] = pq
	}
	pq.items = append(pq.items, e)
	o.pending++
	o.live += e.cost()
	o.notifyLocked()
}

// notifyLocked wakes every waiting worker and Flush.
func (o *Outbox) notifyLocked() {
	close(o.wake)
	o.wake = make(chan struct{})
}

// Stats returns the queue's state.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := Stats{Depth: o.pending, Sent: o.sent, Rejected: len(o.rejected), JournalBytes: o.j.bytes(),
		Requests: o.requests, Retries: o.retries, Throttled: o.throttle}
	var oldest time.Time
	for _, pq := range o.parks {
		if len(pq.items) > 0 && (oldest.IsZero() || pq.items[0].at.Before(oldest)) {
			oldest = pq.items[0].at
		}
	}
	if !oldest.IsZero() {
		s.OldestAge = o.cfg.Now().Sub(oldest)
	}
	return s
}

// Rejected returns the items set aside, oldest first.
func (o *Outbox) Rejected() []Rejection {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Rejection(nil), o.rejected...)
}

// Flush waits until every queued item is acknowledged or set aside, or
// ctx ends.
func (o *Outbox) Flush(ctx context.Context) error {
	for {
		o.mu.Lock()
		if o.pending == 0 {
			o.mu.Unlock()
			return nil
		}
		wake := o.wake
		o.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops delivery (an item in flight stays queued and is sent again
// after the next open) and closes the journal.
func (o *Outbox) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	o.notifyLocked()
	o.mu.Unlock()
	o.cancel()
	o.wg.Wait()
	return o.j.close()
}

func isTransportError(err error) bool {
	var e *Error
	return !errors.As(err, &e)
}

// isDataRejection reports whether the platform refused the content of the
// request: a 1xxx code, or 2/4 naming something under data.
func isDataRejection(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Code.IsDataError() {
		return true
	}
	return (e.Code == protocol.CodeParam || e.Code == protocol.CodeFormat) && strings.Contains(e.Message, "data")
}

func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
