package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Encrypted data (docs/protocol.md §7, header encrypted: 0).

var (
	dataKey  = []byte("0123456789abcdef")
	otherKey = []byte("fedcba9876543210")
)

// encryptedHeader marks a request as encrypted.
var encryptedHeader = http.Header{"Encrypted": {"0"}}

// setDataKey gives userID's account a data key (nil for none) and sets
// whether it must encrypt, as parkd account set-key does.
func setDataKey(t testing.TB, srv *testserver.Server, userID string, key []byte, require bool) {
	t.Helper()
	update(t, srv, func(tx platform.Tx) error {
		a, err := tx.Account(userID)
		if err != nil {
			return err
		}
		a.DataKey, a.RequireEncryption = key, require
		return tx.PutAccount(a)
	})
	srv.API.ForgetAccount(userID)
}

// encrypt returns the Base64 text of items encrypted with key.
func encrypt(t testing.TB, key []byte, items any) string {
	t.Helper()
	b64, err := protocol.EncryptData(key, mustJSON(t, items))
	if err != nil {
		t.Fatal(err)
	}
	return b64
}

// postEncrypted sends b64 as an encrypted request's data, signed over its
// bytes.
func postEncrypted(t testing.TB, srv *testserver.Server, code protocol.Interface, token, b64 string) protocol.Response {
	t.Helper()
	body := envelope(now(srv), protocol.Sign([]byte(b64)), mustJSON(t, b64))
	return srv.PostRaw(t, code, token, body, encryptedHeader)
}

// encryptedFixture is parkFixture with a data key on vendorA's account.
func encryptedFixture(t *testing.T, require bool) (srv *testserver.Server, token, isv string) {
	t.Helper()
	srv, token, isv = parkFixture(t)
	setDataKey(t, srv, vendorA, dataKey, require)
	return srv, token, isv
}

