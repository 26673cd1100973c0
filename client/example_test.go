package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// A parking system logs in, keeps its token alive and reports an entry.
// (The platform address is a placeholder, so this example is not run.)
func ExampleNew() {
	c, err := client.New(client.Config{
		BaseURL:  "https://platform.example:8443",
		UserID:   "szpark001",
		Password: "Parking@2024", // sent as Base64(SM3(plaintext))
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := c.Login(ctx); err != nil {
		log.Fatalf("login: %v (code %d)", err, client.CodeOf(err))
	}
	go c.Run(ctx) // heartbeats every 30 s; learns the platform's clock

	enter, _ := protocol.ParseDateTime("2024-01-01 08:30:00")
	_, err = c.EnterRecord(ctx, protocol.EnterRecord{
		ParkCode:        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		ID:              "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		PlateNo:         "粤B12345",
		EnterTime:       enter,
		EntryCarPhotoID: "11112222333344445555666677778888",
		EntranceCode:    "GATE01",
	})
	if client.CodeOf(err) == protocol.CodeNoPark {
		log.Print("report the park (ParkInfo) before its records")
	}
}

// Records go through an Outbox, which writes each one to a local journal
// before it is sent and retries until the platform acknowledges it, across
// outages and restarts. (Not run: it needs a platform.)
func ExampleOpenOutbox() {
	c, err := client.New(client.Config{BaseURL: "https://platform.example:8443", UserID: "szpark001", Password: "Parking@2024"})
	if err != nil {
		log.Fatal(err)
	}
	o, err := client.OpenOutbox(client.OutboxConfig{Dir: "/var/lib/plms/outbox", Client: c})
	if err != nil {
		log.Fatal(err)
	}
	defer o.Close()

	leave, _ := protocol.ParseDateTime("2024-01-01 10:05:00")
	err = o.ExitRecord(protocol.ExitRecord{
		ParkCode:       "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		ID:             "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		PlateNo:        "粤B12345",
		LeaveTime:      leave,
		ExitCarPhotoID: "99990000111122223333444455556666",
		ExitCode:       "GATE02",
	})
	if err != nil { // invalid data (with its appendix-A code), or the disk failed
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		s := o.Stats()
		log.Printf("%d records waiting, the oldest for %v", s.Depth, s.OldestAge)
	}
	for _, r := range o.Rejected() { // refused by the platform for their content
		log.Printf("%s %s set aside: %d %s", r.Kind, r.ParkCode, r.Code, r.Message)
	}
}

// Duties sends the hourly plate lists and, at midnight CST, fetches the
// day's replenish list. (Not run: it needs a platform.)
func ExampleDuties() {
	c, err := client.New(client.Config{BaseURL: "https://platform.example:8443", UserID: "szpark001", Password: "Parking@2024"})
	if err != nil {
		log.Fatal(err)
	}
	d := &client.Duties{
		Client:       c,
		Parks:        func() []string { return []string{"a1b2c3d4e5f60718293a4b5c6d7e8f90"} },
		PlatesInside: func(park string) ([]string, error) { return []string{"粤B12345", "粤B54321"}, nil },
		Replenish: func(park string, day time.Time, plates []string) {
			log.Printf("re-send the records of %v for %s: %v", plates, protocol.NewDate(day), park)
		},
	}
	d.Run(context.Background())
}

// A heartbeat teaches the client the platform's clock. Here a stand-in
// platform runs an hour ahead of the parking system's clock.
func ExampleClient_Heartbeat() {
	local := time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data any
		switch r.URL.Path {
		case protocol.Login.Path():
			data = []protocol.LoginResponse{{AccessToken: "0123456789abcdef0123456789abcdef"}}
		case protocol.HeartBeats.Path():
			data = []protocol.HeartbeatResponse{{Timestamp: protocol.Millis(local.Add(time.Hour))}}
		}
		json.NewEncoder(w).Encode(protocol.NewResponse(protocol.CodeOK, "", local, data))
	}))
	defer platform.Close()

	c, err := client.New(client.Config{BaseURL: platform.URL, UserID: "szpark001", Password: "Parking@2024",
		Now: func() time.Time { return local }})
	if err != nil {
		panic(err)
	}
	if err := c.Heartbeat(context.Background()); err != nil { // logs in first
		panic(err)
	}
	fmt.Println(c.Token())
	fmt.Println(c.ClockOffset())
	fmt.Println(c.Now().In(protocol.CST).Format(protocol.DateTimeLayout))
	// Output:
	// 0123456789abcdef0123456789abcdef
	// 1h0m0s
	// 2024-01-01 09:00:00
}

// CodeOf reads the appendix-A code of any error; IsRejection tells data
// the platform refused (retrying cannot help) from a failure to reach it.
func ExampleCodeOf() {
	refused := fmt.Errorf("reporting entry: %w", &client.Error{Interface: protocol.EnterRecordCode,
		Code: protocol.CodeNoPark, Message: "车场不存在: data[0].parkCode"})
	unreachable := errors.New("dial tcp 10.0.0.1:8443: connection refused")

	fmt.Println(client.CodeOf(refused), client.IsRejection(refused))
	fmt.Println(client.CodeOf(unreachable), client.IsRejection(unreachable))
	fmt.Println(client.CodeOf(nil))
	// Output:
	// 1101 车场不存在 true
	// 3 其他错误 false
	// 0 成功
}

// exampleLot is a parking system's reservation logic.
type exampleLot struct{ free int }

func (l *exampleLot) Reserve(ctx context.Context, r protocol.Reservation) error {
	if l.free == 0 {
		return protocol.Errorf(protocol.CodeNoReservable, "park %s is full", r.ParkCode)
	}
	l.free--
	return nil
}

func (l *exampleLot) Cancel(ctx context.Context, r protocol.CancelReservation) error {
	l.free++
	return nil
}

// A parking system serves the downlink interfaces with a Receiver: it
// checks the token, the envelope, the sign and the items, and answers with
// the code the handler returns. Here the platform sends two orders for a
// park with one reservable space.
func ExampleReceiver() {
	lot := httptest.NewServer(&client.Receiver{Token: "downlink-token", Handler: &exampleLot{free: 1}})
	defer lot.Close()

	for _, bookCode := range []string{"BK20240101000001", "BK20240101000002"} {
		bookTime, _ := protocol.ParseDateTime("2024-01-01 09:00:00")
		overTime, _ := protocol.ParseDateTime("2024-01-01 10:00:00")
		order := protocol.Reservation{ParkCode: "a1b2c3d4e5f60718293a4b5c6d7e8f90", BookCode: bookCode,
			PlateNo: "粤B12345", BookTime: bookTime, OverTime: overTime, ObligatTime: 30, OperateType: 1}
		env, err := protocol.NewRequest(time.Now(), []protocol.Reservation{order})
		if err != nil {
			panic(err)
		}
		body, _ := json.Marshal(env)
		req, _ := http.NewRequest(http.MethodPost, lot.URL+protocol.ReservationCode.Path(), bytes.NewReader(body))
		req.Header.Set("Authorization", "downlink-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var answer protocol.Response
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Println(int(answer.Code), answer.Message, string(answer.Data))
	}
	// Output:
	// 0 成功 [{"bookCode":"BK20240101000001"}]
	// 1501 没有可预约车位: park a1b2c3d4e5f60718293a4b5c6d7e8f90 is full []
}
