package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// Executor runs the statements of one transaction on a database driver.
// Its statements are in the database's form (see Dialect.Rebind).
type Executor interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a statement that returns rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a statement that returns at most one row; its Scan
	// returns ErrNoRows when there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is one row to scan: a driver's row, or the current row of Rows.
type Row interface {
	Scan(dest ...any) error
}

// Rows are the rows of a query, read with Next and Scan.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// ErrNoRows is returned by Row.Scan when the query selected no row.
var ErrNoRows = errors.New("sqlstore: no rows")

// Querier is what database/sql runs statements on: a *sql.DB, *sql.Conn or
// *sql.Tx, or a cache of prepared statements with the same methods.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Std returns the Executor that runs statements on q, through
// database/sql.
func Std(q Querier) Executor { return std{q} }

type std struct{ q Querier }

func (s std) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s std) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return stdRows{rows}, nil
}

func (s std) QueryRow(ctx context.Context, query string, args ...any) Row {
	return stdRow{s.q.QueryRowContext(ctx, query, args...)}
}

type stdRow struct{ r *sql.Row }

func (r stdRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

type stdRows struct{ *sql.Rows }

func (r stdRows) Close() { r.Rows.Close() }
