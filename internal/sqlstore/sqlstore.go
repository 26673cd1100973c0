package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// stmt names a statement of the store: an index into the texts New
// rewrote for the dialect.
type stmt int

// builders holds, by stmt, the functions that write each statement for a
// dialect. They are only appended to while the package initialises.
var builders []func(d Dialect) string

// define adds a statement whose text is the same for every dialect but
// for its placeholders.
func define(query string) stmt {
	return defineFor(func(Dialect) string { return query })
}

// defineFor adds a statement written with the dialect's hooks.
func defineFor(build func(d Dialect) string) stmt {
	builders = append(builders, build)
	return stmt(len(builders) - 1)
}

// upsert defines the INSERT of cols (a column list) into table that
// replaces the row holding key by the inserted one, where cond holds when
// it is not empty (see Dialect.Upsert).
func upsert(table, cols, key, cond string) stmt {
	return defineFor(func(d Dialect) string { return upsertText(d, table, cols, key, cond) })
}

func upsertText(d Dialect, table, cols, key, cond string) string {
	names := splitCols(cols)
	keys := splitCols(key)
	var set []string
	for _, n := range names {
		if !contains(keys, n) {
			set = append(set, n)
		}
	}
	return insertText(table, cols) + " " + d.Upsert(key, set, cond)
}

// insertText is INSERT INTO table (cols) VALUES (?, ...).
func insertText(table, cols string) string {
	n := len(splitCols(cols))
	return "INSERT INTO " + table + " (" + cols + ") VALUES (" + strings.Repeat("?, ", n-1) + "?)"
}

// insert defines the INSERT of cols into table.
func insert(table, cols string) stmt { return define(insertText(table, cols)) }

func splitCols(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// SQL is the store's statements written for one dialect. It is safe for
// concurrent use; a store makes one when it opens.
type SQL struct {
	d       Dialect
	texts   []string // by stmt
	dynamic sync.Map // statement built per call, as written -> as rebound
}

// New writes every statement for d.
func New(d Dialect) *SQL {
	s := &SQL{d: d, texts: make([]string, len(builders))}
	for i, build := range builders {
		s.texts[i] = d.Rebind(build(d))
	}
	return s
}

// text returns the statement built per call query as rebound for the
// dialect, rebinding each distinct text once.
func (s *SQL) text(query string) string {
	if v, ok := s.dynamic.Load(query); ok {
		return v.(string)
	}
	r := s.d.Rebind(query)
	s.dynamic.Store(query, r)
	return r
}

// Errors of a Tx used where it may not be.
var (
	// ErrReadOnly is returned by the writers of a View's Tx.
	ErrReadOnly = errors.New("write in a read-only transaction")
	// ErrTxDone is returned by a Tx used after its function returned.
	ErrTxDone = errors.New("transaction used after its function returned")
)

// Tx is the platform.Tx of one transaction. Its methods live in the files
// named after the objects they keep. Its statements run one at a time,
// so a function may share its Tx among goroutines.
type Tx struct {
	ctx      context.Context
	sql      *SQL
	ex       Executor
	readOnly bool

	mu   sync.Mutex // serialises the statements and guards done
	done bool       // set when the function given the Tx has returned
}

var _ platform.Tx = (*Tx)(nil)

// Tx returns the platform.Tx of a transaction whose statements ex runs;
// a readOnly one refuses to write. The caller calls Finish when the
// function given the Tx returns.
func (s *SQL) Tx(ctx context.Context, ex Executor, readOnly bool) *Tx {
	return &Tx{ctx: ctx, sql: s, ex: ex, readOnly: readOnly}
}

// Finish retires t: the transaction may go on (the other savepoints of a
// batch) but t may not take part in it any more.
func (t *Tx) Finish() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// lock takes t for one statement; write says whether it changes data.
// The caller unlocks t.mu when lock returns nil.
func (t *Tx) lock(write bool) error {
	if write && t.readOnly {
		return ErrReadOnly
	}
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return ErrTxDone
	}
	return nil
}

