package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/parkd/parkd/protocol"
)

// worker delivers batches until ctx ends.
func (o *Outbox) worker(ctx context.Context) {
	defer o.wg.Done()
	for {
		o.mu.Lock()
		pq, batch, wait := o.pickLocked()
		wake := o.wake
		closed := o.closed
		o.mu.Unlock()
		if closed {
			return
		}
		if batch == nil {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-wake:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		err := o.send(ctx, batch)
		o.settle(pq, batch, err)
	}
}

// pickLocked takes the head batch of a park that is idle and not backing
// off; when there is none it returns how long to wait.
func (o *Outbox) pickLocked() (*parkQueue, []*entry, time.Duration) {
	now := o.cfg.Now()
	wait := time.Minute
	for _, pq := range o.parks {
		if pq.busy || len(pq.items) == 0 {
			continue
		}
		if d := pq.retryAt.Sub(now); d > 0 {
			wait = min(wait, d)
			continue
		}
		pq.busy = true
		o.requests++
		return pq, o.nextBatch(pq), 0
	}
	return nil, nil, wait
}

// send delivers one batch.
func (o *Outbox) send(ctx context.Context, batch []*entry) error {
	c := o.cfg.Client
	kind := batch[0].kind
	if kind == protocol.PictureCode {
		return o.sendPicture(ctx, batch[0])
	}
	items := make([]json.RawMessage, len(batch))
	for i, e := range batch {
		items[i] = e.item
	}
	return c.call(ctx, kind, items, nil)
}

func (o *Outbox) sendPicture(ctx context.Context, e *entry) error {
	var it photoItem
	if err := json.Unmarshal(e.item, &it); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(o.cfg.Dir, "pictures", it.Blob))
	if err != nil {
		return err
	}
	_, err = o.cfg.Client.Picture(ctx, Photo{ParkCode: it.ParkCode, ID: it.ID, FileName: it.FileName,
		ImageBizType: protocol.ImageBizType(it.ImageBizType), PickTime: time.UnixMilli(it.PickTime), Data: data})
	return err
}

// settle records the outcome of a batch: acknowledged items leave the
// journal, a rejected single item is set aside, a rejected batch is
// retried one item at a time, anything else backs off.
func (o *Outbox) settle(pq *parkQueue, batch []*entry, err error) {
	switch {
	case err == nil:
		o.finish(pq, batch, nil)
	case isDataRejection(err) && len(batch) == 1:
		o.finish(pq, batch, err)
	case isDataRejection(err) || CodeOf(err) == protocol.CodeFormat && len(batch) > 1:
		o.mu.Lock()
		pq.singleUntil = batch[len(batch)-1].seq
		pq.busy = false
		o.notifyLocked()
		o.mu.Unlock()
	default:
		o.backOff(pq, err)
	}
}

// finish removes delivered (or, with reason, rejected) items.
func (o *Outbox) finish(pq *parkQueue, batch []*entry, reason error) {
	if reason != nil {
		if err := o.setAside(batch[0], reason); err != nil {
			o.backOff(pq, err)
			return
		}
	}
	done := make([]journalEntry, len(batch))
	for i, e := range batch {
		done[i] = journalEntry{Op: "done", Seq: e.seq}
	}
	o.rot.RLock()
	if err := o.j.append(done...); err != nil {
		o.rot.RUnlock()
		o.backOff(pq, err)
		return
	}
	for _, e := range batch {
		if e.kind == protocol.PictureCode && reason == nil { // a set-aside picture keeps its file for RetryRejected
			o.removePicture(e)
		}
	}
	o.mu.Lock()
	removeBatch(pq, batch)
	pq.busy, pq.failures = false, 0
	o.pending -= len(batch)
	for _, e := range batch {
		o.live -= e.cost()
	}
	if reason == nil {
		o.sent += uint64(len(batch))
	}
	rotate := o.needsCompactionLocked()
	o.notifyLocked()
	o.mu.Unlock()
	o.rot.RUnlock()
	if rotate {
		o.compact()
	}
}

// needsCompactionLocked reports whether the journal is over RotateBytes
// and mostly entries no longer needed: requiring at least half of it to be
// dead keeps a large backlog from being rewritten after every batch.
func (o *Outbox) needsCompactionLocked() bool {
	n := o.j.bytes()
	return n > o.cfg.RotateBytes && n > 2*o.live
}

