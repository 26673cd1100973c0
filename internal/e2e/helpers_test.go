// Package e2e holds the end-to-end tests of parkd: each test starts a real
// server in-process (internal/testkit/testserver) on a loopback port over HTTPS
// with a manual clock, speaks the wire protocol of docs/protocol.md to it and
// reads back what was (or was not) stored through the server's Store.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// password is the plaintext password of every test account.
const password = "Parking@2024"

// Vendors of the tests.
const (
	vendorA = "vendorA"
	vendorB = "vendorB"
)

// Ids used across the tests: 32 characters of [0-9A-Za-z].
const (
	parkA   = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	parkB   = "b1b2c3d4e5f60718293a4b5c6d7e8f90"
	photoID = "11112222333344445555666677778888"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// start starts a parkd for the test with default settings.
func start(t *testing.T) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{})
}

// addAccount creates an account as testserver's AddAccount does, but
// with the cheapest bcrypt cost: the stored hash carries its cost, so the
// server checks it the same way, and the suite stays fast under -race.
// TestLoginReturnsAToken covers accounts made with the default cost.
func addAccount(t testing.TB, srv *testserver.Server, userID string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(protocol.PasswordDigest(password)), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	update(t, srv, func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: userID, PasswordHash: hash, CreatedAt: srv.Clock.Now()})
	})
}

// vendor adds an account and logs it in, returning its token.
func vendor(t *testing.T, srv *testserver.Server, userID string) string {
	t.Helper()
	addAccount(t, srv, userID)
	return srv.Login(t, userID, password)
}

// recordID returns the 32-character id of the n-th parking event of a test.
func recordID(n int) string { return fmt.Sprintf("%032d", n) }

// parkInfo returns a valid table 6 item for code.
func parkInfo(code string) protocol.ParkInfo {
	charging := 10
	return protocol.ParkInfo{
		ParkName:                     "福田中心停车场",
		ParkCode:                     code,
		PermitNo:                     "",
		ParkType:                     protocol.ParkTypeIndoor,
		Address:                      "深圳市福田区福华路1号",
		Longitude:                    114.0579,
		Latitude:                     22.5431,
		AreaCode:                     "440304",
		ServiceType:                  protocol.ServiceOffice,
		BizStatus:                    protocol.BizEnabled,
		TotalSpaces:                  100,
		TotalCharingSpaces:           &charging,
		Reservable:                   protocol.Yes,
		ReservableSpaces:             20,
		TotalReservableCharingSpaces: 2,
		ImageID:                      photoID,
		PublicInfos: []protocol.PublicInfo{
			{Type: protocol.BusinessAllDays, StartTime: protocol.MustTime("00:00:00"), EndTime: protocol.MustTime("23:59:59")},
		},
	}
}

// registerPark reports park code for the token's account and returns its
// isvParkId.
func registerPark(t *testing.T, srv *testserver.Server, token, code string) string {
	t.Helper()
	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(code)})
	wantOK(t, resp)
	out := decode[protocol.ParkInfoResponse](t, resp)
	if len(out) != 1 || !hex32.MatchString(out[0].IsvParkID) {
		t.Fatalf("parkInfo %s: data %s", code, resp.Data)
	}
	return out[0].IsvParkID
}

