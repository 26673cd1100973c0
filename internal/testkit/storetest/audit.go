package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The audit log (platform.AuditTx), operators' roles and credentials, and
// the end of an operator's sessions.

func auditCases() []testCase {
	return []testCase{
		{"audit entries round-trip in insertion order with every field", testAuditRoundTrip},
		{"AuditEntries filters by time (half-open), actor, seq and limit", testAuditFilter},
		{"AddAudit refuses an entry without time, action or a known result", testAuditInvalid},
		{"PurgeAudit deletes the oldest entries before the bound, in batches", testPurgeAudit},
		{"View rejects AddAudit and PurgeAudit", testViewRejectsAuditWrites},
		{"an operator's role, password time, must-change and disabled flags round-trip", testOperatorAccessRoundTrip},
		{"DeleteOperatorSessionsOf ends every session of one operator only", testDeleteOperatorSessionsOf},
	}
}

func auditEntry(minute int, actor, action, result string) platform.AuditEntry {
	return platform.AuditEntry{At: at(minute), Actor: actor, Role: "admin", Addr: "192.0.2.7",
		Action: action, Object: "park:isv-p1", Result: result, Detail: "详情 " + action}
}

func addAudits(t *testing.T, s platform.Store, es ...platform.AuditEntry) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, e := range es {
			if err := tx.AddAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func auditEntries(t *testing.T, s platform.Store, f platform.AuditFilter) []platform.AuditEntry {
	t.Helper()
	return get(t, s, func(tx platform.Tx) ([]platform.AuditEntry, error) { return tx.AuditEntries(f) })
}

// withoutSeq returns es with Seq cleared, checking that the seqs grow.
func withoutSeq(t *testing.T, es []platform.AuditEntry) []platform.AuditEntry {
	t.Helper()
	var out []platform.AuditEntry
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Errorf("seq %d after %d: want growing", e.Seq, es[i-1].Seq)
		}
		e.Seq = 0
		out = append(out, e)
	}
	return out
}

func testAuditRoundTrip(t *testing.T, s platform.Store) {
	if got := auditEntries(t, s, platform.AuditFilter{}); len(got) != 0 {
		t.Errorf("entries of an empty log: %v", got)
	}
	a := auditEntry(5, "张三", "view.photo", platform.AuditOK)
	a.At = a.At.Add(7 * time.Millisecond)
	b := auditEntry(1, "", "console.login", platform.AuditDenied) // earlier time, later insertion
	c := auditEntry(3, "cli:root", "account.disable", platform.AuditFailed)
	addAudits(t, s, a, b)
	addAudits(t, s, c)
	same(t, "entries", withoutSeq(t, auditEntries(t, s, platform.AuditFilter{})), []platform.AuditEntry{a, b, c})
}

func testAuditFilter(t *testing.T, s platform.Store) {
	es := []platform.AuditEntry{
		auditEntry(0, "alice", "a0", platform.AuditOK), auditEntry(10, "bob", "a1", platform.AuditOK),
		auditEntry(20, "alice", "a2", platform.AuditOK), auditEntry(30, "alice", "a3", platform.AuditOK),
	}
	addAudits(t, s, es...)
	all := auditEntries(t, s, platform.AuditFilter{})
	actions := func(f platform.AuditFilter) []string {
		var out []string
		for _, e := range auditEntries(t, s, f) {
			out = append(out, e.Action)
		}
		return out
	}
	cases := []struct {
		name string
		f    platform.AuditFilter
		want []string
	}{
		{"since is included", platform.AuditFilter{Since: at(10)}, []string{"a1", "a2", "a3"}},
		{"until is excluded", platform.AuditFilter{Until: at(20)}, []string{"a0", "a1"}},
		{"to the millisecond", platform.AuditFilter{Until: at(20).Add(time.Millisecond)}, []string{"a0", "a1", "a2"}},
		{"both", platform.AuditFilter{Since: at(5), Until: at(25)}, []string{"a1", "a2"}},
		{"actor", platform.AuditFilter{Actor: "alice"}, []string{"a0", "a2", "a3"}},
		{"actor and time", platform.AuditFilter{Actor: "alice", Since: at(1)}, []string{"a2", "a3"}},
		{"unknown actor", platform.AuditFilter{Actor: "carol"}, nil},
		{"after seq", platform.AuditFilter{AfterSeq: all[1].Seq}, []string{"a2", "a3"}},
		{"limit keeps the first", platform.AuditFilter{Limit: 2}, []string{"a0", "a1"}},
		{"limit after seq", platform.AuditFilter{AfterSeq: all[0].Seq, Limit: 1}, []string{"a1"}},
	}
	for _, c := range cases {
		same(t, c.name, actions(c.f), c.want)
	}
}

