// Package postgres implements platform.Store on PostgreSQL through pgx v5
// and a pgxpool connection pool: the store for production and for more
// than one parkd process sharing a database.
//
// Each Update is one transaction on a pooled connection (BEGIN ...
// COMMIT, at PostgreSQL's default READ COMMITTED level); View is a
// REPEATABLE READ READ ONLY transaction, so its reads share one snapshot.
// A commit is durable when PostgreSQL says so (synchronous_commit, on by
// default). Concurrent Updates run side by side, each on its own
// connection: unlike the SQLite store, whose single writer runs them one
// after another, two Updates that read and then write the same rows may
// interleave, and neither sees the other's uncommitted writes. A caller
// that checks and then writes (no live order for a plate, then a new
// order; a due dispatch, then its claim) is protected from a concurrent
// twin by a unique key (the twin's insert then fails with KindConflict),
// not by Update: a twin that writes the same row waits for the first
// transaction to commit and then overwrites its row. Where no key can
// tell, the caller takes Tx.Lock on a key of what it checks (a park, a
// plate) first: a transaction-level advisory lock, so the twin waits for
// the first to end and then reads what it committed. Leases (AcquireLease)
// let one instance of several run a job alone.
//
// The schema is created and upgraded by numbered SQL files embedded in
// the binary (the same numbers as the SQLite store's), applied by Open in
// one transaction under an advisory lock, so that several processes
// starting at once migrate once. It enforces references: tokens, parks,
// pictures and liveness events need their account; entrances, records,
// vacancy, verifications and reservations need their park. A write that
// breaks one fails with platform.KindInvalid; a write that takes a unique
// key already holding another object fails with platform.KindConflict. As
// always in PostgreSQL, a statement that fails aborts its transaction:
// after such an error the function given to Update can only return it.
//
// The statements are those of internal/sqlstore, written for PostgreSQL
// by its dialect (dialect.go) and run through pgx natively.
//
// The SQL keeps to what PostgreSQL-compatible distributed databases
// (CockroachDB, YugabyteDB) also accept: plain tables, BIGINT times, TEXT
// documents, INSERT ... ON CONFLICT (key) DO UPDATE with a named conflict
// target, identity columns and one sequence. The places where such a
// database may differ are:
//   - pg_advisory_xact_lock, which serialises migrations and is what
//     Tx.Lock takes (on hashtextextended of its key): older CockroachDB
//     releases lack it or make it a no-op (recent ones lock), and
//     YugabyteDB has advisory locks only in recent releases; without it,
//     concurrent first starts must be avoided, and Lock does not
//     serialise;
//   - DDL inside the migration transaction, which CockroachDB runs with
//     restrictions (schema changes are not fully transactional there);
//   - ON CONFLICT ... DO UPDATE ... WHERE in PutPark, whose zero rows
//     changed tell a park id taken by another park, and in AcquireLease,
//     whose zero rows changed tell a lease held by another;
//   - DELETE ... WHERE (key) IN (SELECT key ... ORDER BY ... LIMIT n) in
//     the purges, PostgreSQL having no DELETE ... LIMIT;
//   - the identity columns that order history, liveness events, warnings
//     and reservation events by insertion, and the wait_seq sequence:
//     distributed databases may cache sequence values per node, so values
//     from different nodes are unique but not in time order;
//   - reading the sequence's state (last_value, is_called) and setval,
//     used when PutReservation stores a WaitSeq beyond the last one given;
//   - COLLATE "C" on identifier columns, so lists are ordered by bytes;
//   - REPEATABLE READ for View, and READ COMMITTED for Update, which
//     CockroachDB runs as SERIALIZABLE unless configured otherwise (its
//     transactions may then fail with retry errors, which Update returns).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlstore"
)

// Options tunes a Store. The zero value uses the DSN's settings.
type Options struct {
	// MaxConns bounds the pool's connections (pgxpool's default, the
	// larger of 4 and the number of CPUs, when 0 or less). It also
	// bounds the Update and View calls in flight; further calls wait
	// for a connection.
	MaxConns int
	// Schema, when set, is a schema of the database that the store
	// creates if needed and uses through search_path: several stores
	// (tests, or tenants of one database) can share a database without
	// seeing each other. It must be a lowercase SQL identifier of at
	// most 63 bytes. Empty means the DSN's search_path (usually public).
	Schema string
}

// schemaName is what Options.Schema accepts: an identifier that needs no
// quoting, so that search_path and the SQL texts stay simple.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is a platform.Store on a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string // Options.Schema, or the current schema when that was empty
	closed atomic.Bool
}

var _ platform.Store = (*Store)(nil)

// ErrClosed is returned by Update and View once Close has been called.
var ErrClosed = errors.New("postgres: store closed")

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts), brings its schema up to date and
// returns the store. Close releases it.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(min(opts.MaxConns, 1<<30))
	}
	if opts.Schema != "" {
		if !schemaName.MatchString(opts.Schema) {
			return nil, fmt.Errorf("postgres: invalid schema name %q (want a lowercase identifier)", opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "parkd"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, schema: opts.Schema}
	if err := s.checkServer(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// checkServer makes sure the database keeps text as UTF-8: plates and
// JSON documents hold Chinese characters, and documents must come back
// byte for byte. It also learns the schema when Options left it empty.
func (s *Store) checkServer(ctx context.Context) error {
	var encoding string
	var current *string
	err := s.pool.QueryRow(ctx, "SELECT current_setting('server_encoding'), current_schema()").Scan(&encoding, &current)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	if encoding != "UTF8" {
		return fmt.Errorf("postgres: the database's encoding is %s; parkd needs UTF8", encoding)
	}
	if s.schema == "" && current != nil {
		s.schema = *current
	}
	return nil
}

// Update runs fn in a read-write transaction on a pooled connection and
// commits it. When fn returns an error, or panics, the transaction is
// rolled back and Update returns that error (a panic becomes an error).
// ctx bounds the wait for a connection and fn's statements; once fn has
// returned nil, the commit runs to its end even if ctx is cancelled.
// fn must not retain tx; it may use tx from several goroutines, whose
// statements then run one at a time.
func (s *Store) Update(ctx context.Context, fn func(tx platform.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{}, false, fn)
}

// View runs fn in a read-only transaction that sees one snapshot of the
// committed state. Writes through its Tx fail.
func (s *Store) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return s.run(ctx, opts, true, fn)
}

// run runs fn in one transaction begun with opts.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, readOnly bool, fn func(tx platform.Tx) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pgtx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		if s.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// The transaction must end, commit or rollback, whatever ctx does.
	end := context.WithoutCancel(ctx)
	t := statements.Tx(ctx, executor{pgtx}, readOnly)
	if err := call(t, fn); err != nil {
		_ = pgtx.Rollback(end) // a failed rollback closes the connection
		return err
	}
	if readOnly {
		// Nothing to keep; ROLLBACK ends a read-only transaction as well.
		if err := pgtx.Rollback(end); err != nil {
			return fmt.Errorf("postgres: end read: %w", err)
		}
		return nil
	}
	if err := pgtx.Commit(end); err != nil {
		return statements.Err("commit", err)
	}
	return nil
}

// call runs fn on t, turning a panic into an error, and retires t.
func call(t *sqlstore.Tx, fn func(tx platform.Tx) error) (err error) {
	defer t.Finish()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("postgres: transaction function panicked: %v", p)
		}
	}()
	return fn(t)
}

// Version returns the schema version of the database: the number of the
// last migration applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// Close waits for the transactions in flight to end and closes the
// pool's connections. Later calls return nil.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}
