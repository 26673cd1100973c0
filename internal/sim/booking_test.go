package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testserver"
	"github.com/parkd/parkd/protocol"
)

// TestBookingsReachTheLots books through the platform's booking API: the
// platform sends the order down to the simulator, a reservable lot holds
// a space, and the reserved vehicle comes with the bookCode, which the
// platform sees as the order's arrival.
func TestBookingsReachTheLots(t *testing.T) {
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}, Clock: testserver.RealClock()})
	ts.AddAccount(t, testUser, testPassword)
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 10, Rate: 2, Speed: 600,
		Seed: 21, Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	lot := httptest.NewServer(&client.Receiver{Token: "sim-downlink-token", Handler: s})
	defer lot.Close()
	key, secret := api.NewAPIKey("sim test", time.Now())
	ctx := context.Background()
	err = ts.Store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(testUser)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = lot.URL, "sim-downlink-token"
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.PutAPIKey(key)
	})
	if err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan *Summary, 1)
	go func() {
		sum, err := s.Run(runCtx)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()

	l := reservableLot(t, s)
	var isv string
	waitFor(t, "the lot reported with its vacancy", func() bool {
		_ = ts.Store.View(ctx, func(tx platform.Tx) error {
			p, err := tx.Park(testUser, l.code)
			if err == nil {
				if _, err = tx.Vacancy(p.IsvParkID); err == nil {
					isv = p.IsvParkID
				}
			}
			return nil
		})
		return isv != ""
	})
	book := map[string]any{"parkId": isv, "plateNo": "粤BD86420",
		"bookTime": protocol.NewDateTime(time.Now().Add(2 * time.Minute)).String()}
	resp := callBooking(t, ts, secret, http.MethodPost, "/api/v1/reservations", book)
	if resp.Code != protocol.CodeOK || len(resp.Data) == 0 {
		t.Fatalf("booking: %d %s", resp.Code, resp.Message)
	}
	code := resp.Data[0].BookCode
	var state string
	waitFor(t, "the reserved vehicle to arrive", func() bool {
		r := callBooking(t, ts, secret, http.MethodGet, "/api/v1/reservations/"+code, nil)
		if len(r.Data) == 1 {
			state = r.Data[0].State
		}
		return state == string(platform.ReservationArrived) || state == string(platform.ReservationCompleted)
	})
	stop()
	sum := <-done
	if sum == nil {
		t.FailNow()
	}
	if sum.Reservations.Accepted != 1 || sum.ReservedCame != 1 || sum.Depth != 0 {
		t.Fatalf("reservations %+v, came %d, depth %d", sum.Reservations, sum.ReservedCame, sum.Depth)
	}
}

type bookingResponse struct {
	Code    protocol.Code         `json:"code"`
	Message string                `json:"message"`
	Data    []api.ReservationView `json:"data"`
}

func callBooking(t *testing.T, ts *testserver.Server, secret, method, path string, body any) bookingResponse {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := ts.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bookingResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
