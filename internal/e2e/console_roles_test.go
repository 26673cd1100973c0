package e2e

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/console"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Roles with separated duties, masked plates, the audit log and operator
// credentials (docs/console-api.md "Roles", "Audit log", "Passwords"),
// over HTTPS on the real server.

// The three operators of the role tests, one per role.
const (
	rolePassword = "Separate duties 42"
	adminName    = "管理员"
	watchName    = "值班员"
	auditorName  = "审计员"
)

// roleCity is a platform after a day of traffic: a reservable park with a
// photo, entries, exits, an exit without entry, an odd plate, a plate
// list, two orders (one waitlisted) and an off-peak order; and one
// operator of each role, signed in.
type roleCity struct {
	*bookingEnv
	bookCode string
	plates   []string // every plate the platform holds
	clients  map[string]*conClient
}

func startRoleCity(t *testing.T) *roleCity {
	t.Helper()
	e := startBooking(t, bookingOptions{free: 1})
	srv := e.srv
	token := srv.Login(t, bookVendor, password)
	jpg := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, jpg), jpg))
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), "粤B20001", "2024-01-01 07:00:00"),
		enter(t, parkA, recordID(2), "粤BD20002", "2024-01-01 07:10:00"),
		enter(t, parkA, recordID(3), "XYZ20003", "2024-01-01 07:20:00"),
	}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{
		exit(t, parkA, recordID(1), "粤B20001", "2024-01-01 07:40:00"),
		exit(t, parkA, recordID(9), "粤B20009", "2024-01-01 07:50:00"),
	}))
	wantOK(t, srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: "粤BD20002,粤B20007,QQ20008"}}))
	first := e.book(t, e.order("粤B30001", "2024-01-01 10:00:00"))
	e.deliver(t)
	e.lot.setFree(0)
	e.book(t, e.order("粤B30002", "2024-01-01 11:00:00"))
	e.deliver(t)
	// An off-peak order on a second park of the vendor.
	pb := parkInfo(parkB)
	pb.PermitNo = permitA
	isvB := conPark(t, srv, token, pb)
	op := offPeakAccount(t, srv, offPeakA)
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, op, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOnSale)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, op, []protocol.OffPeakOrder{order(t, isvB, "O1", "N1", protocol.OrderPaid)}))

	rc := &roleCity{bookingEnv: e, bookCode: first.BookCode, clients: map[string]*conClient{},
		plates: []string{"粤B20001", "粤BD20002", "XYZ20003", "粤B20009", "粤B20007", "QQ20008", "粤B30001", "粤B30002", "粤B12345"}}
	for role, name := range map[string]string{platform.OperatorAdmin: adminName, platform.OperatorWatch: watchName, platform.OperatorAuditor: auditorName} {
		srv.AddOperatorRole(t, name, rolePassword, role)
		rc.clients[role] = rc.signIn(t, name)
	}
	return rc
}

// signIn signs name in with a client of its own.
func (rc *roleCity) signIn(t *testing.T, name string) *conClient {
	t.Helper()
	c := newConClient(t, rc.srv)
	if st, b := c.login(t, name, rolePassword); st != 200 {
		t.Fatalf("login of %s: %d %s", name, st, b)
	}
	return c
}

// samplePath fills a route's wildcards with objects of the city.
func (rc *roleCity) samplePath(pattern string) (method, path string) {
	method, path, found := strings.Cut(pattern, " ")
	if !found { // the catch-all of unknown paths
		method, path = "GET", pattern+"no-such-route"
	}
	path = strings.NewReplacer("{isvParkId}", rc.isv, "{pictureId}", photoID, "{bookCode}", rc.bookCode).Replace(path)
	return method, path
}

