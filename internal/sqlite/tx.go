package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/platform"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// tx is the platform.Tx given to the functions of Update and View. Its
// methods live in the files named after the objects they keep.
type tx struct {
	ctx      context.Context
	q        querier
	readOnly bool
	done     atomic.Bool // set when the function given the tx has returned
}

var _ platform.Tx = (*tx)(nil)

var (
	errReadOnly = errors.New("sqlite: write in a read-only transaction")
	errTxDone   = fmt.Errorf("sqlite: transaction used after its function returned: %w", sql.ErrTxDone)
)

func newTx(ctx context.Context, q querier, readOnly bool) *tx {
	return &tx{ctx: ctx, q: q, readOnly: readOnly}
}

// finish retires t: the transaction may go on (other savepoints of a
// batch) but t may not take part in it any more.
func (t *tx) finish() { t.done.Store(true) }

// exec runs a write statement.
func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	if t.done.Load() {
		return nil, errTxDone
	}
	if t.readOnly {
		return nil, errReadOnly
	}
	return t.q.ExecContext(t.ctx, query, args...)
}

// execOne runs a write statement that must change one row: ErrNotFound
// when it changed none.
func (t *tx) execOne(query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return platform.ErrNotFound
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// getOne returns the one row query selects, or ErrNotFound.
func getOne[T any](t *tx, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	var zero T
	if t.done.Load() {
		return zero, errTxDone
	}
	v, err := scan(t.q.QueryRowContext(t.ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return zero, platform.ErrNotFound
	}
	if err != nil {
		return zero, fmt.Errorf("sqlite: %w", err)
	}
	return v, nil
}

// getAll returns every row query selects, in its order (nil when none).
func getAll[T any](t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	if t.done.Load() {
		return nil, errTxDone
	}
	rows, err := t.q.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return out, nil
}

// limitClause returns " LIMIT n" for n > 0 and "" (no limit) otherwise.
func limitClause(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}

// wrap turns a write error into the platform's vocabulary: constraint
// failures become KindConflict or KindInvalid, not-found errors pass, the
// rest are internal faults prefixed with op.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, platform.ErrNotFound) || errors.Is(err, errReadOnly) || errors.Is(err, errTxDone) {
		return err
	}
	var se *sqlitedriver.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return platform.Errorf(platform.KindConflict, "%s: %s", op, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return platform.Errorf(platform.KindInvalid, "%s: refers to a missing account or park", op)
		}
	}
	var pe *platform.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// Column codecs. Times are unix milliseconds, JSON documents TEXT holding
// the exact bytes (NULL for a nil document), string lists JSON text.

func ms(t time.Time) int64 { return t.UnixMilli() }

// timeCol scans unix milliseconds (NULL: the zero time).
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case int64:
		*c.p = time.UnixMilli(v)
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

func asTime(p *time.Time) sql.Scanner { return timeCol{p} }

// rawArg is the column value of a JSON document.
func rawArg(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// rawCol scans a JSON document, keeping its bytes.
type rawCol struct{ p *json.RawMessage }

func (c rawCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case string:
		*c.p = json.RawMessage(v)
	case []byte:
		*c.p = bytes.Clone(v)
	default:
		return fmt.Errorf("JSON column holds %T", src)
	}
	return nil
}

func asRaw(p *json.RawMessage) sql.Scanner { return rawCol{p} }

// stringsArg is the column value of a string list: JSON, "null" for nil.
func stringsArg(v []string) string {
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// stringsCol scans a string list stored as JSON.
type stringsCol struct{ p *[]string }

func (c stringsCol) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), c.p)
	case []byte:
		return json.Unmarshal(v, c.p)
	default:
		return fmt.Errorf("list column holds %T", src)
	}
}

func asStrings(p *[]string) sql.Scanner { return stringsCol{p} }
