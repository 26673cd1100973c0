package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// The vendors' examples (docs/vendors/) run against a real parkd over
// HTTPS, trusting its self-signed certificate from the PEM file: Java 17
// with Debian's BouncyCastle, and Node.js with sm-crypto from the
// committed lock file. Each logs in, heartbeats, sends two pictures,
// parkInfo, enterRecord and an SM4-encrypted exitRecord, then serves the
// downlink: the test books an order through the booking API, delivers it,
// cancels it and delivers the cancellation, and checks the example's
// output, the answer codes and the stored rows. Without java, the
// BouncyCastle jar, node or the example's node_modules the test skips,
// unless CI is set: then it fails.

const bcprovJar = "/usr/share/java/bcprov.jar"

var vendorsDir = filepath.Join("..", "..", "docs", "vendors")

// needTool skips (or, under CI, fails) the test when what is missing.
func needTool(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing (CI is set, so this fails instead of skipping)", what)
	}
	t.Skipf("%s is missing", what)
}

func haveCommand(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func haveFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestVendorExampleJava(t *testing.T) {
	needTool(t, haveCommand("java"), "java (JDK 17)")
	needTool(t, haveFile(bcprovJar), bcprovJar+" (apt-get install libbcprov-java)")
	runVendorExample(t, "java001", filepath.Join(vendorsDir, "java"), "java", "-cp", bcprovJar, "ParkdExample.java")
}

func TestVendorExampleJavaScript(t *testing.T) {
	dir := filepath.Join(vendorsDir, "javascript")
	needTool(t, haveCommand("node"), "node (Node.js 20)")
	needTool(t, haveFile(filepath.Join(dir, "node_modules", "sm-crypto", "package.json")),
		"docs/vendors/javascript/node_modules (run npm ci there)")
	runVendorExample(t, "js001", dir, "node", "example.js")
}

// TestVendorExampleGo runs the SDK's example program (docs/vendors/go),
// built with the go command that runs the tests.
func TestVendorExampleGo(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vendor-example")
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "../../docs/vendors/go").CombinedOutput(); err != nil {
		t.Fatalf("building docs/vendors/go: %v\n%s", err, out)
	}
	runVendorExample(t, "go001", t.TempDir(), bin)
}

// vendorRun is a running example: its output lines as they come.
type vendorRun struct {
	t     *testing.T
	lines chan string
	seen  []string
	ctx   context.Context
}

// expect waits for the next line matching re (other lines are kept for
// the failure message) and returns its submatches.
func (r *vendorRun) expect(re string) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	for {
		select {
		case line, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("the example ended before printing %q; it printed:\n%s", re, strings.Join(r.seen, "\n"))
			}
			r.seen = append(r.seen, line)
			if m := rx.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-r.ctx.Done():
			r.t.Fatalf("no line %q before the test's limit; the example printed:\n%s", re, strings.Join(r.seen, "\n"))
		}
	}
}