// compact rewrites the journal with only the queued items.
func (o *Outbox) compact() {
	o.rot.Lock()
	defer o.rot.Unlock()
	o.mu.Lock()
	if !o.needsCompactionLocked() { // another worker compacted first
		o.mu.Unlock()
		return
	}
	live := o.liveEntriesLocked()
	o.mu.Unlock()
	if err := o.j.rotate(live); err != nil {
		o.cfg.Log.Error("outbox: compacting the journal", "err", err)
	}
}

func (o *Outbox) removePicture(e *entry) {
	var it photoItem
	if json.Unmarshal(e.item, &it) == nil && it.Blob != "" {
		os.Remove(filepath.Join(o.cfg.Dir, "pictures", it.Blob))
	}
}

// liveEntriesLocked returns an "add" entry for every queued item, in
// sequence order.
func (o *Outbox) liveEntriesLocked() []journalEntry {
	var all []*entry
	for _, pq := range o.parks {
		all = append(all, pq.items...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]journalEntry, len(all))
	for i, e := range all {
		out[i] = journalEntry{Op: "add", Seq: e.seq, Kind: string(e.kind), Park: e.park, At: e.at.UnixMilli(), Item: e.item}
	}
	return out
}

// backOff delays pq's next request: as long as the platform asked (HTTP
// 429 or code 3 with Retry-After), plus up to a tenth more to spread the
// lots that were refused together; otherwise exponentially, jittered.
func (o *Outbox) backOff(pq *parkQueue, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries++
	var d time.Duration
	if ra := RetryAfterOf(err); ra > 0 {
		o.throttle++
		d = ra + time.Duration(rand.Int64N(int64(ra/10)+1))
	} else {
		pq.failures++
		d = o.cfg.MinBackoff << min(pq.failures-1, 16)
		if d > o.cfg.MaxBackoff || d <= 0 {
			d = o.cfg.MaxBackoff
		}
		d = jitter(d)
	}
	pq.retryAt = o.cfg.Now().Add(d)
	pq.busy = false
	o.notifyLocked()
	if !errors.Is(err, context.Canceled) {
		o.cfg.Log.Warn("outbox: delivery failed, will retry", "err", err, "failures", pq.failures)
	}
}

// setAside appends a rejection to rejected.jsonl (synced) and keeps it.
func (o *Outbox) setAside(e *entry, reason error) error {
	var ce *Error
	errors.As(reason, &ce)
	r := Rejection{Seq: e.seq, Kind: e.kind, ParkCode: e.park, Item: e.item, Code: ce.Code, Message: ce.Message, At: o.cfg.Now()}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	o.rmu.Lock()
	defer o.rmu.Unlock()
	f, err := os.OpenFile(filepath.Join(o.cfg.Dir, rejectedFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil && !o.cfg.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.rejected = append(o.rejected, r)
	o.mu.Unlock()
	o.cfg.Log.Warn("outbox: item rejected and set aside", "kind", e.kind, "park", e.park, "code", int(ce.Code), "message", ce.Message)
	return nil
}

// RetryRejected queues every set-aside item again (after the data or the
// platform was corrected) and clears the set-aside list.
func (o *Outbox) RetryRejected() error {
	// Holding rmu makes an item that is refused again while this runs
	// wait to be written until the file has been rewritten.
	o.rmu.Lock()
	defer o.rmu.Unlock()
	o.mu.Lock()
	rej := o.rejected
	o.mu.Unlock()
	for _, r := range rej {
		if err := o.add(r.Kind, r.ParkCode, r.Item); err != nil {
			return err
		}
	}
	o.mu.Lock()
	o.rejected = o.rejected[len(rej):]
	rest := append([]Rejection(nil), o.rejected...)
	o.mu.Unlock()
	return writeRejections(filepath.Join(o.cfg.Dir, rejectedFile), rest)
}

func readRejections(path string) ([]Rejection, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Rejection
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var r Rejection
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

func writeRejections(path string, rs []Rejection) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, r := range rs {
		b, _ := json.Marshal(r)
		w.Write(append(b, '\n'))
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func sortedEntries(m map[uint64]*entry) []*entry {
	out := make([]*entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}
