package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/parkd/parkd/internal/sqlstore"
)

// dialect is PostgreSQL's sqlstore.Dialect: "$n" placeholders, BOOLEAN
// columns, JSON keys read through the IMMUTABLE functions of the
// migrations that their expression indexes are built on, advisory locks
// for Tx.Lock and a sequence (wait_seq, 0002) for the waitlist counter.
type dialect struct{ sqlstore.Standard }

func (dialect) Name() string { return "postgres" }

// Rebind numbers the "?" placeholders $1, $2, ... in order, leaving
// string literals and quoted identifiers alone.
func (dialect) Rebind(query string) string {
	var b strings.Builder
	n := 0
	var quote rune
	for _, r := range query {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// True is the column itself.
func (dialect) True(col string) string { return col }

// JSONText calls parkd_<key in snake case>(col), the function of the
// migrations on which the key's expression index is built (0007:
// parkd_permit_no, NULL for a text that is not a JSON object).
func (dialect) JSONText(col, key string) string {
	var b strings.Builder
	b.WriteString("parkd_")
	for _, r := range key {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String() + "(" + col + ")"
}

// Lock takes a transaction-level advisory lock on key, waiting while
// another transaction holds it; PostgreSQL releases it when the
// transaction commits or rolls back. A transaction may lock a key again
// (it then holds it twice, until its end). Keys are hashed to 64 bits by
// hashtextextended: two keys that collide only serialise more than
// needed. Any string is a key: PostgreSQL text holds neither NUL nor
// invalid UTF-8, so those are replaced by U+FFFD before hashing (keys
// that differ only there collide). Two transactions that lock keys in
// different orders may deadlock: PostgreSQL then fails one of them, whose
// Update returns the error.
func (dialect) Lock(key string) (string, any) {
	text := strings.ToValidUTF8(strings.ReplaceAll(key, "\x00", "\uFFFD"), "\uFFFD")
	return "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", text
}

// NextSeq calls nextval.
func (dialect) NextSeq(ctx context.Context, ex sqlstore.Executor, name string) (int64, error) {
	var n int64
	err := ex.QueryRow(ctx, "SELECT nextval('"+name+"')").Scan(&n)
	return n, err
}

// maxConsumed bounds the numbers RaiseSeq takes one by one to get past a
// stored number; for a larger gap it sets the sequence.
const maxConsumed = 4096

// RaiseSeq makes the numbers nextval gives from now on larger than seq.
// In the common case seq came from NextSeq and one read of the sequence
// shows there is nothing to do. Otherwise, for a small gap, it takes the
// missing numbers with nextval, which never goes back whatever other
// sessions do at the same time; for a large one it calls setval, which is
// not a compare-and-set: numbers other sessions take between the read
// and the setval are lost only if they number more than maxConsumed,
// which the sequence cannot hand out in that moment.
func (dialect) RaiseSeq(ctx context.Context, ex sqlstore.Executor, name string, seq int64) error {
	var last int64
	err := ex.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM "+name).Scan(&last)
	if err != nil || last >= seq {
		return err
	}
	if seq-last <= maxConsumed {
		_, err = ex.Exec(ctx, "SELECT nextval('"+name+"') FROM generate_series(1, $1::BIGINT)", seq-last)
		return err
	}
	_, err = ex.Exec(ctx, `SELECT setval('`+name+`', $1::BIGINT) FROM `+name+`
		WHERE (CASE WHEN is_called THEN last_value ELSE last_value - 1 END) < $1::BIGINT`, seq)
	return err
}

// PostgreSQL error codes (appendix A of its manual) the store maps.
const (
	pgForeignKeyViolation = "23503"
	pgUniqueViolation     = "23505"
	pgReadOnlyTx          = "25006"
)

// Violation reads the SQLSTATE of a constraint failure.
func (dialect) Violation(err error) (sqlstore.Violation, string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgUniqueViolation:
			return sqlstore.UniqueViolation, pe.Message
		case pgForeignKeyViolation:
			return sqlstore.ForeignKeyViolation, pe.Message
		case pgReadOnlyTx:
			return sqlstore.ReadOnlyViolation, pe.Message
		}
	}
	return sqlstore.NoViolation, ""
}

// statements are the store's statements, written for PostgreSQL once.
var statements = sqlstore.New(dialect{})

// executor runs a transaction's statements through pgx natively (not
// database/sql), on the connection of its pgx.Tx.
type executor struct{ tx pgx.Tx }

func (e executor) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := e.tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (e executor) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := e.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (e executor) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return row{e.tx.QueryRow(ctx, query, args...)}
}

// row maps pgx's no-row error to sqlstore's.
type row struct{ pgx.Row }

func (r row) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}