func runVendorExample(t *testing.T, userID, dir string, name string, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	srv := testserver.Start(t, testserver.Options{Clock: testserver.RealClock(), Config: server.Config{NoBackground: true}})
	key := []byte("0123456789abcdef")
	listen := testserver.FreeAddr(t)
	const downlinkToken = "downlink-token-of-the-example"
	addAccount(t, srv, userID)
	setDataKey(t, srv, userID, key, false)
	setCallback(t, srv, userID, "http://"+listen, downlinkToken)
	apiKey := addAPIKey(t, srv, "city app")
	photo := writePhoto(t)
	parkCode := platform.NewID()

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PARKD_URL="+srv.URL,
		"PARKD_CA="+filepath.Join(srv.Config.DataDir, "tls", "cert.pem"),
		"PARKD_USER_ID="+userID,
		"PARKD_PASSWORD="+password,
		"PARKD_PHOTO="+photo,
		"PARKD_DATA_KEY="+"30313233343536373839616263646566", // hex of key
		"PARKD_LISTEN="+listen,
		"PARKD_DOWNLINK_TOKEN="+downlinkToken,
		"PARKD_PARK_CODE="+parkCode,
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = stdin.Close()
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
		wg.Wait()
	})
	run := &vendorRun{t: t, lines: make(chan string, 100), ctx: ctx}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(run.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			run.lines <- sc.Text()
		}
	}()
	defer func() {
		if t.Failed() {
			t.Logf("stderr of the example:\n%s", stderr.String())
		}
	}()

	hex32 := `([0-9a-f]{32})`
	run.expect(`^known answers: ok$`)
	run.expect(`^login: code 0, accessToken of 32 characters$`)
	run.expect(`^heartBeats: code 0, platform clock \d+`)
	tariff := run.expect(`^picture ` + hex32 + `: code 0$`)[1]
	isv := run.expect(`^parkInfo: code 0, isvParkId ` + hex32 + `$`)[1]
	entryPhoto := run.expect(`^picture ` + hex32 + `: code 0$`)[1]
	entryID := run.expect(`^enterRecord: code 0, id ` + hex32 + `$`)[1]
	if exitID := run.expect(`^exitRecord \(encrypted\): code 0, id ` + hex32 + `$`)[1]; exitID != entryID {
		t.Errorf("the exit answered id %s, want the entry's %s", exitID, entryID)
	}
	run.expect(`^downlink: listening on http://` + regexp.QuoteMeta(listen) + `$`)

	// The receiver refuses a wrong token (5) and a wrong sign (6).
	item := []protocol.Reservation{{ParkCode: parkCode, BookCode: platform.NewID(), PlateNo: "粤B00001",
		BookTime: protocol.NewDateTime(time.Now().Add(time.Hour)), OverTime: protocol.NewDateTime(time.Now().Add(2 * time.Hour)),
		ObligatTime: 30, OperateType: protocol.OperateBook}}
	data := mustJSON(t, item)
	good := mustJSON(t, protocol.Request{Timestamp: protocol.Millis(time.Now()), Sign: protocol.Sign(data), Version: protocol.Version, Data: data})
	badSign := mustJSON(t, protocol.Request{Timestamp: protocol.Millis(time.Now()), Sign: protocol.Sign([]byte("[]")), Version: protocol.Version, Data: data})
	if code := downlinkCall(t, listen, "wrong-token", good); code != protocol.CodeToken {
		t.Errorf("a downlink with a wrong token: code %d, want 5", code)
	}
	run.expect(`^reservation: refused, code 5`)
	if code := downlinkCall(t, listen, downlinkToken, badSign); code != protocol.CodeSign {
		t.Errorf("a downlink with a wrong sign: code %d, want 6", code)
	}
	run.expect(`^reservation: refused, code 6`)

	// A booking goes down to the example, which holds a space (0).
	bookTime := time.Now().Add(time.Hour).In(protocol.CST).Format(protocol.DateTimeLayout)
	view := bookingCall(t, srv, apiKey, http.MethodPost, "/api/v1/reservations",
		map[string]any{"parkId": isv, "plateNo": "粤B65432", "bookTime": bookTime}, http.StatusCreated)
	if n, err := srv.Reservations.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("DeliverDue: %d sent, %v; want 1", n, err)
	}
	run.expect(`^reservation ` + view.BookCode + ` 粤B65432 ` + regexp.QuoteMeta(bookTime) + ` operateType 1: answered 0$`)
	if v := bookingCall(t, srv, apiKey, http.MethodGet, "/api/v1/reservations/"+view.BookCode, nil, http.StatusOK); v.State != string(platform.ReservationConfirmed) {
		t.Errorf("after the example answered 0 the order is %s, want confirmed; history %+v", v.State, v.History)
	}

	// Cancelled, the example is told and lets the space go (0).
	bookingCall(t, srv, apiKey, http.MethodDelete, "/api/v1/reservations/"+view.BookCode, nil, http.StatusOK)
	if n, err := srv.Reservations.DeliverDue(ctx); n != 1 || err != nil {
		t.Fatalf("DeliverDue of the cancellation: %d sent, %v; want 1", n, err)
	}
	run.expect(`^cancelReservation ` + view.BookCode + `: answered 0$`)
	if v := bookingCall(t, srv, apiKey, http.MethodGet, "/api/v1/reservations/"+view.BookCode, nil, http.StatusOK); v.State != string(platform.ReservationCancelled) {
		t.Errorf("the order is %s, want cancelled", v.State)
	}

	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	run.expect(`^done$`)
	for range run.lines {
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the example exited with %v", err)
	}

	checkVendorRows(t, srv, userID, parkCode, isv, []string{tariff, entryPhoto}, entryID, photo)
}