// status sends method path as c and returns the status, reading the body
// only of answers that are not event streams.
func status(t *testing.T, c *conClient, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConsoleEveryRouteWithEveryRole calls each route of the console's
// table with each role, and without a session: the allowed roles get the
// route's answer, the others 403, nobody 401.
func TestConsoleEveryRouteWithEveryRole(t *testing.T) {
	rc := startRoleCity(t)
	table := console.AccessTable()
	if len(table) < 19 {
		t.Fatalf("the route table has %d routes", len(table))
	}
	// What an allowed call answers, when not 200.
	answers := map[string]int{"POST /console/api/logout": 204, "POST /console/api/password": 400, "/console/api/": 404}
	names := map[string]string{platform.OperatorAdmin: adminName, platform.OperatorWatch: watchName, platform.OperatorAuditor: auditorName}
	anonymous := newConClient(t, rc.srv)
	for _, a := range table {
		method, path := rc.samplePath(a.Pattern)
		if st := status(t, anonymous, method, path); st != 401 {
			t.Errorf("%s without a session: %d, want 401", a.Pattern, st)
		}
		for _, role := range platform.OperatorRoles {
			c := rc.clients[role]
			if a.Pattern == "POST /console/api/logout" {
				c = rc.signIn(t, names[role]) // keep the role's own session
			}
			want := http.StatusForbidden
			if slices.Contains(a.Roles, role) {
				want = cmpOr(answers[a.Pattern], 200)
			}
			if st := status(t, c, method, path); st != want {
				t.Errorf("%s as %s: %d, want %d", a.Pattern, role, st, want)
			}
		}
	}
	// The duties are separate: who may see what.
	want := map[string][]string{
		"GET /console/api/pictures/{isvParkId}/{pictureId}": {"admin"},
		"GET /console/api/parks/{isvParkId}":                {"admin", "operator"},
		"GET /console/api/audit":                            {"auditor"},
		"GET /console/api/audit.csv":                        {"auditor"},
		"GET /console/api/me":                               {"admin", "operator", "auditor"},
	}
	for _, a := range table {
		if w, ok := want[a.Pattern]; ok && !slices.Equal(a.Roles, w) {
			t.Errorf("%s: roles %v, want %v", a.Pattern, a.Roles, w)
		}
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// TestConsoleOperatorSeesNoWholePlate fetches every route an operator may
// use, the event stream included, and finds no plate whole in the bytes;
// the admin's answers have them.
func TestConsoleOperatorSeesNoWholePlate(t *testing.T) {
	rc := startRoleCity(t)
	fetchAll := func(c *conClient, role string) []byte {
		var all []byte
		for _, a := range console.AccessTable() {
			method, path := rc.samplePath(a.Pattern)
			if method != "GET" || !slices.Contains(a.Roles, role) || !strings.Contains(a.Pattern, " ") {
				continue
			}
			if strings.HasSuffix(path, "/events") {
				all = append(all, firstEvent(t, c, path)...)
				continue
			}
			queries := []string{""}
			switch {
			case strings.HasSuffix(path, "/reservations"):
				queries = []string{"", "?plate=%E7%B2%A4B30001", "?state=waitlisted"}
			case strings.HasSuffix(path, "/offpeak/orders"):
				queries = []string{"?date=2024-01-01"}
			}
			for _, q := range queries {
				resp, b := c.do(t, method, path+q, "", "")
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s%s as %s: %d %s", path, q, role, resp.StatusCode, b)
				}
				all = append(all, b...)
			}
		}
		return all
	}
	watched := fetchAll(rc.clients[platform.OperatorWatch], platform.OperatorWatch)
	for _, p := range rc.plates {
		if bytes.Contains(watched, []byte(p)) {
			t.Errorf("an operator's answers hold the whole plate %s", p)
		}
	}
	for _, masked := range []string{"粤B·***01", "粤B·****02", "XY·****03", "(粤B·***09) has no entry", "plate QQ·***08 fits no known format", "plate XY·****03 fits no known format",
		"粤B·***07", "粤B·***45"} {
		if !bytes.Contains(watched, []byte(masked)) {
			t.Errorf("an operator's answers lack the masked %s", masked)
		}
	}
	if bytes.Contains(watched, []byte("/console/api/pictures/")) {
		t.Error("an operator's answers cite a photo")
	}
	// The test can fail: an admin's answers hold every plate whole.
	seen := fetchAll(rc.clients[platform.OperatorAdmin], platform.OperatorAdmin)
	for _, p := range rc.plates {
		if !bytes.Contains(seen, []byte(p)) {
			t.Errorf("an admin's answers lack the plate %s", p)
		}
	}
	if !bytes.Contains(seen, []byte("/console/api/pictures/"+rc.isv+"/"+photoID)) {
		t.Error("an admin's park page cites no photo")
	}
}

// firstEvent reads the event stream at path up to its first event.
func firstEvent(t *testing.T, c *conClient, path string) []byte {
	t.Helper()
	resp, err := c.hc.Get(c.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	var out []byte
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		out = append(out, sc.Bytes()...)
		out = append(out, '\n')
		if sc.Text() == "" && len(out) > 1 {
			return out
		}
	}
	t.Fatalf("the event stream ended: %v", sc.Err())
	return nil
}

type auditRow struct {
	Seq                                                   int64
	At, Actor, Role, Addr, Action, Object, Result, Detail string
}

// auditLog reads the whole log as the auditor c.
func auditLog(t *testing.T, c *conClient, query string) []auditRow {
	t.Helper()
	var page struct {
		Entries []auditRow
		Next    int64
	}
	c.get(t, "/console/api/audit"+query, &page)
	return page.Entries
}

func findAudit(rows []auditRow, action, actor, result string) (auditRow, bool) {
	for _, r := range rows {
		if r.Action == action && r.Actor == actor && r.Result == result {
			return r, true
		}
	}
	return auditRow{}, false
}

// TestConsoleAuditLog: sign-ins and their failures, a photo view by an
// admin, a park page seen masked and a refused route are in the log with
// who, when, from where, what and the result; the auditor reads and
// exports it, the others cannot.
func TestConsoleAuditLog(t *testing.T) {
	rc := startRoleCity(t)
	admin, watch, auditor := rc.clients[platform.OperatorAdmin], rc.clients[platform.OperatorWatch], rc.clients[platform.OperatorAuditor]
	rc.srv.Clock.Advance(time.Minute)
	if st, _ := newConClient(t, rc.srv).login(t, watchName, "Not the password 1"); st != 401 {
		t.Fatalf("a wrong password: %d", st)
	}
	photo := "/console/api/pictures/" + rc.isv + "/" + photoID
	if resp, b := admin.do(t, "GET", photo, "", ""); resp.StatusCode != 200 || len(b) == 0 {
		t.Fatalf("photo as admin: %d", resp.StatusCode)
	}
	if st := status(t, watch, "GET", photo); st != 403 {
		t.Fatalf("photo as operator: %d", st)
	}
	if st := status(t, watch, "GET", "/console/api/parks/"+rc.isv); st != 200 {
		t.Fatalf("park as operator: %d", st)
	}
	rows := auditLog(t, auditor, "?since=2024-01-01T08:01:00%2B08:00")
	at := "2024-01-01T08:01:00.000+08:00"
	for _, want := range []auditRow{
		{Actor: watchName, Role: "", Addr: "127.0.0.1", Action: "console.login", Object: "", Result: "denied", Detail: "wrong name or password"},
		{Actor: adminName, Role: "admin", Addr: "127.0.0.1", Action: "view.photo", Object: "picture:" + rc.isv + "/" + photoID, Result: "ok", Detail: "plates unmasked"},
		{Actor: watchName, Role: "operator", Addr: "127.0.0.1", Action: "console.access", Object: "GET /console/api/pictures/{isvParkId}/{pictureId}", Result: "denied", Detail: "role operator"},
		{Actor: watchName, Role: "operator", Addr: "127.0.0.1", Action: "view.park", Object: "park:" + rc.isv, Result: "ok", Detail: "plates masked"},
	} {
		got, ok := findAudit(rows, want.Action, want.Actor, want.Result)
		want.Seq, want.At = got.Seq, at
		if !ok || got != want {
			t.Errorf("audit row\n got  %+v\n want %+v", got, want)
		}
	}
	all := auditLog(t, auditor, "")
	for _, name := range []string{adminName, watchName, auditorName} {
		if _, ok := findAudit(all, "console.login", name, "ok"); !ok {
			t.Errorf("no sign-in of %s in the log", name)
		}
	}
	if got := auditLog(t, auditor, "?actor="+adminName+"&limit=1"); len(got) != 1 || got[0].Actor != adminName {
		t.Errorf("one row of the admin: %+v", got)
	}

	// The export: CSV with the same rows, the reads themselves audited.
	resp, b := auditor.do(t, "GET", "/console/api/audit.csv", "", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("audit.csv: %d %v", resp.StatusCode, resp.Header)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || !slices.Equal(recs[0], audit.Header) {
		t.Fatalf("audit.csv: %v %v", err, recs[:1])
	}
	var photoRow []string
	for _, r := range recs[1:] {
		if r[5] == "view.photo" {
			photoRow = r
		}
	}
	if want := []string{adminName, "admin", "127.0.0.1", "view.photo", "picture:" + rc.isv + "/" + photoID, "ok"}; !slices.Equal(photoRow[2:8], want) || photoRow[1] != at {
		t.Errorf("photo row %v", photoRow)
	}
	if _, ok := findAudit(auditLog(t, auditor, ""), "audit.export", auditorName, "ok"); !ok {
		t.Error("the export is not in the log")
	}
	// Nobody else reads it, and nothing edits it.
	for _, c := range []*conClient{admin, watch} {
		for _, p := range []string{"/console/api/audit", "/console/api/audit.csv"} {
			if st := status(t, c, "GET", p); st != 403 {
				t.Errorf("%s by a non-auditor: %d", p, st)
			}
		}
	}
	for _, m := range []string{"DELETE", "PUT", "POST", "PATCH"} {
		if st := status(t, auditor, m, "/console/api/audit"); st != 404 && st != 405 {
			t.Errorf("%s /console/api/audit: %d, want no such route", m, st)
		}
	}
}

// operatorOf reads an operator from the store.
func operatorOf(t *testing.T, srv *testserver.Server, name string) platform.Operator {
	t.Helper()
	var op platform.Operator
	view(t, srv, func(tx platform.Tx) (err error) {
		op, err = tx.Operator(name)
		return err
	})
	return op
}

// changeOperator changes an operator as `parkd operator` does: the row,
// then every session of the operator ended unless keep.
func changeOperator(t *testing.T, srv *testserver.Server, name string, keep bool, change func(*platform.Operator)) {
	t.Helper()
	update(t, srv, func(tx platform.Tx) error {
		op, err := tx.Operator(name)
		if err != nil {
			return err
		}
		change(&op)
		if err := tx.PutOperator(op); err != nil {
			return err
		}
		if !keep {
			_, err = tx.DeleteOperatorSessionsOf(name)
		}
		return err
	})
}

func TestConsoleForcedPasswordChange(t *testing.T) {
	srv := start(t)
	srv.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
	changeOperator(t, srv, watchName, true, func(o *platform.Operator) { o.MustChangePassword = true })
	c := newConClient(t, srv)
	st, b := c.login(t, watchName, rolePassword)
	if st != 200 || string(b) != `{"name":"`+watchName+`","role":"operator","passwordChangeRequired":true,"reason":"new"}` {
		t.Fatalf("login: %d %s", st, b)
	}
	c.wantError(t, "/console/api/overview", 403, "password change required")
	var me struct{ PasswordChangeRequired bool }
	c.get(t, "/console/api/me", &me)
	if !me.PasswordChangeRequired {
		t.Error("me: no change required")
	}
	other := newConClient(t, srv)
	if st, _ := other.login(t, watchName, rolePassword); st != 200 {
		t.Fatal("a second session")
	}
	change := func(current, next string) (int, string) {
		body, _ := json.Marshal(map[string]string{"current": current, "new": next})
		resp, b := c.do(t, "POST", "/console/api/password", "application/json", string(body))
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		current, next string
		status        int
		part          string
	}{
		{"Wrong password 1", "Brand new pass 2", 403, "current password is wrong"},
		{rolePassword, rolePassword, 400, "must differ"},
		{rolePassword, "short", 400, "shorter than 12"},
		{rolePassword, "no digits or capitals", 400, "at least 3 of"},
	} {
		if st, b := change(tc.current, tc.next); st != tc.status || !strings.Contains(b, tc.part) {
			t.Errorf("change %q -> %q: %d %s; want %d naming %q", tc.current, tc.next, st, b, tc.status, tc.part)
		}
	}
	srv.Clock.Advance(time.Minute)
	if st, b := change(rolePassword, "Brand new pass 2"); st != 204 {
		t.Fatalf("change: %d %s", st, b)
	}
	var ov conOverview
	c.get(t, "/console/api/overview", &ov)
	if op := operatorOf(t, srv, watchName); op.MustChangePassword || !op.PasswordChangedAt.Equal(srv.Clock.Now()) {
		t.Errorf("after the change: %+v", op)
	}
	if st := status(t, other, "GET", "/console/api/me"); st != 401 {
		t.Errorf("the other session after a change: %d, want 401", st)
	}
	if st, _ := newConClient(t, srv).login(t, watchName, rolePassword); st != 401 {
		t.Error("the old password still signs in")
	}
	if st, b := newConClient(t, srv).login(t, watchName, "Brand new pass 2"); st != 200 || strings.Contains(string(b), `"passwordChangeRequired":true`) {
		t.Errorf("the new password: %d %s", st, b)
	}
	// Every attempt is in the log.
	var results []string
	view(t, srv, func(tx platform.Tx) error {
		es, err := tx.AuditEntries(platform.AuditFilter{Actor: watchName})
		for _, e := range es {
			if e.Action == "console.password" {
				results = append(results, e.Result+": "+e.Detail)
			}
		}
		return err
	})
	want := []string{"denied: wrong current password", "failed: same password", "failed: password is shorter than 12 characters",
		"failed: password must mix at least 3 of: lower-case letters, upper-case letters, digits, other characters", "ok: "}
	if !slices.Equal(results, want) {
		t.Errorf("password rows\n got  %q\n want %q", results, want)
	}
}

func TestConsolePasswordExpires(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{OperatorPasswordMaxAge: 30 * 24 * time.Hour}})
	srv.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
	srv.Clock.Advance(30*24*time.Hour - time.Minute)
	c := newConClient(t, srv)
	if st, b := c.login(t, watchName, rolePassword); st != 200 || strings.Contains(string(b), `"passwordChangeRequired":true`) {
		t.Fatalf("a minute before expiry: %d %s", st, b)
	}
	srv.Clock.Advance(time.Minute)
	// The same session now needs the change too.
	c.wantError(t, "/console/api/parks", 403, "password change required")
	st, b := newConClient(t, srv).login(t, watchName, rolePassword)
	if st != 200 || !strings.Contains(string(b), `"passwordChangeRequired":true,"reason":"expired"`) {
		t.Fatalf("login after expiry: %d %s", st, b)
	}
	body := `{"current":"` + rolePassword + `","new":"Another good one 3"}`
	if resp, b := c.do(t, "POST", "/console/api/password", "application/json", body); resp.StatusCode != 204 {
		t.Fatalf("change: %d %s", resp.StatusCode, b)
	}
	var out struct{ Parks []conParkItem }
	c.get(t, "/console/api/parks", &out)

	// A negative age never expires.
	never := testserver.Start(t, testserver.Options{Config: server.Config{OperatorPasswordMaxAge: -time.Second}})
	never.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
	never.Clock.Advance(10 * 365 * 24 * time.Hour)
	if st, b := newConClient(t, never).login(t, watchName, rolePassword); st != 200 || strings.Contains(string(b), `"passwordChangeRequired":true`) {
		t.Errorf("ten years on with no maximum age: %d %s", st, b)
	}
}

func TestConsoleIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration // the setting; 0 the default
		want time.Duration
	}{{0, 30 * time.Minute}, {10 * time.Minute, 10 * time.Minute}} {
		srv := testserver.Start(t, testserver.Options{Config: server.Config{ConsoleIdleTimeout: tc.idle}})
		srv.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
		c := newConClient(t, srv)
		c.login(t, watchName, rolePassword)
		// Used just inside the timeout, again and again, it lives on.
		for range 4 {
			srv.Clock.Advance(tc.want - time.Minute - time.Second)
			if st := status(t, c, "GET", "/console/api/me"); st != 200 {
				t.Fatalf("idle %v: me after %v unused: %d", tc.idle, tc.want-time.Minute-time.Second, st)
			}
		}
		srv.Clock.Advance(tc.want)
		if st := status(t, c, "GET", "/console/api/me"); st != 401 {
			t.Errorf("idle %v: me after %v unused: %d, want 401", tc.idle, tc.want, st)
		}
	}
	// The page's own refreshes are not uses: an unattended console ends.
	srv := start(t)
	srv.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
	c := newConClient(t, srv)
	c.login(t, watchName, rolePassword)
	refresh := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/console/api/overview", nil)
		req.Header.Set(console.RefreshHeader, "1")
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 29 {
		srv.Clock.Advance(time.Minute)
		if st := refresh(); st != 200 {
			t.Fatalf("a refresh %d min after the last use: %d", i+1, st)
		}
	}
	srv.Clock.Advance(time.Minute)
	if st := refresh(); st != 401 {
		t.Errorf("a refresh 30 min after the last use: %d, want 401", st)
	}
}

