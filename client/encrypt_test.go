package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// sentRequest is one request a fake platform received.
type sentRequest struct {
	code      string
	encrypted string
	body      []byte
}

// TestDataKeyEncryptsEveryCallButLogin: with Config.DataKey, the client
// sends every JSON call except login with encrypted: 0, data as a JSON
// string of Base64(IV ‖ SM4-CBC) and sign over that string (docs/protocol.md §7).
func TestDataKeyEncryptsEveryCallButLogin(t *testing.T) {
	key := []byte("0123456789abcdef")
	var mu sync.Mutex
	var sent []sentRequest
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		code := strings.TrimPrefix(r.URL.Path, protocol.PathPrefix)
		mu.Lock()
		sent = append(sent, sentRequest{code, r.Header.Get("encrypted"), body})
		mu.Unlock()
		var data any
		switch protocol.Interface(code) {
		case protocol.Login:
			data = []protocol.LoginResponse{{AccessToken: "0123456789abcdef0123456789abcdef"}}
		case protocol.HeartBeats:
			data = []protocol.HeartbeatResponse{{Timestamp: 1}}
		default:
			data = []protocol.RecordResponse{{ID: eventID("e", 1)}}
		}
		_ = json.NewEncoder(w).Encode(protocol.NewResponse(protocol.CodeOK, "", time.UnixMilli(1), data))
	}))
	defer fake.Close()
	c, err := client.New(client.Config{BaseURL: fake.URL, UserID: userID, Password: password, DataKey: key})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	item := enter(t, parkA, eventID("e", 1), plateNo(1), "2024-01-01 07:30:00")
	if _, err := c.EnterRecord(ctx, item); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 3 || sent[0].code != string(protocol.Login) {
		t.Fatalf("sent %d requests, want login, heartBeats, enterRecord", len(sent))
	}
	if sent[0].encrypted != "" {
		t.Errorf("login sent with encrypted: %q, want plaintext", sent[0].encrypted)
	}
	if _, items, err := protocol.ParseRequest(sent[0].body, 0); err != nil || len(items) != 1 {
		t.Errorf("login is not a plaintext request: %v", err)
	}
	for _, s := range sent[1:] {
		if s.encrypted != "0" {
			t.Errorf("%s sent with encrypted: %q, want 0", s.code, s.encrypted)
		}
		env, err := protocol.ParseEnvelope(s.body)
		if err != nil {
			t.Fatal(err)
		}
		signed, b64, err := protocol.EncryptedData(env.Data)
		if err != nil {
			t.Fatalf("%s: %v", s.code, err)
		}
		if !protocol.Verify(signed, env.Sign) {
			t.Errorf("%s: sign does not cover the Base64 string", s.code)
		}
		plain, err := protocol.DecryptData(key, b64)
		if err != nil {
			t.Fatalf("%s: %v", s.code, err)
		}
		if s.code == string(protocol.EnterRecordCode) {
			want, _ := json.Marshal([]protocol.EnterRecord{item})
			if !bytes.Equal(plain, want) {
				t.Errorf("decrypted %s, want %s", plain, want)
			}
		}
	}
}

func TestDataKeyMustBe16Bytes(t *testing.T) {
	for _, n := range []int{1, 15, 17, 32} {
		if _, err := client.New(client.Config{BaseURL: "http://x", UserID: userID, DataKey: make([]byte, n)}); err == nil {
			t.Errorf("a %d-byte DataKey is accepted", n)
		}
	}
}
