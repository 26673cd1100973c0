package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// The audit log refuses UPDATE below the store too: a row cannot be
// changed even with SQL.
func TestAuditLogRowsCannotBeUpdated(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := openSchema(t, dsn, schema)
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		return tx.AddAudit(platform.AuditEntry{At: time.Now(), Actor: "alice", Action: "view.photo", Result: platform.AuditOK})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), "UPDATE "+schema+".audit_log SET actor = 'mallory'")
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit_log: %v, want refused as append-only", err)
	}
}
