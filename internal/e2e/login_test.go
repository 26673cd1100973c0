package e2e

import (
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

func TestLoginReturnsAToken(t *testing.T) {
	srv := start(t)
	srv.AddAccount(t, vendorA, password)
	resp := srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)})
	wantOK(t, resp)
	out := decode[protocol.LoginResponse](t, resp)
	if len(out) != 1 || !hex32.MatchString(out[0].AccessToken) {
		t.Fatalf("login data %s, want one 32-hex accessToken", resp.Data)
	}
	if want := `[{"accessToken":"` + out[0].AccessToken + `"}]`; string(resp.Data) != want {
		t.Errorf("data %s, want %s", resp.Data, want)
	}
	if resp.Timestamp != now(srv) {
		t.Errorf("response timestamp %d, want the server clock %d", resp.Timestamp, now(srv))
	}
	// The token works.
	wantOK(t, srv.Post(t, protocol.HeartBeats, out[0].AccessToken, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}}))
}

// TestLoginWorkedExample sends the exact bytes of docs/protocol.md §10.
func TestLoginWorkedExample(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, "szpark001") // password Parking@2024
	data := []byte(`[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]`)
	body := envelope(now(srv), "ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39", data)
	resp := srv.PostRaw(t, protocol.Login, "", body, nil)
	wantOK(t, resp)
	if out := decode[protocol.LoginResponse](t, resp); len(out) != 1 || !hex32.MatchString(out[0].AccessToken) {
		t.Fatalf("data %s", resp.Data)
	}
}

func TestLoginRejections(t *testing.T) {
	tests := []struct {
		name   string
		userID string
		pass   string // the wire password
	}{
		{"wrong password", vendorA, protocol.PasswordDigest("wrong")},
		{"unknown user", "nobody", protocol.PasswordDigest(password)},
		{"plaintext password", vendorA, password},
		{"malformed password", vendorA, "not base64 !"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t)
			addAccount(t, srv, vendorA)
			resp := srv.Post(t, protocol.Login, "", []protocol.LoginRequest{{UserID: tc.userID, Password: tc.pass}})
			wantCode(t, resp, protocol.CodeLogin)
			if resp.Message != "用户名或密码错误" {
				t.Errorf("message %q says more than the appendix-A text", resp.Message)
			}
			view(t, srv, func(tx platform.Tx) error {
				a, err := tx.Account(vendorA)
				if err != nil {
					return err
				}
				if a.Online {
					t.Error("a failed login put the account online")
				}
				return nil
			})
		})
	}
}

func TestLoginLocksOutAfterFiveFailures(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	addAccount(t, srv, vendorB)
	bad := []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, "guess")}
	good := []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)}
	for i := 0; i < 5; i++ {
		if i > 0 {
			srv.Clock.Advance(time.Minute)
		}
		wantCode(t, srv.Post(t, protocol.Login, "", bad), protocol.CodeLogin)
	}
	// All test requests come from 127.0.0.1: the right password from
	// there is now refused, without saying why.
	resp := srv.Post(t, protocol.Login, "", good)
	wantCode(t, resp, protocol.CodeLogin)
	if resp.Message != "用户名或密码错误" {
		t.Errorf("locked login message %q", resp.Message)
	}
	// Another userId from the same address is not locked.
	srv.Login(t, vendorB, password)

	srv.Clock.Advance(14 * time.Minute)
	wantCode(t, srv.Post(t, protocol.Login, "", good), protocol.CodeLogin)
	srv.Clock.Advance(time.Minute) // 15 min after the fifth failure
	wantOK(t, srv.Post(t, protocol.Login, "", good))
}

func TestLoginSuccessResetsFailureCount(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	bad := []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, "guess")}
	for round := 0; round < 2; round++ {
		for i := 0; i < 4; i++ {
			wantCode(t, srv.Post(t, protocol.Login, "", bad), protocol.CodeLogin)
		}
		srv.Login(t, vendorA, password)
	}
}

func TestLoginDisabledAccount(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	update(t, srv, func(tx platform.Tx) error {
		a, err := tx.Account(vendorA)
		if err != nil {
			return err
		}
		a.Disabled = true
		return tx.PutAccount(a)
	})
	wantCode(t, srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)}), protocol.CodeLogin)
	// A token issued before is refused once the cached copy is re-read.
	srv.Clock.Advance(10 * time.Second)
	wantCode(t, srv.Post(t, protocol.HeartBeats, token, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:10")}}), protocol.CodeToken)
}

func TestLoginTakesOneItem(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	item := protocol.NewLoginRequest(vendorA, password)
	wantCode(t, srv.Post(t, protocol.Login, "", []protocol.LoginRequest{item, item}), protocol.CodeParam, "data")
	// A single object is a one-item array.
	wantOK(t, srv.Post(t, protocol.Login, "", item))
}

func TestHeartbeatReturnsServerClock(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	srv.Clock.Advance(30 * time.Second)
	resp := srv.Post(t, protocol.HeartBeats, token, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:30")}})
	wantData(t, resp, `[{"timestamp":1704067230000}]`)
	if want := protocol.Millis(cst(t, "2024-01-01 08:00:30")); resp.Timestamp != want {
		t.Errorf("envelope timestamp %d, want %d", resp.Timestamp, want)
	}
}

// TestClockExemptInterfaces: login and heartBeats accept any timestamp, so
// a system with a wrong clock can log in and learn the time; every other
// interface is held to the window.
func TestClockExemptInterfaces(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	dayAgo := now(srv) - int64(24*time.Hour/time.Millisecond)

	data := mustJSON(t, []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)})
	resp := srv.PostRaw(t, protocol.Login, "", envelope(dayAgo, protocol.Sign(data), data), nil)
	wantOK(t, resp)
	token := decode[protocol.LoginResponse](t, resp)[0].AccessToken

	data = mustJSON(t, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2023-12-31 08:00:00")}})
	resp = srv.PostRaw(t, protocol.HeartBeats, token, envelope(dayAgo, protocol.Sign(data), data), nil)
	wantData(t, resp, `[{"timestamp":1704067200000}]`)

	data = mustJSON(t, []protocol.ParkInfo{parkInfo(parkA)})
	resp = srv.PostRaw(t, protocol.ParkInfoCode, token, envelope(dayAgo, protocol.Sign(data), data), nil)
	wantCode(t, resp, protocol.CodeParam, "timestamp")
}