// checkVendorRows checks what the example stored: the park under its
// code with the isvParkId it was answered, both pictures with the photo's
// bytes, and the entry and the encrypted exit of one parking event.
func checkVendorRows(t *testing.T, srv *testserver.Server, userID, parkCode, isv string, pictures []string, entryID, photo string) {
	t.Helper()
	size := fileSize(t, photo)
	err := srv.Store.View(context.Background(), func(tx platform.Tx) error {
		p, err := tx.Park(userID, parkCode)
		if err != nil {
			return err
		}
		if p.IsvParkID != isv || !p.Reservable || p.BizStatus != 1 {
			t.Errorf("stored park %s: isvParkId %s reservable %v bizStatus %d; want %s, reservable, 1", parkCode, p.IsvParkID, p.Reservable, p.BizStatus, isv)
		}
		for _, id := range pictures {
			pic, err := tx.Picture(userID, parkCode, id)
			if err != nil {
				return err
			}
			if pic.Size != size || pic.Kind != "jpeg" {
				t.Errorf("stored picture %s: %d bytes of %s, want the photo's %d bytes of jpeg", id, pic.Size, pic.Kind, size)
			}
		}
		pair, err := tx.RecordPair(isv, entryID)
		if err != nil {
			return err
		}
		if !pair.HasEnter || !pair.HasExit || pair.Enter.PlateNo != "粤B12345" || pair.Exit.PlateNo != "粤B12345" {
			t.Errorf("stored records of %s: entry %v exit %v (%+v)", entryID, pair.HasEnter, pair.HasExit, pair)
		}
		if pair.HasExit && pair.Exit.Time.Sub(pair.Enter.Time) != time.Hour {
			t.Errorf("stored exit %s after the entry, want 1h", pair.Exit.Time.Sub(pair.Enter.Time))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the stored rows: %v", err)
	}
}

// downlinkCall posts a reservation body to the example's receiver and
// returns the answer's code.
func downlinkCall(t *testing.T, listen, token string, body []byte) protocol.Code {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+listen+protocol.ReservationCode.Path(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env protocol.Response
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatalf("the receiver's answer is not a response envelope: %v", err)
	}
	return env.Code
}

// bookingCall sends a booking API request and returns the one order of
// its answer, failing unless the HTTP status is want and the code 0.
func bookingCall(t *testing.T, srv *testserver.Server, key, method, path string, body any, want int) api.ReservationView {
	t.Helper()
	var b []byte
	if body != nil {
		b = mustJSON(t, body)
	}
	status, raw := srv.Do(t, method, path, "Bearer "+key, "application/json", b, nil)
	var resp struct {
		Code protocol.Code         `json:"code"`
		Data []api.ReservationView `json:"data"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || status != want || resp.Code != protocol.CodeOK || len(resp.Data) != 1 {
		t.Fatalf("%s %s: HTTP %d %s (%v), want %d and one order", method, path, status, raw, err, want)
	}
	return resp.Data[0]
}

// writePhoto writes a JPEG of noise between 100 KB and 500 KB (a picture
// the platform stores without a warning) and returns its path.
func writePhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 600, 400))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 400 {
		for x := range 600 {
			img.Set(x, y, color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(x), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	if n := buf.Len(); n < protocol.MinPictureBytes || n > protocol.MaxPictureBytes {
		t.Fatalf("the test photo is %d bytes, want %d-%d", n, protocol.MinPictureBytes, protocol.MaxPictureBytes)
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSize(t *testing.T, path string) int {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(st.Size())
}