// TestEncryptedSDKRoundTrip: an SDK with the account's key sends every
// call encrypted; the account requires it, so plaintext would be refused.
func TestEncryptedSDKRoundTrip(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	setDataKey(t, srv, vendorA, dataKey, true)
	c, err := client.New(client.Config{BaseURL: srv.URL, UserID: vendorA, Password: password,
		HTTPClient: srv.Client, Now: srv.Clock.Now, DataKey: dataKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	parks, err := c.ParkInfo(ctx, parkInfo(parkA))
	if err != nil || len(parks) != 1 {
		t.Fatalf("parkInfo: %v %v", parks, err)
	}
	res, err := c.EnterRecord(ctx, enter(t, parkA, recordID(1), " 粤b12345 ", "2024-01-01 07:30:00"))
	if err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	if len(res) != 1 || res[0].ID != recordID(1) {
		t.Errorf("enterRecord answer %+v", res)
	}
	r, ok := record(t, srv, platform.KindEnter, parks[0].IsvParkID, recordID(1))
	if !ok {
		t.Fatal("entry sent encrypted not stored")
	}
	if r.PlateNo != "粤B12345" {
		t.Errorf("plate %q, want 粤B12345", r.PlateNo)
	}

	// The same SDK without the key is refused by the requirement.
	plain, err := client.New(client.Config{BaseURL: srv.URL, UserID: vendorA, Password: password,
		HTTPClient: srv.Client, Now: srv.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = plain.EnterRecord(ctx, enter(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:40:00"))
	if client.CodeOf(err) != protocol.CodeParam || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("plaintext from an account that requires encryption: %v, want code 4 naming encrypted", err)
	}
	if _, ok := record(t, srv, platform.KindEnter, parks[0].IsvParkID, recordID(2)); ok {
		t.Error("refused plaintext entry stored")
	}
}

func TestEncryptedRequestStored(t *testing.T) {
	srv, token, isv := encryptedFixture(t, false)
	b64 := encrypt(t, dataKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	wantData(t, postEncrypted(t, srv, protocol.EnterRecordCode, token, b64), `[{"id":"`+recordID(1)+`"}]`)
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); !ok {
		t.Fatal("entry not stored")
	}
	// Without a requirement, plaintext still works for the account.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:40:00")}))
}

func TestEncryptedTamperedCiphertextStoresNothing(t *testing.T) {
	srv, token, isv := encryptedFixture(t, false)
	b64 := encrypt(t, dataKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	for name, at := range map[string]int{"last block": len(raw) - 1, "first ciphertext block": 16, "IV": 0} {
		t.Run(name, func(t *testing.T) {
			bad := bytes.Clone(raw)
			bad[at] ^= 0x01
			// The sign is recomputed, so only decryption can notice.
			resp := postEncrypted(t, srv, protocol.EnterRecordCode, token, base64.StdEncoding.EncodeToString(bad))
			wantCode(t, resp, protocol.CodeType, "data")
			if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
				t.Error("tampered entry stored")
			}
		})
	}
}

func TestEncryptedWrongKey(t *testing.T) {
	srv, token, isv := encryptedFixture(t, false)
	b64 := encrypt(t, otherKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	resp := postEncrypted(t, srv, protocol.EnterRecordCode, token, b64)
	wantCode(t, resp, protocol.CodeType, "data", "key")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("entry under a wrong key stored")
	}
}

func TestEncryptedBadData(t *testing.T) {
	srv, token, _ := encryptedFixture(t, false)
	for name, b64 := range map[string]string{
		"not Base64": "not*base64!",
		"empty":      "",
		"IV only":    base64.StdEncoding.EncodeToString(make([]byte, 16)),
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, postEncrypted(t, srv, protocol.ParkSpaceInfoCode, token, b64), protocol.CodeType, "data")
		})
	}
	// data must be a JSON string: a plaintext array under encrypted: 0 is 2.
	data := mustJSON(t, []protocol.ParkSpaceInfo{space(parkA, 1)})
	wantCode(t, srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, envelope(now(srv), protocol.Sign(data), data), encryptedHeader),
		protocol.CodeFormat, "data")
	// A plaintext that is JSON but not an array of objects is 2 as in §2.
	b64 := encrypt(t, dataKey, []int{1, 2})
	wantCode(t, postEncrypted(t, srv, protocol.ParkSpaceInfoCode, token, b64), protocol.CodeFormat, "data[0]")
}

// TestEncryptedItemsValidated: decrypted items go through the normal
// validation, with the normal paths.
func TestEncryptedItemsValidated(t *testing.T) {
	srv, token, isv := encryptedFixture(t, false)
	long := enter(t, parkA, recordID(2), strings.Repeat("A", 21), "2024-01-01 07:40:00")
	b64 := encrypt(t, dataKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00"), long})
	wantCode(t, postEncrypted(t, srv, protocol.EnterRecordCode, token, b64), protocol.CodeTooLong, "data[1].plateNo")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("batch with a bad item partly stored")
	}
}

func TestEncryptedSignMismatch(t *testing.T) {
	srv, token, isv := encryptedFixture(t, false)
	items := []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}
	b64 := encrypt(t, dataKey, items)
	for name, sign := range map[string]string{
		"sign of the plaintext":           protocol.Sign(mustJSON(t, items)),
		"sign of the quoted string":       protocol.Sign(mustJSON(t, b64)),
		"sign of another encrypted value": protocol.Sign([]byte(encrypt(t, dataKey, items))),
	} {
		t.Run(name, func(t *testing.T) {
			body := envelope(now(srv), sign, mustJSON(t, b64))
			wantCode(t, srv.PostRaw(t, protocol.EnterRecordCode, token, body, encryptedHeader), protocol.CodeSign, "sign")
		})
	}
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("entry with a bad sign stored")
	}
}

// TestEncryptedSignCoversBytesAsSent: the sign is over the bytes between
// the quotes as they stand in the body, escapes included.
func TestEncryptedSignCoversBytesAsSent(t *testing.T) {
	srv, token, _ := encryptedFixture(t, false)
	var b64 string
	for !strings.Contains(b64, "/") {
		b64 = encrypt(t, dataKey, []protocol.ParkSpaceInfo{space(parkA, 1)})
	}
	escaped := strings.ReplaceAll(b64, "/", `\/`)
	body := envelope(now(srv), protocol.Sign([]byte(escaped)), []byte(`"`+escaped+`"`))
	wantOK(t, srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, body, encryptedHeader))
	body = envelope(now(srv), protocol.Sign([]byte(b64)), []byte(`"`+escaped+`"`))
	wantCode(t, srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, body, encryptedHeader), protocol.CodeSign)
}

