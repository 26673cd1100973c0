package postgres

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// migrationFiles holds the schema: files named NNNN_what.sql, applied in
// the order of their numbers. A released file is never edited; a change
// to the schema is a new file, here and in the SQLite store alike.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("postgres: migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// readMigration reads one embedded file and parses its number.
func readMigration(name string) (migration, error) {
	base := strings.TrimPrefix(name, "migrations/")
	num, _, ok := strings.Cut(base, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 {
		return migration{}, fmt.Errorf("postgres: migration %s: name must start with a positive number and '_'", base)
	}
	b, err := migrationFiles.ReadFile(name)
	if err != nil {
		return migration{}, err
	}
	return migration{version: v, name: base, sql: string(b)}, nil
}

// migrateLockKey is the advisory lock that serialises the migrations of
// one schema: processes migrating other schemas of the database do not
// wait for each other.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("parkd migrate " + schema))
	return int64(h.Sum64())
}

// Migrate applies the migrations the database lacks, all in one
// transaction, and records each in schema_version. The transaction first
// takes an advisory lock on the schema, so that when several processes
// start at once one migrates and the others, once it has committed, find
// nothing left to do. Re-running it on an up-to-date database changes
// nothing. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey(s.schema)); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if s.schema != "" {
		// Under the lock: CREATE SCHEMA IF NOT EXISTS may fail with a
		// unique violation when two sessions run it at once.
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
	}
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if n := len(ms); n > 0 && current > ms[n-1].version {
		return fmt.Errorf("postgres: database schema version %d is newer than this program's (%d)", current, ms[n-1].version)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := apply(ctx, tx, m); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// schemaVersion creates the schema_version table when needed and returns
// the highest version recorded in it (0 for a new database).
func schemaVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	const create = `CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER NOT NULL PRIMARY KEY,
    applied_at BIGINT  NOT NULL
)`
	if _, err := tx.Exec(ctx, create); err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	var v int
	if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: migrate: %w", err)
	}
	return v, nil
}

// apply runs one migration (several statements, sent as one simple query)
// and records it.
func apply(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("postgres: migration %s: %w", m.name, err)
	}
	_, err := tx.Exec(ctx, "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
		m.version, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("postgres: migration %s: %w", m.name, err)
	}
	return nil
}
