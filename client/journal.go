package client

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// journal is the outbox's append-only log: segments named
// journal-NNNNNNNNNNNNNNNN.log holding frames of [length uint32][CRC-32C
// uint32][JSON entry]. A torn frame at the end of the last segment (a crash
// mid-write) is cut off on open. Appends are made durable by group fsync:
// concurrent appenders share one Sync.
type journal struct {
	dir  string
	sync bool

	mu      sync.Mutex
	f       *os.File
	seg     uint64 // number of the active segment
	size    int64  // bytes in the active segment
	written uint64 // bytes appended since open, across segments

	smu    sync.Mutex
	synced uint64
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// journalEntry is one frame's content.
type journalEntry struct {
	Op   string          `json:"op"` // "add", "done", "reject"
	Seq  uint64          `json:"seq"`
	Kind string          `json:"kind,omitempty"` // interface code, for "add"
	Park string          `json:"park,omitempty"`
	At   int64           `json:"at,omitempty"` // ms, when it was added
	Item json.RawMessage `json:"item,omitempty"`
	Code int             `json:"code,omitempty"` // for "reject"
	Msg  string          `json:"msg,omitempty"`
}

func segName(n uint64) string { return fmt.Sprintf("journal-%016d.log", n) }

// segments lists the segment numbers in dir, ascending.
func segments(dir string) ([]uint64, error) {
	names, err := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, n := range names {
		var k uint64
		if _, err := fmt.Sscanf(filepath.Base(n), "journal-%016d.log", &k); err == nil {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// openJournal replays every segment into apply, cuts a torn tail, and
// opens the last segment for appending.
func openJournal(dir string, syncWrites bool, apply func(journalEntry)) (*journal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	segs, err := segments(dir)
	if err != nil {
		return nil, err
	}
	j := &journal{dir: dir, sync: syncWrites}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t) // an interrupted compaction; the old segments are intact
		}
	}
	if len(segs) == 0 {
		segs = []uint64{1}
	}
	for i, s := range segs {
		good, err := replay(filepath.Join(dir, segName(s)), apply)
		if err != nil {
			return nil, err
		}
		if i == len(segs)-1 {
			j.seg, j.size = s, good
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, segName(j.seg)), os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(j.size); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(j.size, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	j.f = f
	return j, nil
}

// replay applies the intact frames of one segment and returns the length
// of its intact prefix.
func replay(path string, apply func(journalEntry)) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	var good int64
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return good, nil
		}
		n, sum := binary.LittleEndian.Uint32(head[:4]), binary.LittleEndian.Uint32(head[4:])
		if n > 64<<20 {
			return good, nil
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil || crc32.Checksum(buf, crcTable) != sum {
			return good, nil
		}
		var e journalEntry
		if err := json.Unmarshal(buf, &e); err != nil {
			return good, nil
		}
		apply(e)
		good += int64(8 + n)
	}
}

func frame(e journalEntry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8+len(b))
	binary.LittleEndian.PutUint32(out[:4], uint32(len(b)))
	binary.LittleEndian.PutUint32(out[4:8], crc32.Checksum(b, crcTable))
	copy(out[8:], b)
	return out, nil
}

// append writes entries and, when the journal syncs, returns after they
// are on disk.
func (j *journal) append(entries ...journalEntry) error {
	var buf []byte
	for _, e := range entries {
		fr, err := frame(e)
		if err != nil {
			return err
		}
		buf = append(buf, fr...)
	}
	j.mu.Lock()
	if j.f == nil {
		j.mu.Unlock()
		return errors.New("outbox: journal closed")
	}
	_, err := j.f.Write(buf)
	j.size += int64(len(buf))
	j.written += uint64(len(buf))
	pos := j.written
	j.mu.Unlock()
	if err != nil || !j.sync {
		return err
	}
	return j.syncTo(pos)
}

// syncTo makes every byte up to pos durable, sharing one fsync among the
// appenders waiting at the same time.
func (j *journal) syncTo(pos uint64) error {
	j.smu.Lock()
	defer j.smu.Unlock()
	if j.synced >= pos {
		return nil
	}
	j.mu.Lock()
	f, target := j.f, j.written
	j.mu.Unlock()
	if f == nil {
		return errors.New("outbox: journal closed")
	}
	if err := f.Sync(); err != nil {
		return err
	}
	j.synced = target
	return nil
}

// rotate starts a new segment holding live (the entries still needed),
// then deletes the older segments.
func (j *journal) rotate(live []journalEntry) error {
	j.smu.Lock()
	defer j.smu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	next := j.seg + 1
	path := filepath.Join(j.dir, segName(next))
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var size int64
	for _, e := range live {
		fr, err := frame(e)
		if err == nil {
			_, err = w.Write(fr)
		}
		if err != nil {
			f.Close()
			return err
		}
		size += int64(len(fr))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		return err
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	old := j.f
	j.f, j.seg, j.size = f, next, size
	j.written += uint64(size)
	j.synced = j.written
	old.Close()
	segs, _ := segments(j.dir)
	for _, s := range segs {
		if s < next {
			os.Remove(filepath.Join(j.dir, segName(s)))
		}
	}
	return nil
}

// bytes returns the size of the active segment.
func (j *journal) bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

func (j *journal) close() error {
	j.smu.Lock()
	defer j.smu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	j.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
