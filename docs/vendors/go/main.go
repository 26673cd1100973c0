// Command go is a parking system talking to parkd through the Go SDK
// (package client): login, heartbeat, a picture, parkInfo and enterRecord,
// an SM4-encrypted exitRecord, and the downlink receiver for reservation
// and cancelReservation. It does what the Java and JavaScript examples
// beside it do by hand; docs/vendors/go.md explains it, and the wire
// contract is docs/protocol.md.
//
// Run from the repository's root:
//
//	PARKD_URL=https://127.0.0.1:8443 PARKD_CA=data/tls/cert.pem \
//	PARKD_USER_ID=szpark001 PARKD_PASSWORD='Parking@2024' PARKD_PHOTO=photo.jpg \
//	[PARKD_DATA_KEY=<32 hex>] [PARKD_LISTEN=127.0.0.1:9090 PARKD_DOWNLINK_TOKEN=...] \
//	[PARKD_PARK_CODE=<32 characters>] go run ./docs/vendors/go
//
// With PARKD_LISTEN it then serves the downlink until standard input is
// closed (Ctrl-D) or the process is stopped, heartbeating every 30 s.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func setting(name string, required bool) string {
	v := os.Getenv(name)
	if v == "" && required {
		fmt.Fprintf(os.Stderr, "set %s (see the comment at the top of main.go)\n", name)
		os.Exit(2)
	}
	return v
}

// uuid returns a table 1 Uuid: 32 characters of [0-9a-f].
func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// httpClient trusts the platform's certificate (a PEM file): verification
// stays on.
func httpClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: 30 * time.Second}, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}, nil
}

