package sqlstore

import (
	"context"
	"strings"
)

// Dialect is what differs between the databases the statements run on
// (see the package comment). Statements given to its hooks are written
// with "?" placeholders, except those a hook runs itself (Lock, NextSeq,
// RaiseSeq), which are in the database's own form.
type Dialect interface {
	// Name prefixes the store's internal errors ("sqlite", "postgres").
	Name() string
	// Rebind rewrites a statement written with "?" placeholders into the
	// database's form. It is called once per statement text.
	Rebind(query string) string
	// True is the condition that boolean column col holds true, in the
	// form an index on col serves (SQLite stores 0 and 1: "col = 1").
	// The partial indexes' conditions are written with bare columns,
	// which both databases accept.
	True(col string) string
	// Upsert is the clause after INSERT ... VALUES that replaces the row
	// holding the unique key (a column list) with the inserted one: set
	// are the columns to replace, each by its inserted value
	// ("excluded.col"); cond, when not empty, is a condition on the
	// stored row (named by its table) and excluded that must hold for the
	// replacement to happen. With no set, a row holding the key is left
	// alone (the insert does nothing).
	Upsert(key string, set []string, cond string) string
	// Purge is a DELETE of the rows of table that meet cond, the first
	// ones by order, at most as many as its last parameter (a bound LIMIT
	// value); key is the table's primary key (a column list).
	Purge(table, key, cond, order string) string
	// JSONText is the text at key (a top-level member) of the JSON
	// document in column col, or NULL when col holds no JSON object.
	JSONText(col, key string) string
	// Lock returns the statement that takes a transaction-level lock on
	// key and its argument, or "" when the database's write transactions
	// are serial already.
	Lock(key string) (query string, arg any)
	// NextSeq takes the next number of the counter name.
	NextSeq(ctx context.Context, ex Executor, name string) (int64, error)
	// RaiseSeq makes the numbers NextSeq gives from now on larger than
	// seq.
	RaiseSeq(ctx context.Context, ex Executor, name string, seq int64) error
	// Violation tells which constraint err reports, and its message.
	Violation(err error) (Violation, string)
}

// Violation is a constraint a driver's error reports.
type Violation int

// Violations.
const (
	NoViolation Violation = iota
	UniqueViolation
	ForeignKeyViolation
	ReadOnlyViolation // a write in a read-only transaction
)

// Standard implements the hooks SQLite and PostgreSQL share: ON CONFLICT
// upserts and purges through a sub-select on the key. A Dialect embeds it
// and adds the rest.
type Standard struct{}

// Upsert returns ON CONFLICT (key) DO UPDATE SET col = excluded.col, ...
// [WHERE cond], or ON CONFLICT (key) DO NOTHING.
func (Standard) Upsert(key string, set []string, cond string) string {
	if len(set) == 0 {
		return "ON CONFLICT (" + key + ") DO NOTHING"
	}
	var b strings.Builder
	b.WriteString("ON CONFLICT (" + key + ") DO UPDATE SET ")
	for i, c := range set {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	if cond != "" {
		b.WriteString(" WHERE " + cond)
	}
	return b.String()
}

// Purge returns DELETE FROM table WHERE key IN (SELECT key FROM table
// WHERE cond ORDER BY order LIMIT ?).
func (Standard) Purge(table, key, cond, order string) string {
	k := key
	if strings.Contains(key, ",") {
		k = "(" + key + ")"
	}
	return "DELETE FROM " + table + " WHERE " + k + " IN (SELECT " + key + " FROM " + table +
		" WHERE " + cond + " ORDER BY " + order + " LIMIT ?)"
}
