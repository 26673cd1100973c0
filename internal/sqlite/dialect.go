package sqlite

import (
	"context"
	"errors"

	"github.com/parkd/parkd/internal/sqlstore"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is SQLite's sqlstore.Dialect: "?" placeholders as written,
// booleans stored as 0 and 1, JSON through the json1 functions, no lock
// (the single writer runs Update functions one after another, so write
// transactions are serial already) and the waitlist counter in a one-row
// table (wait_seq, 0002).
type dialect struct{ sqlstore.Standard }

func (dialect) Name() string { return "sqlite" }

// Rebind returns query: SQLite takes "?" placeholders.
func (dialect) Rebind(query string) string { return query }

// True is "col = 1", which an index on col serves.
func (dialect) True(col string) string { return col + " = 1" }

// JSONText is json_extract on a valid document, as the expression index
// of 0007 is written.
func (dialect) JSONText(col, key string) string {
	return "(CASE WHEN json_valid(" + col + ") THEN json_extract(" + col + ", '$." + key + "') END)"
}

// Lock takes nothing.
func (dialect) Lock(string) (string, any) { return "", nil }

// NextSeq counts up the counter's row and reads it back.
func (dialect) NextSeq(ctx context.Context, ex sqlstore.Executor, name string) (int64, error) {
	n, err := ex.Exec(ctx, "UPDATE "+name+" SET last = last + 1 WHERE id = 1")
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errors.New("no counter row in " + name)
	}
	var last int64
	err = ex.QueryRow(ctx, "SELECT last FROM "+name+" WHERE id = 1").Scan(&last)
	return last, err
}

// RaiseSeq sets the counter to seq when it is below.
func (dialect) RaiseSeq(ctx context.Context, ex sqlstore.Executor, name string, seq int64) error {
	_, err := ex.Exec(ctx, "UPDATE "+name+" SET last = ? WHERE id = 1 AND last < ?", seq, seq)
	return err
}

// Violation reads the extended result code of a constraint failure.
func (dialect) Violation(err error) (sqlstore.Violation, string) {
	var se *sqlitedriver.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return sqlstore.UniqueViolation, se.Error()
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return sqlstore.ForeignKeyViolation, se.Error()
		}
	}
	return sqlstore.NoViolation, ""
}

// statements are the store's statements, written for SQLite once.
var statements = sqlstore.New(dialect{})
