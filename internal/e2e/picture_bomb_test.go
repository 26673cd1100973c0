package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/parkd/parkd/protocol"
)

// The multipart bomb: a picture request of about 2 MiB made of 38,000
// parts named `file`. Answering it must cost neither the CPU of reading
// every part into a buffer the size of the body nor the time of reading
// the body at all when the caller has no token.

// bombParts is the number of `file` parts of the bomb.
const bombParts = 38000

// pictureBomb returns the bomb's body and its content type: parts of
// 53 bytes each (a one-letter boundary, an unquoted name, one byte).
func pictureBomb(t testing.TB) ([]byte, string) {
	t.Helper()
	part := "--b\r\nContent-Disposition: form-data; name=" + protocol.FormFile + "\r\n\r\nx\r\n"
	body := []byte(strings.Repeat(part, bombParts) + "--b--\r\n")
	if len(body) > protocol.MaxPictureBody {
		t.Fatalf("bomb of %d bytes is over the body limit", len(body))
	}
	return body, "multipart/form-data; boundary=b"
}

// readEnvelope reads one HTTP response from br and decodes its envelope.
func readEnvelope(t *testing.T, br *bufio.Reader) (*http.Response, protocol.Response) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("HTTP %d, not an envelope: %v: %s", resp.StatusCode, err, raw)
	}
	return resp, env
}

// TestPictureTokenCheckedBeforeBody: a picture request without a token is
// answered 5 from its headers alone. The client sends the headers and
// the first 64 KiB of the bomb, then ends its side of the connection:
// a server that reads the body first finds it cut short (code 2).
func TestPictureTokenCheckedBeforeBody(t *testing.T) {
	srv := start(t)
	bomb, ct := pictureBomb(t)
	conn := dialTLS(t, srv)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		protocol.PictureCode.Path(), ct, len(bomb))
	if _, err := conn.Write(append([]byte(head), bomb[:64<<10]...)); err != nil {
		t.Fatal(err)
	}
	if err := conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, env := readEnvelope(t, bufio.NewReader(conn))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200", resp.StatusCode)
	}
	wantCode(t, env, protocol.CodeToken)
}

// TestPictureBombWithoutToken: the whole bomb without an authorization
// header is answered 5, and the server still serves.
func TestPictureBombWithoutToken(t *testing.T) {
	srv := start(t)
	bomb, ct := pictureBomb(t)
	status, raw := srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), "", ct, bomb, nil)
	wantEnvelope(t, status, raw, protocol.CodeToken)
	wantHealthy(t, srv)
}

// TestPictureBombWithToken: with a valid token the bomb is refused at its
// second `file` part: 4 naming the field.
func TestPictureBombWithToken(t *testing.T) {
	srv, token, _ := parkFixture(t)
	bomb, ct := pictureBomb(t)
	status, raw := srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), token, ct, bomb, nil)
	wantEnvelope(t, status, raw, protocol.CodeParam, "file", "more than once")
	wantHealthy(t, srv)
}

// TestPictureFormBounds: a valid picture form with a second file part, a
// text field sent twice, a text field over 1 KiB or more than 16 parts is
// refused, and nothing is stored.
func TestPictureFormBounds(t *testing.T) {
	srv, token, _ := parkFixture(t)
	img := testJPEG(t)
	tests := []struct {
		name  string
		extra func(w *multipart.Writer)
		edit  func(f map[string]string)
		code  protocol.Code
		parts []string
	}{
		{"second file part", func(w *multipart.Writer) {
			fw, _ := w.CreateFormFile(protocol.FormFile, "again.jpg")
			fw.Write(img)
		}, nil, protocol.CodeParam, []string{"file", "more than once"}},
		{"text field twice", func(w *multipart.Writer) { w.WriteField(protocol.FormID, recordID(9)) },
			nil, protocol.CodeParam, []string{"id", "more than once"}},
		{"text field over 1 KiB", nil, func(f map[string]string) { f[protocol.FormFileName] = strings.Repeat("a", 1025) },
			protocol.CodeTooLong, []string{"fileName"}},
		{"17 parts", func(w *multipart.Writer) {
			for i := range 8 {
				w.WriteField(fmt.Sprintf("extra%d", i), "x")
			}
		}, nil, protocol.CodeFormat, []string{"16 parts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields := pictureFields(srv, parkA, photoID, img)
			if tc.edit != nil {
				tc.edit(fields)
			}
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			for _, k := range []string{protocol.FormTimestamp, protocol.FormSign, protocol.FormVersion, protocol.FormParkCode,
				protocol.FormID, protocol.FormFileName, protocol.FormImageBizType, protocol.FormPickTime} {
				w.WriteField(k, fields[k])
			}
			fw, _ := w.CreateFormFile(protocol.FormFile, "a.jpg")
			fw.Write(img)
			if tc.extra != nil {
				tc.extra(w)
			}
			w.Close()
			status, raw := srv.Do(t, http.MethodPost, protocol.PictureCode.Path(), token, w.FormDataContentType(), b.Bytes(), nil)
			wantEnvelope(t, status, raw, tc.code, tc.parts...)
			if _, ok := picture(t, srv, vendorA, parkA, photoID); ok {
				t.Error("refused picture stored")
			}
		})
	}
	// The same form without the extras is stored: the bounds leave a
	// valid picture alone.
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img))
}

// wantEnvelope fails the test unless the answer is HTTP 200 with an
// envelope of code naming parts.
func wantEnvelope(t *testing.T, status int, raw []byte, code protocol.Code, parts ...string) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", status, raw)
	}
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %v: %s", err, raw)
	}
	wantCode(t, env, code, parts...)
}
