// Package sqlite implements platform.Store on an embedded SQLite database
// in WAL mode, through modernc.org/sqlite (pure Go, no cgo).
//
// Writes go through a single writer goroutine that groups the Update calls
// queued at the same moment into one transaction and one synced commit
// (group commit). Each call runs inside its own SAVEPOINT, so a call whose
// function fails is rolled back alone, and every caller is answered only
// once the commit holding its writes has returned. Reads (View) run on a
// small pool of read-only connections that see the last committed state.
//
// Update functions thus run one after another, inside transactions that
// hold the file's write lock from their start (BEGIN IMMEDIATE, which
// holds off even another process), so Tx.Lock has nothing to do: it only
// fails where a write would.
//
// The statements are those of internal/sqlstore, written for SQLite by
// its dialect (dialect.go) once, when the package initialises, so that
// the writer's cache of prepared statements (stmts.go) holds each once.
//
// The schema is created and upgraded by numbered SQL files embedded in the
// binary, applied by Open. It enforces references: tokens, parks, pictures
// and liveness events need their account; entrances, records, vacancy,
// verifications and reservations need their park. A write that breaks one
// fails with platform.KindInvalid; a write that takes a unique key already
// holding another object fails with platform.KindConflict.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tunes a Store. The zero value is the durable default.
type Options struct {
	// Synchronous is the writer's PRAGMA synchronous. "FULL" (the
	// default) makes each commit durable before Update returns; "NORMAL"
	// commits faster but may lose the latest commits on power loss (not
	// on a crash of the process). "EXTRA" is accepted too.
	Synchronous string
	// Readers is the number of read-only connections View uses
	// (default 4).
	Readers int
	// MaxBatch bounds the number of Update calls that share one commit
	// (default 256).
	MaxBatch int
}

// Defaults of Options.
const (
	DefaultReaders  = 4
	DefaultMaxBatch = 256
)

func (o Options) withDefaults() (Options, error) {
	o.Synchronous = strings.ToUpper(o.Synchronous)
	switch o.Synchronous {
	case "":
		o.Synchronous = "FULL"
	case "FULL", "NORMAL", "EXTRA":
	default:
		return o, fmt.Errorf("sqlite: unsupported synchronous mode %q", o.Synchronous)
	}
	if o.Readers <= 0 {
		o.Readers = DefaultReaders
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	return o, nil
}

// Store is a platform.Store on one SQLite file. It is safe for concurrent
// use. Functions given to Update must not call Update or Close on the same
// Store: they run on the writer goroutine, which would wait for itself.
type Store struct {
	w   *sql.DB           // writer: one connection, held by wc
	wc  *stmtCache        // the writer connection, used only by the writer goroutine
	wex sqlstore.Executor // wc, as the statements' executor
	r   *sql.DB           // readers: a pool of query_only connections for View

	mu      sync.RWMutex // guards closed and the sends on queue
	closed  bool
	queue   chan *request
	stopped chan struct{} // closed when the writer goroutine has ended

	maxBatch int
	stats    writerStats
}

var _ platform.Store = (*Store)(nil)

// ErrClosed is returned by Update and View once Close has been called.
var ErrClosed = errors.New("sqlite: store closed")

// Open opens (creating it when needed) the database file at path, brings
// its schema up to date and starts the writer goroutine. Close releases it.
func Open(path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	w, err := openDB(path, writerParams(opts.Synchronous), 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(context.Background(), w); err != nil {
		w.Close()
		return nil, err
	}
	wc, err := newStmtCache(context.Background(), w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := openDB(path, readerParams(), opts.Readers)
	if err != nil {
		wc.close()
		w.Close()
		return nil, err
	}
	s := &Store{
		w:        w,
		wc:       wc,
		wex:      sqlstore.Std(wc),
		r:        r,
		queue:    make(chan *request, opts.MaxBatch),
		stopped:  make(chan struct{}),
		maxBatch: opts.MaxBatch,
	}
	go s.write()
	return s, nil
}

// pragmas returns the DSN parameters every connection shares.
func pragmas(synchronous string) url.Values {
	return url.Values{"_pragma": {
		"busy_timeout(5000)",
		"journal_mode(WAL)",
		"synchronous(" + synchronous + ")",
		"foreign_keys(on)",
	}}
}

// Page cache sizes, in KiB (PRAGMA cache_size with a negative value).
// The writer keeps its cache across transactions, so it holds the pages
// every commit touches (the indexes' upper levels). A reader's cache is
// emptied whenever another connection has committed since its last read,
// which under steady ingest is at nearly every read transaction: it only
// serves the pages one transaction reads more than once, and a larger
// one only raises the memory SQLite keeps mapped after a long read
// (modernc.org/memory retains freed regions up to the high-water mark).
const (
	writerCacheKiB = 2048
	readerCacheKiB = 512
)

// writerParams starts every write transaction with BEGIN IMMEDIATE, so
// that it holds the write lock from the start.
func writerParams(synchronous string) url.Values {
	v := pragmas(synchronous)
	v.Set("_txlock", "immediate")
	v.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
	return v
}

// readerParams makes reading connections refuse writes.
func readerParams() url.Values {
	v := pragmas("NORMAL")
	v.Add("_pragma", "query_only(1)")
	v.Add("_pragma", fmt.Sprintf("cache_size(-%d)", readerCacheKiB))
	return v
}

// openDB opens a pool of at most conns connections to path and checks
// that one can be made.
func openDB(path string, params url.Values, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// View runs fn in a read-only transaction on a snapshot of the committed
// state. Writes through its Tx fail.
func (s *Store) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer sqlTx.Rollback()
	t := statements.Tx(ctx, sqlstore.Std(sqlTx), true)
	defer t.Finish()
	return fn(t)
}

// Version returns the schema version of the database: the number of the
// last migration applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

// Close waits for the queued Update calls to be committed, stops the
// writer goroutine and closes the database. Later calls return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	first := !s.closed
	if first {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	<-s.stopped
	if !first {
		return nil
	}
	return errors.Join(s.wc.close(), s.w.Close(), s.r.Close())
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}
