package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/parkd/parkd/internal/platform"
)

// tx is the platform.Tx given to the functions of Update and View. Its
// methods live in the files named after the objects they keep.
type tx struct {
	ctx      context.Context
	readOnly bool

	// mu serialises the statements of fns that share their tx among
	// goroutines (a pgx connection runs one statement at a time) and
	// guards done.
	mu   sync.Mutex
	pg   pgx.Tx
	done bool // set when the function given the tx has returned
}

var _ platform.Tx = (*tx)(nil)

var (
	errReadOnly = errors.New("postgres: write in a read-only transaction")
	errTxDone   = fmt.Errorf("postgres: transaction used after its function returned: %w", pgx.ErrTxClosed)
)

func newTx(ctx context.Context, pg pgx.Tx, readOnly bool) *tx {
	return &tx{ctx: ctx, pg: pg, readOnly: readOnly}
}

// finish retires t: no statement may go through it any more.
func (t *tx) finish() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// lock takes t for one statement; write says whether it changes data.
// The caller unlocks t.mu when lock returns nil.
func (t *tx) lock(write bool) error {
	if write && t.readOnly {
		return errReadOnly
	}
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return errTxDone
	}
	return nil
}

// exec runs a write statement and returns the number of rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	if err := t.lock(true); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	tag, err := t.pg.Exec(t.ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// execOne runs a write statement that must change one row: ErrNotFound
// when it changed none.
func (t *tx) execOne(query string, args ...any) error {
	n, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return platform.ErrNotFound
	}
	return nil
}

// writeOne runs a write statement that returns one row, scanned by scan.
func writeOne[T any](t *tx, scan func(pgx.Row) (T, error), query string, args ...any) (T, error) {
	var zero T
	if err := t.lock(true); err != nil {
		return zero, err
	}
	defer t.mu.Unlock()
	v, err := scan(t.pg.QueryRow(t.ctx, query, args...))
	if err != nil {
		return zero, err
	}
	return v, nil
}

// getOne returns the one row query selects, or ErrNotFound.
func getOne[T any](t *tx, scan func(pgx.Row) (T, error), query string, args ...any) (T, error) {
	var zero T
	if err := t.lock(false); err != nil {
		return zero, err
	}
	defer t.mu.Unlock()
	v, err := scan(t.pg.QueryRow(t.ctx, query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, platform.ErrNotFound
	}
	if err != nil {
		return zero, fmt.Errorf("postgres: %w", err)
	}
	return v, nil
}

// getAll returns every row query selects, in its order (nil when none).
func getAll[T any](t *tx, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	if err := t.lock(false); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	rows, err := t.pg.Query(t.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

// limitArg is the value of a "LIMIT $n" parameter: n for n > 0, else no
// limit. (A bound parameter rather than a literal keeps one prepared
// statement per query; LIMIT NULL and LIMIT ALL are PostgreSQL's own.)
func limitArg(n int) int64 {
	if n <= 0 {
		return math.MaxInt64
	}
	return int64(n)
}

// PostgreSQL error codes (appendix A of its manual) the store maps.
const (
	pgForeignKeyViolation = "23503"
	pgUniqueViolation     = "23505"
	pgReadOnlyTx          = "25006"
)

// wrap turns a write error into the platform's vocabulary: constraint
// failures become KindConflict or KindInvalid, the store's own errors
// pass, the rest are internal faults prefixed with op.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, errReadOnly) || errors.Is(err, errTxDone) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgUniqueViolation:
			return platform.Errorf(platform.KindConflict, "%s: %s", op, pe.Message)
		case pgForeignKeyViolation:
			return platform.Errorf(platform.KindInvalid, "%s: refers to a missing account or park", op)
		case pgReadOnlyTx:
			return fmt.Errorf("%w: %s: %s", errReadOnly, op, pe.Message)
		}
	}
	var ae *platform.Error
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// Column codecs. Times are BIGINT unix milliseconds, JSON documents TEXT
// holding the exact bytes (NULL for a nil document), string lists JSON
// text. The scanners implement pgx's pgtype interfaces, so rows decode
// without reflection.

func ms(t time.Time) int64 { return t.UnixMilli() }

// timeCol scans unix milliseconds (NULL: the zero time).
type timeCol struct{ p *time.Time }

// ScanInt64 implements pgtype.Int64Scanner.
func (c timeCol) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*c.p = time.Time{}
		return nil
	}
	*c.p = time.UnixMilli(v.Int64)
	return nil
}

func asTime(p *time.Time) timeCol { return timeCol{p} }

// rawArg is the column value of a JSON document: its text, or NULL.
func rawArg(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// rawCol scans a JSON document, keeping its bytes (NULL: nil, empty text:
// an empty, non-nil document).
type rawCol struct{ p *json.RawMessage }

// ScanText implements pgtype.TextScanner.
func (c rawCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		*c.p = nil
		return nil
	}
	b := make(json.RawMessage, len(v.String))
	copy(b, v.String)
	*c.p = b
	return nil
}

func asRaw(p *json.RawMessage) rawCol { return rawCol{p} }

// stringsArg is the column value of a string list: JSON, "null" for nil.
func stringsArg(v []string) string {
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// stringsCol scans a string list stored as JSON.
type stringsCol struct{ p *[]string }

// ScanText implements pgtype.TextScanner.
func (c stringsCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		return errors.New("list column is NULL")
	}
	*c.p = nil
	return json.Unmarshal([]byte(v.String), c.p)
}

func asStrings(p *[]string) stringsCol { return stringsCol{p} }

func scanMaybeTime(s pgx.Row) (at time.Time, err error) {
	err = s.Scan(asTime(&at))
	return at, err
}

func scanInt(s pgx.Row) (n int, err error) {
	err = s.Scan(&n)
	return n, err
}

func scanInt64(s pgx.Row) (n int64, err error) {
	err = s.Scan(&n)
	return n, err
}
