package e2e

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/parkd/parkd/protocol"
)

// TestSmuggledRequestIsNeverAnswered: a request with both Content-Length
// and Transfer-Encoding is answered with "Connection: close" and the
// connection then ends (RFC 9112 §6.1): the request written after its
// chunked body, which a proxy framing by Content-Length would have taken
// for part of the body, is never answered.
func TestSmuggledRequestIsNeverAnswered(t *testing.T) {
	srv := start(t)
	conn := dialTLS(t, srv)
	req := "POST " + protocol.HeartBeats.Path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
		"Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
		"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, env := readEnvelope(t, br)
	if resp.StatusCode != http.StatusOK || env.Code != protocol.CodeFormat {
		t.Errorf("first answer HTTP %d code %d, want 200 with code 2 (empty body)", resp.StatusCode, env.Code)
	}
	if !resp.Close {
		t.Errorf("first answer without Connection: close (header %q)", resp.Header.Get("Connection"))
	}
	second, err := http.ReadResponse(br, nil)
	if err == nil {
		t.Fatalf("the bytes after the body were answered as a request: HTTP %d", second.StatusCode)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("connection ended with %v", err)
	}
}

// TestChunkedRequestStillServed: a chunked request alone is served as
// before, on a connection that then closes.
func TestChunkedRequestStillServed(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	conn := dialTLS(t, srv)
	data := mustJSON(t, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}})
	body := envelope(now(srv), protocol.Sign(data), data)
	chunk := []byte{}
	chunk = append(chunk, []byte(strconv.FormatInt(int64(len(body)), 16)+"\r\n")...)
	chunk = append(chunk, body...)
	chunk = append(chunk, "\r\n0\r\n\r\n"...)
	head := "POST " + protocol.HeartBeats.Path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
		"Authorization: " + token + "\r\nTransfer-Encoding: chunked\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), chunk...)); err != nil {
		t.Fatal(err)
	}
	resp, env := readEnvelope(t, bufio.NewReader(conn))
	wantOK(t, env)
	if !resp.Close {
		t.Error("chunked request answered without Connection: close")
	}
}
