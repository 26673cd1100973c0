package client

import (
	"encoding/json"
	"slices"

	"github.com/parkd/parkd/protocol"
)

// A park's queue is drained in requests of one interface each, across the
// kinds interleaved in it, so that a lot's natural stream (picture, entry,
// vacancy, exit, ...) replays in a few requests per interface instead of
// one per run of a kind. Reordering is allowed only where the platform
// cannot tell:
//   - items of one interface keep their order (the latest vacancy wins);
//   - a picture goes before any record that cites it (pictures depend on
//     nothing, so they go first);
//   - an entry and an exit of the same record id keep their order;
//   - park and gate reports (and any interface not listed in reorderable)
//     are barriers: nothing moves across them.

// reorderable lists the interfaces whose items may be sent ahead of, or
// after, earlier items of other interfaces (subject to the citations
// above).
var reorderable = map[protocol.Interface]bool{
	protocol.PictureCode:              true,
	protocol.EnterRecordCode:          true,
	protocol.ExitRecordCode:           true,
	protocol.ParkSpaceInfoCode:        true,
	protocol.ParkCarInfoCode:          true,
	protocol.OffPeakPackageStatusCode: true,
}

// scanWindow bounds how far into a park's queue a batch is looked for,
// so that picking stays cheap with a long backlog.
func (o *Outbox) scanWindow() int { return max(1024, 16*o.cfg.MaxBatch) }

// refsOf returns what ordering depends on in an item: for a record, its
// id and the picture it cites; for a picture, its id.
func refsOf(kind protocol.Interface, raw json.RawMessage) (id, cites string) {
	var v struct {
		ID    string `json:"id"`
		Enter string `json:"entryCarPhotoId"`
		Exit  string `json:"exitCarPhotoId"`
	}
	switch kind {
	case protocol.EnterRecordCode, protocol.ExitRecordCode, protocol.PictureCode:
		if json.Unmarshal(raw, &v) != nil {
			return "", ""
		}
	}
	switch kind {
	case protocol.EnterRecordCode:
		return v.ID, v.Enter
	case protocol.ExitRecordCode:
		return v.ID, v.Exit
	case protocol.PictureCode:
		return v.ID, ""
	}
	return "", ""
}

// nextBatch returns the items of pq's next request, in queue order: the
// first picture not behind a barrier, alone; otherwise the head item and
// the following items of its interface that no skipped item holds back,
// up to MaxBatch. Items being isolated after a rejection go one at a
// time, head first.
func (o *Outbox) nextBatch(pq *parkQueue) []*entry {
	head := pq.items[0]
	if head.seq <= pq.singleUntil {
		return pq.items[:1:1]
	}
	window := pq.items[:min(len(pq.items), o.scanWindow())]
	if p := firstPicture(window); p != nil {
		return []*entry{p}
	}
	if !reorderable[head.kind] {
		return o.sameKindRun(pq.items)
	}
	batch := []*entry{head}
	var held blockers
	for _, e := range window[1:] {
		if len(batch) == o.cfg.MaxBatch {
			break
		}
		if e.kind != head.kind {
			if !held.add(e) {
				break // a barrier: nothing after it may go ahead of it
			}
			continue
		}
		if held.holds(e) {
			break // and so the rest of this interface, to keep its order
		}
		batch = append(batch, e)
	}
	return batch
}

// sameKindRun returns the run of items of the head's interface at the head
// of items, up to MaxBatch.
func (o *Outbox) sameKindRun(items []*entry) []*entry {
	n := 1
	for n < len(items) && n < o.cfg.MaxBatch && items[n].kind == items[0].kind {
		n++
	}
	return items[:n:n]
}

// firstPicture returns the first picture in items that no barrier
// precedes.
func firstPicture(items []*entry) *entry {
	for _, e := range items {
		if e.kind == protocol.PictureCode {
			return e
		}
		if !reorderable[e.kind] {
			return nil
		}
	}
	return nil
}

// blockers is what the items skipped so far hold back: records citing a
// skipped picture, and records sharing an id with a skipped record.
type blockers struct {
	pictures map[string]bool
	records  map[string]bool
}

// add notes a skipped item; it reports false for a barrier.
func (b *blockers) add(e *entry) bool {
	if !reorderable[e.kind] {
		return false
	}
	switch e.kind {
	case protocol.PictureCode:
		b.pictures = setAdd(b.pictures, e.ref)
	case protocol.EnterRecordCode, protocol.ExitRecordCode:
		b.records = setAdd(b.records, e.ref)
	}
	return true
}

// holds reports whether e must wait for a skipped item.
func (b *blockers) holds(e *entry) bool {
	switch e.kind {
	case protocol.EnterRecordCode, protocol.ExitRecordCode:
		return b.records[e.ref] || (e.cites != "" && b.pictures[e.cites])
	}
	return false
}

func setAdd(m map[string]bool, k string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[k] = true
	return m
}

// removeBatch drops batch's items, which are in queue order, from pq.
func removeBatch(pq *parkQueue, batch []*entry) {
	if len(batch) > 0 && len(pq.items) >= len(batch) && pq.items[len(batch)-1] == batch[len(batch)-1] && pq.items[0] == batch[0] {
		pq.items = pq.items[len(batch):] // a prefix: the common case without a backlog
		return
	}
	gone := make(map[*entry]bool, len(batch))
	for _, e := range batch {
		gone[e] = true
	}
	pq.items = slices.DeleteFunc(pq.items, func(e *entry) bool { return gone[e] })
}