func run() error {
	cfg := client.Config{
		BaseURL:  setting("PARKD_URL", true),
		UserID:   setting("PARKD_USER_ID", true),
		Password: setting("PARKD_PASSWORD", true), // the SDK sends Base64(SM3(plaintext))
	}
	hc, err := httpClient(setting("PARKD_CA", false))
	if err != nil {
		return err
	}
	cfg.HTTPClient = hc
	photo, err := os.ReadFile(setting("PARKD_PHOTO", true))
	if err != nil {
		return err
	}
	parkCode := setting("PARKD_PARK_CODE", false)
	if parkCode == "" {
		parkCode = uuid()
	}

	// The SDK's digests against docs/protocol.md §10.
	if got := protocol.PasswordDigest("Parking@2024"); got != "saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=" {
		return fmt.Errorf("known answer: password %s", got)
	}
	if got := protocol.Sign([]byte(`[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]`)); got != "ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39" {
		return fmt.Errorf("known answer: sign %s", got)
	}
	fmt.Println("known answers: ok")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	c, err := client.New(cfg)
	if err != nil {
		return err
	}
	if err := c.Login(ctx); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	fmt.Printf("login: code 0, accessToken of %d characters\n", len(c.Token()))
	if err := c.Heartbeat(ctx); err != nil {
		return fmt.Errorf("heartBeats: %w", err)
	}
	fmt.Printf("heartBeats: code 0, platform clock %d (ours differs by %d ms)\n",
		protocol.Millis(c.Now()), -c.ClockOffset().Milliseconds())

	// The tariff board's picture first: parkInfo cites it as imageId.
	tariff, err := c.Picture(ctx, client.Photo{ParkCode: parkCode, ID: uuid(), FileName: "photo.jpg",
		ImageBizType: protocol.ImageTariff, PickTime: time.Now(), Data: photo})
	if err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	fmt.Printf("picture %s: code 0\n", tariff.ID)

	parks, err := c.ParkInfo(ctx, protocol.ParkInfo{ParkName: "示例停车场", ParkCode: parkCode, ParkType: protocol.ParkTypeIndoor,
		Address: "深圳市福田区示例路1号", Longitude: 114.0579, Latitude: 22.5431, AreaCode: "440304",
		ServiceType: protocol.ServiceOffice, BizStatus: protocol.BizEnabled, TotalSpaces: 200,
		Reservable: protocol.Yes, ReservableSpaces: 10, ImageID: tariff.ID,
		PublicInfos: []protocol.PublicInfo{{Type: protocol.BusinessAllDays,
			StartTime: protocol.MustTime("00:00:00"), EndTime: protocol.MustTime("23:59:59")}}})
	if err != nil {
		return fmt.Errorf("parkInfo: %w", err)
	}
	fmt.Printf("parkInfo: code 0, isvParkId %s\n", parks[0].IsvParkID)

	entryPhoto, err := c.Picture(ctx, client.Photo{ParkCode: parkCode, ID: uuid(), FileName: "photo.jpg",
		ImageBizType: protocol.ImagePlate, PickTime: time.Now(), Data: photo})
	if err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	fmt.Printf("picture %s: code 0\n", entryPhoto.ID)

	id := uuid()
	now := time.Now()
	model, color := protocol.CarModelSmall, protocol.PlateBlue
	entries, err := c.EnterRecord(ctx, protocol.EnterRecord{ParkCode: parkCode, ID: id, PlateNo: "粤B12345",
		EnterTime: protocol.NewDateTime(now.Add(-time.Hour)), EntryCarPhotoID: entryPhoto.ID, EntranceCode: "GATE01",
		CarModel: &model, PlateColor: &color})
	if err != nil {
		return fmt.Errorf("enterRecord: %w", err)
	}
	fmt.Printf("enterRecord: code 0, id %s\n", entries[0].ID)

	if keyHex := setting("PARKD_DATA_KEY", false); keyHex != "" {
		// With DataKey every call but login goes encrypted (encrypted: 0).
		key, err := hex.DecodeString(keyHex)
		if err != nil {
			return fmt.Errorf("PARKD_DATA_KEY: %w", err)
		}
		sealed := cfg
		sealed.DataKey = key
		sc, err := client.New(sealed)
		if err != nil {
			return err
		}
		exits, err := sc.ExitRecord(ctx, protocol.ExitRecord{ParkCode: parkCode, ID: id, PlateNo: "粤B12345",
			LeaveTime: protocol.NewDateTime(now), ExitCarPhotoID: entryPhoto.ID, ExitCode: "GATE02"})
		if err != nil {
			return fmt.Errorf("exitRecord: %w", err)
		}
		fmt.Printf("exitRecord (encrypted): code 0, id %s\n", exits[0].ID)
	}

	listen := setting("PARKD_LISTEN", false)
	if listen == "" {
		fmt.Println("done")
		return nil
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	recv := &client.Receiver{Token: setting("PARKD_DOWNLINK_TOKEN", true), Handler: &lot{held: map[string]bool{}}}
	srv := &http.Server{Handler: logRefusals(recv), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("downlink: listening on http://%s\n", listen)
	go c.Run(ctx) // a heartbeat every 30 s, and a new login when needed

	_, _ = io.Copy(io.Discard, os.Stdin) // serve until standard input is closed
	stop()
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

// lot is this parking system's side of reservations: the orders it holds.
type lot struct {
	mu   sync.Mutex
	held map[string]bool
}

// Reserve holds a space: 0, or 1201 for an order it already holds.
func (l *lot) Reserve(_ context.Context, r protocol.Reservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	known := l.held[r.BookCode] && r.OperateType != protocol.OperateChange
	l.held[r.BookCode] = true
	if known {
		fmt.Printf("reservation %s %s %s operateType %d: answered 1201\n", r.BookCode, r.PlateNo, r.BookTime, r.OperateType)
		return protocol.FieldErrorf(protocol.CodeBookExists, "bookCode", "")
	}
	fmt.Printf("reservation %s %s %s operateType %d: answered 0\n", r.BookCode, r.PlateNo, r.BookTime, r.OperateType)
	return nil
}

// Cancel releases the space: 0, or 1104 for an order it does not know.
func (l *lot) Cancel(_ context.Context, r protocol.CancelReservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held[r.BookCode] {
		fmt.Printf("cancelReservation %s: answered 1104\n", r.BookCode)
		return protocol.FieldErrorf(protocol.CodeNoReservation, "bookCode", "")
	}
	delete(l.held, r.BookCode)
	fmt.Printf("cancelReservation %s: answered 0\n", r.BookCode)
	return nil
}

// logRefusals prints the calls the Receiver refused before they reached
// the lot (a wrong token 5, a wrong sign 6), then passes the answer on.
func logRefusals(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var env protocol.Response
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err == nil {
			switch env.Code {
			case protocol.CodeToken:
				fmt.Printf("%s: refused, code 5 (wrong downlink token)\n", strings.TrimPrefix(r.URL.Path, protocol.PathPrefix))
			case protocol.CodeSign:
				fmt.Printf("%s: refused, code 6 (sign does not match data)\n", strings.TrimPrefix(r.URL.Path, protocol.PathPrefix))
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