// dt parses a CST DateTime, failing the test on a bad constant.
func dt(t testing.TB, s string) protocol.DateTime {
	t.Helper()
	d, err := protocol.ParseDateTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cst returns the instant of a CST DateTime text.
func cst(t testing.TB, s string) time.Time { return dt(t, s).Time() }

// enter returns a valid table 11 item.
func enter(t testing.TB, park, id, plate, at string) protocol.EnterRecord {
	return protocol.EnterRecord{ParkCode: park, ID: id, PlateNo: plate, EnterTime: dt(t, at),
		EntryCarPhotoID: photoID, EntranceCode: "GATE01", EntranceName: "北门入口"}
}

// exit returns a valid table 13 item.
func exit(t testing.TB, park, id, plate, at string) protocol.ExitRecord {
	return protocol.ExitRecord{ParkCode: park, ID: id, PlateNo: plate, LeaveTime: dt(t, at),
		ExitCarPhotoID: photoID, ExitCode: "GATE02", ExitName: "南门出口"}
}

// entrance returns a valid table 9 item.
func entrance(park, code, name string) protocol.EntranceExitInfo {
	return protocol.EntranceExitInfo{ParkCode: park, Name: name, EntranceExitCode: code,
		Type: protocol.EntranceInOut, Longitude: 114.058, Latitude: 22.5432, Status: protocol.EntranceNormal}
}

// space returns a consistent table 17 item for a park of parkInfo.
func space(park string, used int) protocol.ParkSpaceInfo {
	return protocol.ParkSpaceInfo{ParkCode: park, UsedStalls: used, ReservedStalls: 0, UsedCharingStalls: 1,
		UnusedStalls: 100 - used, UnusedReservableStalls: 5, UnusedCharingStalls: 9}
}

// wantOK fails the test unless resp has code 0.
func wantOK(t testing.TB, resp protocol.Response) {
	t.Helper()
	if resp.Code != protocol.CodeOK {
		t.Fatalf("code %d %q, want 0", resp.Code, resp.Message)
	}
	if resp.Message != "成功" {
		t.Errorf("message %q, want 成功", resp.Message)
	}
}

// wantCode fails the test unless resp has code, a message that starts with
// the code's appendix-A text and contains each of parts, and empty data.
func wantCode(t testing.TB, resp protocol.Response, code protocol.Code, parts ...string) {
	t.Helper()
	if resp.Code != code {
		t.Fatalf("code %d %q, want %d", resp.Code, resp.Message, code)
	}
	if !strings.HasPrefix(resp.Message, code.Message()) {
		t.Errorf("message %q does not start with %q", resp.Message, code.Message())
	}
	for _, p := range parts {
		if !strings.Contains(resp.Message, p) {
			t.Errorf("message %q does not name %q", resp.Message, p)
		}
	}
	if string(resp.Data) != "[]" {
		t.Errorf("error data %s, want []", resp.Data)
	}
}

// wantData fails the test unless resp is code 0 with exactly the data
// bytes want.
func wantData(t testing.TB, resp protocol.Response, want string) {
	t.Helper()
	wantOK(t, resp)
	if string(resp.Data) != want {
		t.Errorf("data\n got %s\nwant %s", resp.Data, want)
	}
}

// decode unmarshals a response's data array.
func decode[T any](t testing.TB, resp protocol.Response) []T {
	t.Helper()
	var out []T
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatalf("data %s: %v", resp.Data, err)
	}
	return out
}

// view reads the store.
func view(t testing.TB, srv *testserver.Server, fn func(tx platform.Tx) error) {
	t.Helper()
	if err := srv.Store.View(context.Background(), fn); err != nil {
		t.Fatalf("store view: %v", err)
	}
}

// update writes the store directly, as an operator command does.
func update(t testing.TB, srv *testserver.Server, fn func(tx platform.Tx) error) {
	t.Helper()
	if err := srv.Store.Update(context.Background(), fn); err != nil {
		t.Fatalf("store update: %v", err)
	}
}

// record returns a stored record, and whether it exists.
func record(t testing.TB, srv *testserver.Server, kind platform.RecordKind, isvParkID, id string) (platform.Record, bool) {
	t.Helper()
	var r platform.Record
	found := true
	view(t, srv, func(tx platform.Tx) error {
		var err error
		r, err = tx.Record(kind, isvParkID, id)
		if platform.IsNotFound(err) {
			found = false
			return nil
		}
		return err
	})
	return r, found
}

// history returns the change history of an object.
func history(t testing.TB, srv *testserver.Server, object, isvParkID, key string) []platform.HistoryEntry {
	t.Helper()
	var h []platform.HistoryEntry
	view(t, srv, func(tx platform.Tx) error {
		var err error
		h, err = tx.History(object, isvParkID, key)
		return err
	})
	return h
}

// warnings returns the kinds of a park's data-quality warnings, oldest
// first, and the warnings themselves.
func warnings(t testing.TB, srv *testserver.Server, isvParkID string) ([]string, []platform.Warning) {
	t.Helper()
	var ws []platform.Warning
	view(t, srv, func(tx platform.Tx) error {
		var err error
		ws, err = tx.Warnings(isvParkID, 0)
		return err
	})
	kinds := make([]string, len(ws))
	for i, w := range ws {
		kinds[i] = w.Kind
	}
	return kinds, ws
}

// countKind counts the warnings of kind.
func countKind(kinds []string, kind string) int {
	n := 0
	for _, k := range kinds {
		if k == kind {
			n++
		}
	}
	return n
}

