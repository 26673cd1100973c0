package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/parkd/parkd/internal/sqlstore"
)

// maxCachedStmts bounds the writer's statement cache. The store's queries
// are a fixed set well under it; a query past it is prepared each time.
const maxCachedStmts = 256

// stmtCache runs statements on the writer's connection, preparing each
// query once (it is the sqlstore.Querier of Update's transactions; View's
// run on a *sql.Tx of the readers' pool): parsing costs about as much as running a one-row insert.
// The writer holds the connection for the store's life and manages its
// transactions with BEGIN, SAVEPOINT and COMMIT statements.
type stmtCache struct {
	conn  *sql.Conn
	mu    sync.Mutex // guards stmts: fn may share its tx among goroutines
	stmts map[string]*sql.Stmt
}

var _ sqlstore.Querier = (*stmtCache)(nil)

func newStmtCache(ctx context.Context, db *sql.DB) (*stmtCache, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &stmtCache{conn: conn, stmts: make(map[string]*sql.Stmt)}, nil
}

// stmt returns the prepared statement of query, or nil when it cannot be
// cached (the caller then runs query unprepared, which reports any error).
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = st
	return st
}

// ExecContext runs a statement that returns no rows.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.conn.ExecContext(ctx, query, args...)
}

// QueryContext runs a query that returns rows.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.conn.QueryRowContext(ctx, query, args...)
}

// close closes the statements and gives the connection back to its pool.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
	return c.conn.Close()
}