func TestConsoleDisableAndRoleChangeEndSessions(t *testing.T) {
	rc := startRoleCity(t)
	srv, watch := rc.srv, rc.clients[platform.OperatorWatch]
	// A new role ends the sessions; signed in again, the operator has it.
	changeOperator(t, srv, watchName, false, func(o *platform.Operator) { o.Role = platform.OperatorAdmin })
	if st := status(t, watch, "GET", "/console/api/me"); st != 401 {
		t.Fatalf("me after a role change: %d, want 401", st)
	}
	watch = rc.signIn(t, watchName)
	if st := status(t, watch, "GET", "/console/api/pictures/"+rc.isv+"/"+photoID); st != 200 {
		t.Errorf("photo after becoming admin: %d", st)
	}
	// Disabled: the session ends even if it were left in the store, and
	// signing in is refused (and audited).
	changeOperator(t, srv, watchName, true, func(o *platform.Operator) { o.Disabled = true })
	if st := status(t, watch, "GET", "/console/api/me"); st != 401 {
		t.Errorf("me of a disabled operator: %d, want 401", st)
	}
	if st, b := newConClient(t, srv).login(t, watchName, rolePassword); st != 403 || !strings.Contains(string(b), "disabled") {
		t.Errorf("login of a disabled operator: %d %s", st, b)
	}
	changeOperator(t, srv, watchName, false, func(o *platform.Operator) { o.Disabled = false })
	rc.signIn(t, watchName)
	rows := auditLog(t, rc.clients[platform.OperatorAuditor], "?actor="+watchName)
	if r, ok := findAudit(rows, "console.login", watchName, "denied"); !ok || r.Detail != "operator disabled" {
		t.Errorf("the refused sign-in: %+v", r)
	}
}