func TestEncryptionRequiredRefusesPlaintext(t *testing.T) {
	srv, token, isv := encryptedFixture(t, true)
	resp := srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	wantCode(t, resp, protocol.CodeParam, "encrypted")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("refused plaintext entry stored")
	}
	// encrypted: 1 is plaintext too.
	data := mustJSON(t, []protocol.ParkSpaceInfo{space(parkA, 1)})
	resp = srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, envelope(now(srv), protocol.Sign(data), data), http.Header{"Encrypted": {"1"}})
	wantCode(t, resp, protocol.CodeParam, "encrypted")
	// Heartbeats may stay plaintext, and login is never encrypted.
	wantOK(t, srv.Post(t, protocol.HeartBeats, token, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}}))
	srv.Login(t, vendorA, password)
	// Encrypted, the same entry is stored.
	b64 := encrypt(t, dataKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	wantOK(t, postEncrypted(t, srv, protocol.EnterRecordCode, token, b64))
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); !ok {
		t.Error("encrypted entry not stored")
	}
}

func TestEncryptedWithoutAccountKey(t *testing.T) {
	srv, token, isv := parkFixture(t)
	b64 := encrypt(t, dataKey, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	wantCode(t, postEncrypted(t, srv, protocol.EnterRecordCode, token, b64), protocol.CodeParam, "encrypted")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("entry stored")
	}
	// A key cleared later is the same.
	setDataKey(t, srv, vendorA, dataKey, false)
	setDataKey(t, srv, vendorA, nil, false)
	wantCode(t, postEncrypted(t, srv, protocol.EnterRecordCode, token, b64), protocol.CodeParam, "encrypted")
}

func TestEncryptedLoginRefused(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	setDataKey(t, srv, vendorA, dataKey, true)
	b64 := encrypt(t, dataKey, []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)})
	wantCode(t, postEncrypted(t, srv, protocol.Login, "", b64), protocol.CodeParam, "encrypted", "login")
	// Plaintext login works even when the account requires encryption.
	srv.Login(t, vendorA, password)
}

// TestEncryptedHeartbeat: heartBeats may be encrypted too.
func TestEncryptedHeartbeat(t *testing.T) {
	srv, token, _ := encryptedFixture(t, true)
	b64 := encrypt(t, dataKey, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}})
	resp := postEncrypted(t, srv, protocol.HeartBeats, token, b64)
	wantOK(t, resp)
	if out := decode[protocol.HeartbeatResponse](t, resp); len(out) != 1 || out[0].Timestamp != now(srv) {
		t.Errorf("heartbeat answer %s", resp.Data)
	}
}

// TestManyAccountsShareOneReadOfTheirSettings checks that the accounts'
// encryption settings and roles come from one shared read, not from a
// read per account: 40 lots that each send one request (as lots that only
// heartbeat every 30 s do) cost a few read transactions, not 40. The
// settings read at each login serve the account at once: a lot whose key
// was set after the shared read, just before it logged in, sends
// encrypted data in its first request.
func TestManyAccountsShareOneReadOfTheirSettings(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{MetricsToken: metricsToken}})
	// A first lot's heartbeat makes the server read the settings.
	if r := heartbeat(t, srv, vendor(t, srv, "early")); r.Code != 0 {
		t.Fatalf("heartbeat of the first lot: code %d %q", r.Code, r.Message)
	}
	const lots = 40
	tokens := make([]string, lots)
	for i := range tokens {
		userID := fmt.Sprintf("lot%03d", i)
		addAccount(t, srv, userID)
		if i == 0 {
			// Not setDataKey: it drops the server's cached settings, and
			// this lot must be served while the shared read predates its key.
			update(t, srv, func(tx platform.Tx) error {
				a, err := tx.Account(userID)
				if err != nil {
					return err
				}
				a.DataKey, a.RequireEncryption = dataKey, true
				return tx.PutAccount(a)
			})
		}
		tokens[i] = srv.Login(t, userID, password)
	}
	views := func() float64 { return sample(t, scrape(t, srv), `parkd_store_seconds_count{op="view"}`) }
	before := views()
	for i, tok := range tokens {
		if i == 0 {
			rt := protocol.NewDateTime(srv.Clock.Now())
			b64 := encrypt(t, dataKey, []protocol.HeartbeatRequest{{RequestTime: rt}})
			if r := postEncrypted(t, srv, protocol.HeartBeats, tok, b64); r.Code != 0 {
				t.Fatalf("encrypted heartbeat of the lot keyed before its login: code %d %q", r.Code, r.Message)
			}
			continue
		}
		if r := heartbeat(t, srv, tok); r.Code != 0 {
			t.Fatalf("heartbeat %d: code %d %q", i, r.Code, r.Message)
		}
	}
	// One read of the settings, one of the unavailable accounts, and the
	// scrape's own gauge sample at most; a read per lot would be 40.
	if n := views() - before; n > 4 {
		t.Errorf("%d lots' heartbeats took %v read transactions, want at most 4", lots, n)
	}
}