func testAuditInvalid(t *testing.T, s platform.Store) {
	bad := map[string]platform.AuditEntry{
		"no time":   {Action: "x", Result: platform.AuditOK},
		"no action": {At: at(0), Result: platform.AuditOK},
		"result":    {At: at(0), Action: "x", Result: "maybe"},
	}
	for name, e := range bad {
		err := s.Update(context.Background(), func(tx platform.Tx) error { return tx.AddAudit(e) })
		if platform.KindOf(err) != platform.KindInvalid {
			t.Errorf("%s: %v, want an invalid-value error", name, err)
		}
	}
	if got := auditEntries(t, s, platform.AuditFilter{}); len(got) != 0 {
		t.Errorf("entries after refused adds: %v", got)
	}
}

func testPurgeAudit(t *testing.T, s platform.Store) {
	addAudits(t, s, auditEntry(30, "a", "late", platform.AuditOK), auditEntry(10, "a", "b", platform.AuditOK),
		auditEntry(10, "a", "c", platform.AuditOK), auditEntry(20, "a", "d", platform.AuditOK))
	purge := func(before, limit int) int {
		var n int
		update(t, s, func(tx platform.Tx) (err error) {
			n, err = tx.PurgeAudit(at(before), limit)
			return err
		})
		return n
	}
	if n := purge(10, 0); n != 0 {
		t.Errorf("purge before 10: %d, want 0 (10 is not before 10)", n)
	}
	if n := purge(25, 1); n != 1 {
		t.Errorf("purge of 1: %d", n)
	}
	var left []string
	for _, e := range auditEntries(t, s, platform.AuditFilter{}) {
		left = append(left, e.Action)
	}
	same(t, "left after one", left, []string{"late", "c", "d"}) // oldest, then first inserted
	if n := purge(25, -1); n != 2 {
		t.Errorf("purge of all before 25: %d, want 2", n)
	}
	left = nil
	for _, e := range auditEntries(t, s, platform.AuditFilter{}) {
		left = append(left, e.Action)
	}
	same(t, "left", left, []string{"late"})
}

func testViewRejectsAuditWrites(t *testing.T, s platform.Store) {
	addAudits(t, s, auditEntry(0, "a", "kept", platform.AuditOK))
	writes := map[string]func(tx platform.Tx) error{
		"AddAudit": func(tx platform.Tx) error { return tx.AddAudit(auditEntry(1, "a", "new", platform.AuditOK)) },
		"PurgeAudit": func(tx platform.Tx) error {
			_, err := tx.PurgeAudit(at(100), 0)
			return err
		},
	}
	for name, write := range writes {
		if err := s.View(context.Background(), write); err == nil {
			t.Errorf("%s in View succeeded", name)
		}
	}
	got := auditEntries(t, s, platform.AuditFilter{})
	if len(got) != 1 || got[0].Action != "kept" {
		t.Errorf("log after writes in a View: %+v", got)
	}
}

func testOperatorAccessRoundTrip(t *testing.T, s platform.Store) {
	want := platform.Operator{Name: "审计员", PasswordHash: []byte("h"), CreatedAt: at(0), Role: platform.OperatorAuditor,
		PasswordChangedAt: at(3).Add(5 * time.Millisecond), MustChangePassword: true, Disabled: true}
	putOperators(t, s, want)
	got := get(t, s, func(tx platform.Tx) (platform.Operator, error) { return tx.Operator("审计员") })
	same(t, "operator", got, want)
	want.Role, want.MustChangePassword, want.Disabled, want.PasswordChangedAt = platform.OperatorAdmin, false, false, at(9)
	putOperators(t, s, want)
	got = get(t, s, func(tx platform.Tx) (platform.Operator, error) { return tx.Operator("审计员") })
	same(t, "replaced operator", got, want)

	sess := operatorSession("h1", "审计员", 0, 720)
	sess.LastSeenAt = at(7).Add(3 * time.Millisecond)
	putOperatorSessions(t, s, sess)
	gotSess, err := getOperatorSession(t, s, "h1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "session with its last use", gotSess, sess)
}

func testDeleteOperatorSessionsOf(t *testing.T, s platform.Store) {
	putOperatorSessions(t, s, operatorSession("a1", "alice", 0, 10), operatorSession("a2", "alice", 0, 10),
		operatorSession("b1", "bob", 0, 10))
	var n int
	update(t, s, func(tx platform.Tx) (err error) {
		n, err = tx.DeleteOperatorSessionsOf("alice")
		return err
	})
	if n != 2 {
		t.Errorf("deleted %d sessions of alice, want 2", n)
	}
	for _, h := range []string{"a1", "a2"} {
		_, err := getOperatorSession(t, s, h)
		notFound(t, "a session of alice after DeleteOperatorSessionsOf", err)
	}
	if _, err := getOperatorSession(t, s, "b1"); err != nil {
		t.Errorf("bob's session: %v", err)
	}
	err := s.View(context.Background(), func(tx platform.Tx) error {
		_, err := tx.DeleteOperatorSessionsOf("bob")
		return err
	})
	if err == nil {
		t.Error("DeleteOperatorSessionsOf in View succeeded")
	}
}
