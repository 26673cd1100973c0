package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The audit log refuses UPDATE below the store too: a row cannot be
// changed even with SQL.
func TestAuditLogRowsCannotBeUpdated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parkd.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx platform.Tx) error {
		return tx.AddAudit(platform.AuditEntry{At: time.Now(), Actor: "alice", Action: "view.photo", Result: platform.AuditOK})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec("UPDATE audit_log SET actor = 'mallory'")
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit_log: %v, want refused as append-only", err)
	}
}
