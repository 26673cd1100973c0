package postgres

import "testing"

// TestRebind checks that the "?" placeholders are numbered in order and
// that a "?" inside a string literal or a quoted identifier is kept.
func TestRebind(t *testing.T) {
	for query, want := range map[string]string{
		"SELECT a FROM t WHERE b = ? AND c = ? LIMIT ?": "SELECT a FROM t WHERE b = $1 AND c = $2 LIMIT $3",
		"SELECT '?', \"x?\" FROM t WHERE a = ?":         "SELECT '?', \"x?\" FROM t WHERE a = $1",
		"SELECT 'it''s ?' WHERE a = ? AND b = '车?'":     "SELECT 'it''s ?' WHERE a = $1 AND b = '车?'",
		"SELECT 1": "SELECT 1",
	} {
		if got := (dialect{}).Rebind(query); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", query, got, want)
		}
	}
}

// TestJSONText checks the name of the function a key is read through:
// the one migration 0007 builds the permit index on.
func TestJSONText(t *testing.T) {
	if got, want := (dialect{}).JSONText("info", "permitNo"), "parkd_permit_no(info)"; got != want {
		t.Errorf("JSONText = %q, want %q", got, want)
	}
}