func TestAuditRetentionBelow180DaysIsRefused(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		age time.Duration
		ok  bool
	}{{0, true}, {180 * 24 * time.Hour, true}, {179 * 24 * time.Hour, false}, {time.Hour, false}} {
		cfg := server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}
		cfg.Retention.AuditAge = tc.age
		srv, err := server.New(cfg, nil, log)
		if err == nil {
			if srv.Config.Retention.AuditAge < audit.MinAge {
				t.Errorf("%v: kept %v", tc.age, srv.Config.Retention.AuditAge)
			}
			srv.Close()
		}
		if tc.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "--retain-audit") {
			t.Errorf("--retain-audit %v: %v", tc.age, err)
		}
	}
}

// TestConsoleOperatorSeesNoWholePlateAfterASimulatedRun: after a simulated
// run of lots with records, photos and bookings, every plate an admin sees
// on the console (records, plate lists, orders) appears in none of the
// operator's answers, the event stream included.
func TestConsoleOperatorSeesNoWholePlateAfterASimulatedRun(t *testing.T) {
	srv := fillWithSim(t)
	srv.AddOperatorRole(t, adminName, rolePassword, platform.OperatorAdmin)
	srv.AddOperatorRole(t, watchName, rolePassword, platform.OperatorWatch)
	admin, watch := newConClient(t, srv), newConClient(t, srv)
	admin.login(t, adminName, rolePassword)
	watch.login(t, watchName, rolePassword)

	// Every GET route of the operator, for every park and every order.
	paths := []string{"/console/api/overview", "/console/api/parks", "/console/api/vendors", "/console/api/waitlists",
		"/console/api/reservations?limit=5000", "/console/api/stats", "/console/api/stats.csv",
		"/console/api/offpeak/packages", "/console/api/offpeak/orders", "/console/api/offpeak/daily"}
	var parks struct{ Parks []struct{ IsvParkID string } }
	admin.get(t, "/console/api/parks", &parks)
	for _, p := range parks.Parks {
		paths = append(paths, "/console/api/parks/"+p.IsvParkID)
	}
	var orders struct{ Reservations []struct{ BookCode string } }
	admin.get(t, "/console/api/reservations?limit=5000", &orders)
	for _, o := range orders.Reservations {
		paths = append(paths, "/console/api/reservations/"+o.BookCode)
	}
	var seen, watched []byte
	plates := map[string]bool{}
	for _, p := range paths {
		_, b := admin.do(t, "GET", p, "", "")
		seen = append(seen, b...)
		collectPlates(b, plates)
		resp, w := watch.do(t, "GET", p, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s as operator: %d %s", p, resp.StatusCode, w)
		}
		watched = append(watched, w...)
	}
	watched = append(watched, firstEvent(t, watch, "/console/api/events")...)
	if len(plates) < 20 || len(orders.Reservations) == 0 {
		t.Fatalf("the run left %d plates and %d orders on the console", len(plates), len(orders.Reservations))
	}
	for p := range plates {
		if bytes.Contains(watched, []byte(p)) {
			t.Errorf("an operator's answers hold the whole plate %s", p)
		}
		if !bytes.Contains(watched, []byte(console.MaskPlate(p))) {
			t.Errorf("an operator's answers lack the masked %s", console.MaskPlate(p))
		}
	}
	if bytes.Contains(watched, []byte("/console/api/pictures/")) || !bytes.Contains(seen, []byte("/console/api/pictures/")) {
		t.Error("photos: the operator's answers cite one, or the admin's none")
	}
	t.Logf("%d plates of %d parks and %d orders checked in %d bytes", len(plates), len(parks.Parks), len(orders.Reservations), len(watched))
}

// collectPlates adds to plates every plate of a JSON answer: the values
// of plateNo, and the plate lists noEntry and missing.
func collectPlates(b []byte, plates map[string]bool) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch s := val.(type) {
				case string:
					if k == "plateNo" && s != "" {
						plates[s] = true
					}
				case []any:
					if k == "noEntry" || k == "missing" {
						for _, p := range s {
							if ps, ok := p.(string); ok {
								plates[ps] = true
							}
						}
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		walk(v)
	}
}