// exec runs a write statement and returns the number of rows it changed.
func (t *Tx) exec(q stmt, args ...any) (int64, error) {
	return t.execText(t.sql.texts[q], args...)
}

// execText runs a write statement in the database's form.
func (t *Tx) execText(query string, args ...any) (int64, error) {
	if err := t.lock(true); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	return t.ex.Exec(t.ctx, query, args...)
}

// execOne runs a write statement that must change one row: ErrNotFound
// when it changed none.
func (t *Tx) execOne(q stmt, args ...any) error {
	n, err := t.exec(q, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return platform.ErrNotFound
	}
	return nil
}

// getOne returns the one row q selects, or ErrNotFound.
func getOne[T any](t *Tx, scan func(Row) (T, error), q stmt, args ...any) (T, error) {
	var zero T
	if err := t.lock(false); err != nil {
		return zero, err
	}
	defer t.mu.Unlock()
	v, err := scan(t.ex.QueryRow(t.ctx, t.sql.texts[q], args...))
	if errors.Is(err, ErrNoRows) {
		return zero, platform.ErrNotFound
	}
	if err != nil {
		return zero, fmt.Errorf("%s: %w", t.sql.d.Name(), err)
	}
	return v, nil
}

// getAll returns every row q selects, in its order (nil when none).
func getAll[T any](t *Tx, scan func(Row) (T, error), q stmt, args ...any) ([]T, error) {
	return getAllText(t, scan, t.sql.texts[q], args...)
}

// getBuilt is getAll for a statement built per call, written with "?".
func getBuilt[T any](t *Tx, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	return getAllText(t, scan, t.sql.text(query), args...)
}

func getAllText[T any](t *Tx, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	if err := t.lock(false); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	rows, err := t.ex.Query(t.ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.sql.d.Name(), err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.sql.d.Name(), err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", t.sql.d.Name(), err)
	}
	return out, nil
}

// count runs a write statement that returns the number of rows it
// changed, as the platform's counts are.
func (t *Tx) count(op string, q stmt, args ...any) (int, error) {
	n, err := t.exec(q, args...)
	if err != nil {
		return 0, t.wrap(op, err)
	}
	return int(n), nil
}

// wrap turns a write error into the platform's vocabulary (see Err).
func (t *Tx) wrap(op string, err error) error { return t.sql.Err(op, err) }

// Err turns the error of a write, or of a commit, into the platform's
// vocabulary: constraint failures become KindConflict or KindInvalid, the
// store's own errors pass, the rest are internal faults prefixed with the
// dialect's name and op.
func (s *SQL) Err(op string, err error) error {
	if err == nil || errors.Is(err, ErrReadOnly) || errors.Is(err, ErrTxDone) {
		return err
	}
	switch v, msg := s.d.Violation(err); v {
	case UniqueViolation:
		return platform.Errorf(platform.KindConflict, "%s: %s", op, msg)
	case ForeignKeyViolation:
		return platform.Errorf(platform.KindInvalid, "%s: refers to a missing account or park", op)
	case ReadOnlyViolation:
		return fmt.Errorf("%w: %s: %s", ErrReadOnly, op, msg)
	}
	var pe *platform.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %s: %w", s.d.Name(), op, err)
}

// limitArg is the value of a "LIMIT ?" parameter: n for n > 0, else no
// limit. A bound parameter rather than a literal keeps one statement per
// query (and one prepared statement on SQLite).
func limitArg(n int) int64 {
	if n <= 0 {
		return math.MaxInt64
	}
	return int64(n)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// msAbove is the least whole millisecond m such that a stored time (whole
// milliseconds) is before t exactly when it is below m: ms(t), or one more
// when t has a fraction of a millisecond.
func msAbove(t time.Time) int64 {
	m := ms(t)
	if t.After(time.UnixMilli(m)) {
		m++
	}
	return m
}

func scanMaybeTime(s Row) (at time.Time, err error) {
	err = s.Scan(asTime(&at))
	return at, err
}

func scanInt(s Row) (n int, err error) {
	err = s.Scan(&n)
	return n, err
}

// whereClause is " WHERE a AND b ...", or "" for no condition.
func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}