// envelope builds a request body around the exact bytes data.
func envelope(ts int64, sign string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"timestamp":%d,"sign":%q,"version":"1.0.0","data":`, ts, sign)
	b.Write(data)
	b.WriteByte('}')
	return b.Bytes()
}

// now returns the server clock in ms.
func now(srv *testserver.Server) int64 { return protocol.Millis(srv.Clock.Now()) }

// mustJSON marshals v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editItem marshals item, applies edit to its JSON object and returns the
// data array holding it.
func editItem(t testing.TB, item any, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, item), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, []any{m})
}

// postData sends data bytes signed correctly, stamped with the server
// clock.
func postData(t testing.TB, srv *testserver.Server, code protocol.Interface, token string, data []byte) protocol.Response {
	t.Helper()
	return srv.PostRaw(t, code, token, envelope(now(srv), protocol.Sign(data), data), nil)
}

// post sends body to code without a testing.T, for use from other
// goroutines.
func post(srv *testserver.Server, code protocol.Interface, token string, body []byte) (protocol.Response, error) {
	var resp protocol.Response
	req, err := http.NewRequest(http.MethodPost, srv.URL+code.Path(), bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	res, err := srv.Client.Do(req)
	if err != nil {
		return resp, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return resp, fmt.Errorf("POST %s: HTTP %d", code, res.StatusCode)
	}
	return resp, json.NewDecoder(res.Body).Decode(&resp)
}

// Pictures.

var (
	jpegOnce  sync.Once
	jpegBytes []byte
)

// testJPEG returns a JPEG of about 150 KB (between 100 and 500 KB), made
// from deterministic noise.
func testJPEG(t testing.TB) []byte {
	t.Helper()
	jpegOnce.Do(func() { jpegBytes = makeJPEG(150*1024, 1) })
	if n := len(jpegBytes); n < protocol.MinPictureBytes || n > protocol.MaxPictureBytes {
		t.Fatalf("test JPEG is %d bytes", n)
	}
	return jpegBytes
}

// otherJPEG returns a different JPEG of the same kind.
func otherJPEG(t testing.TB) []byte {
	t.Helper()
	b := makeJPEG(150*1024, 2)
	if bytes.Equal(b, testJPEG(t)) {
		t.Fatal("the two test JPEGs are equal")
	}
	return b
}

// makeJPEG encodes noise from seed, growing the image until the file is
// at least target bytes.
func makeJPEG(target int, seed uint32) []byte {
	for side := 128; ; side += 32 {
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		x := seed*2654435761 + 1
		for i := range img.Pix {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			img.Pix[i] = byte(x)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			panic(err)
		}
		if b.Len() >= target {
			return b.Bytes()
		}
	}
}

// tinyPNG returns a 4x4 PNG (well under 100 KB).
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < 4; i++ {
		img.Set(i, i, color.NRGBA{R: 200, G: 30, B: 30, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pictureFields returns valid table 15 text fields for file.
func pictureFields(srv *testserver.Server, park, id string, file []byte) map[string]string {
	return protocol.PictureForm{
		Timestamp: now(srv), Sign: protocol.Sign(file), Version: protocol.Version, ParkCode: park, ID: id,
		FileName: id + ".jpg", ImageBizType: protocol.ImagePlate, PickTime: now(srv) - 1000,
	}.Fields()
}

// multipartBody writes fields and, when file is not nil, the file part.
func multipartBody(t testing.TB, fields map[string]string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range []string{protocol.FormTimestamp, protocol.FormSign, protocol.FormVersion, protocol.FormParkCode,
		protocol.FormID, protocol.FormFileName, protocol.FormImageBizType, protocol.FormPickTime} {
		if v, ok := fields[k]; ok {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile(protocol.FormFile, fields[protocol.FormFileName])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// postPicture sends a multipart picture request.
func postPicture(t testing.TB, srv *testserver.Server, token string, fields map[string]string, file []byte) protocol.Response {
	t.Helper()
	body, ct := multipartBody(t, fields, file)
	status, raw := srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), token, ct, body, nil)
	if status != http.StatusOK {
		t.Fatalf("POST picture: HTTP %d: %s", status, raw)
	}
	var resp protocol.Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("POST picture: %v: %s", err, raw)
	}
	return resp
}

// picture returns a stored picture's metadata, and whether it exists.
func picture(t testing.TB, srv *testserver.Server, userID, park, id string) (platform.Picture, bool) {
	t.Helper()
	var p platform.Picture
	found := true
	view(t, srv, func(tx platform.Tx) error {
		var err error
		p, err = tx.Picture(userID, park, id)
		if platform.IsNotFound(err) {
			found = false
			return nil
		}
		return err
	})
	return p, found
}

// blobExists reports whether the blob store holds data.
func blobExists(t testing.TB, srv *testserver.Server, data []byte) bool {
	t.Helper()
	got, err := srv.Blobs.Get(context.Background(), blob.Key(data))
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("blob %s holds other bytes", blob.Key(data))
	}
	return true
}

// ms formats a millisecond timestamp for a form field.
func ms(v int64) string { return strconv.FormatInt(v, 10) }
