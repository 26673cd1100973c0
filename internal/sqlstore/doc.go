// Package sqlstore implements platform.Tx once, in plain SQL, for every
// SQL database parkd runs on. The stores that own a database (package
// sqlite, package postgres) open it, run its migrations and its
// transactions, and hand each transaction to this package as an Executor
// and a Dialect; the statements and the mapping of rows to the platform's
// types are written here, once.
//
// Statements are written with "?" placeholders and standard SQL
// (INSERT ... ON CONFLICT through Upsert, CAST, sub-selects, LIMIT ?).
// Each is defined at package level, and New rewrites every one of them
// for its dialect once, when the store opens: a statement keeps one text
// for the life of the store, so a driver's cache of prepared statements
// (the SQLite writer's) holds each one once. The few statements whose
// text depends on their arguments (optional filters) are rewritten once
// per distinct text and remembered.
//
// A Dialect answers, in named hooks, for what truly differs between
// databases:
//   - Rebind: placeholders ("?" for SQLite, "$n" for PostgreSQL), and any
//     other spelling a database needs (a MySQL-compatible one would spell
//     CAST(x AS BIGINT) as CAST(x AS SIGNED) here);
//   - True: the test of a boolean column in the form an index on it serves
//     (SQLite stores 0 and 1: "col = 1"; PostgreSQL has BOOLEAN);
//   - Upsert: the clause that makes an INSERT replace the row holding its
//     key (ON CONFLICT ... DO UPDATE SET, ON DUPLICATE KEY UPDATE);
//   - Purge: a DELETE of the first rows in an order, at most a bound
//     number (PostgreSQL has no DELETE ... LIMIT; MySQL has it, and no
//     LIMIT in an IN sub-select);
//   - JSONText: the lookup of a key of a stored JSON document, written as
//     the expression index that serves it;
//   - Lock: a transaction-level lock on a key (none on SQLite, whose
//     writes are serial; pg_advisory_xact_lock on PostgreSQL; GET_LOCK on
//     MySQL);
//   - NextSeq and RaiseSeq: the counter behind waitlist numbers (a one-row
//     table on SQLite, a sequence on PostgreSQL);
//   - Violation: which constraint a driver's error reports (a unique key,
//     a reference, a read-only transaction), mapped here to the
//     platform's errors in one place.
//
// The planner-specific forms are chosen so that every database serves
// them from the same indexes: RecordCounts' CROSS JOIN keeps parks the
// outer loop on SQLite and is an inner join to PostgreSQL's planner; the
// conditions of the partial indexes (0010) are written with bare boolean
// columns, as both databases accept them, so that both planners match them.
//
// A third database (a MySQL-compatible engine such as TiDB) is one more
// Dialect, an Executor over its driver (Std serves any database/sql
// driver) and its numbered migrations, without touching the statements
// here.
//
// Columns keep times as BIGINT unix milliseconds, JSON documents as TEXT
// holding the exact bytes (NULL for a nil document), and string lists as
// JSON text; the column codecs decode them through database/sql's Scanner
// and pgx's pgtype scanners alike.
package sqlstore
