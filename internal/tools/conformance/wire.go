package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/protocol"
)

// HTTPClient returns the client a run talks through: TLS verification
// against the system roots, plus the PEM certificates of caFile when
// given, or none at all when insecure; timeout bounds each request.
func HTTPClient(insecure bool, caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if insecure {
		tr.TLSClientConfig.InsecureSkipVerify = true // the operator asked for it (--insecure)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// baseURL checks a peer's address and trims a trailing slash and
// /dataReceive/v1, so that both the host and the interface prefix work.
func baseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("URL %q: want http(s)://host[:port]", s)
	}
	b := strings.TrimRight(u.String(), "/")
	b = strings.TrimSuffix(b, strings.TrimRight(protocol.PathPrefix, "/"))
	return strings.TrimRight(b, "/"), nil
}

// conn is the HTTP side of a target: where it is, how to reach it, and
// what the check in progress sent and got.
type conn struct {
	base      string
	http      *http.Client
	exchanges []Exchange
	note      string
}

func (c *conn) recorder() *conn { return c }

// begin starts the record of a new check.
func (c *conn) begin() { c.exchanges, c.note = nil, "" }

// notef records a remark on the check in progress (shown even on a pass).
func (c *conn) notef(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if c.note != "" {
		n = c.note + "; " + n
	}
	c.note = n
}

// request is one HTTP request of a check.
type request struct {
	method      string // default POST
	path        string // e.g. /dataReceive/v1/login
	token       string // the authorization header; "" sends none
	contentType string // default application/json
	body        []byte
	shown       string // what the report shows instead of body, for multipart
}

// send sends rq, records the exchange and parses the answer. A transport
// failure is an error; any answer, whatever its status, is a reply.
func (c *conn) send(ctx context.Context, rq request) (*reply, error) {
	if rq.method == "" {
		rq.method = http.MethodPost
	}
	if rq.contentType == "" && rq.method == http.MethodPost {
		rq.contentType = "application/json"
	}
	x := Exchange{Method: rq.method, URL: c.base + rq.path, Headers: map[string]string{}}
	if rq.shown != "" {
		x.Sent = rq.shown
	} else {
		x.Sent = shown(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, c.base+rq.path, bytes.NewReader(rq.body))
	if err != nil {
		return nil, err
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	if rq.token != "" {
		req.Header.Set("Authorization", rq.token)
		x.Headers["authorization"] = mask(rq.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		x.Error = err.Error()
		c.exchanges = append(c.exchanges, x)
		return nil, fmt.Errorf("%s %s: no answer: %w", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	x.Status = resp.StatusCode
	x.Received = shown(body)
	c.exchanges = append(c.exchanges, x)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", rq.method, rq.path, err)
	}
	return parseReply(resp.StatusCode, body), nil
}

// shown is a body as the report keeps it: text, truncated.
func shown(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("<%d bytes, not UTF-8>", len(b))
	}
	return truncate(string(b), storeBodyMax)
}

// mask hides most of a token in reports.
func mask(tok string) string {
	prefix := ""
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		prefix, tok = tok[:7], tok[7:]
	}
	if len(tok) <= 6 {
		return prefix + "***"
	}
	return prefix + tok[:6] + "…"
}

// reply is an answer: its status and body, and the response envelope of
// table 29 when the body is one.
type reply struct {
	status    int
	body      []byte
	code      protocol.Code
	message   string
	timestamp json.RawMessage
	data      json.RawMessage
	// envErr says why the body is not a response envelope; nil when it is.
	envErr error
}

func parseReply(status int, body []byte) *reply {
	r := &reply{status: status, body: body}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(body, &f); err != nil || f == nil {
		r.envErr = errors.New("the body is not a JSON object")
		return r
	}
	raw, ok := f["code"]
	if !ok {
		r.envErr = errors.New("the envelope has no code")
		return r
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		r.envErr = fmt.Errorf("the envelope's code %s is not an integer", raw)
		return r
	}
	r.code = protocol.Code(n)
	if m, ok := f["message"]; ok {
		_ = json.Unmarshal(m, &r.message)
	}
	r.timestamp, r.data = f["timestamp"], f["data"]
	return r
}

// String describes the answer for a failure reason.
func (r *reply) String() string {
	if r.envErr != nil {
		return fmt.Sprintf("HTTP %d, %v", r.status, r.envErr)
	}
	if r.message == "" {
		return fmt.Sprintf("HTTP %d, code %d", r.status, int(r.code))
	}
	return fmt.Sprintf("HTTP %d, code %d %q", r.status, int(r.code), r.message)
}

// envelope fails unless the answer is HTTP 200 with a response envelope
// (docs/protocol.md §1: every request that reaches a known interface).
func (r *reply) envelope() error {
	if r.status != http.StatusOK {
		return fmt.Errorf("answered HTTP %d, want HTTP 200 with a response envelope (§1)", r.status)
	}
	if r.envErr != nil {
		return fmt.Errorf("answered HTTP 200 but %v (table 29)", r.envErr)
	}
	return nil
}

// wantOK fails unless the answer is an envelope with code 0.
func (r *reply) wantOK() error {
	if err := r.envelope(); err != nil {
		return err
	}
	if r.code != protocol.CodeOK {
		return fmt.Errorf("answered %s, want code 0", r)
	}
	return nil
}

// wantCode fails unless the answer is an envelope with code want whose
// message names path (docs/protocol.md §4), when path is not empty.
func (r *reply) wantCode(want protocol.Code, path string) error {
	if err := r.envelope(); err != nil {
		return err
	}
	if r.code != want {
		return fmt.Errorf("answered %s, want code %s", r, want)
	}
	if path != "" && !strings.Contains(r.message, path) {
		return fmt.Errorf("answered code %d as expected, but the message %q does not name %s (§4)", int(r.code), r.message, path)
	}
	return nil
}

// wantOneOf fails unless the answer's code is one of codes.
func (r *reply) wantOneOf(codes ...protocol.Code) error {
	if err := r.envelope(); err != nil {
		return err
	}
	for _, c := range codes {
		if r.code == c {
			return nil
		}
	}
	want := make([]string, len(codes))
	for i, c := range codes {
		want[i] = fmt.Sprint(int(c))
	}
	return fmt.Errorf("answered %s, want code %s", r, strings.Join(want, " or "))
}

// items decodes the answer's data array into v, a pointer to a slice,
// and checks it holds n items (n < 0: any number).
func (r *reply) items(v any, n int) error {
	if len(r.data) == 0 {
		return errors.New("the answer has no data (table 29: data is required)")
	}
	if err := json.Unmarshal(r.data, v); err != nil {
		return fmt.Errorf("the answer's data %s does not decode: %v", truncate(string(r.data), 200), err)
	}
	if n >= 0 {
		var elems []json.RawMessage
		_ = json.Unmarshal(r.data, &elems)
		if len(elems) != n {
			return fmt.Errorf("the answer's data has %d items, want %d (one per request item, §2)", len(elems), n)
		}
	}
	return nil
}

// envelopeBody writes a request envelope (table 28) around data, keeping
// data's bytes exactly as given so that its sign stays valid.
func envelopeBody(ts int64, sign string, data []byte) []byte {
	s, _ := json.Marshal(sign)
	v, _ := json.Marshal(protocol.Version)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"timestamp":%d,"sign":%s,"version":%s,"data":`, ts, s, v)
	b.Write(data)
	b.WriteByte('}')
	return b.Bytes()
}

// dataOf marshals items as a request's data array.
func dataOf(items ...any) []byte {
	if items == nil {
		items = []any{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(items); err != nil {
		panic(err) // the checks marshal only maps of plain values
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// Sign forms (docs/protocol.md §2): the canonical one and the lenient ones a
// platform must accept.
func signHex(data []byte) string { return protocol.Sign(data) }

func signUpper(data []byte) string { return strings.ToUpper(protocol.Sign(data)) }

func signBase64(data []byte) string {
	d := protocol.SM3(data)
	return base64.StdEncoding.EncodeToString(d[:])
}

// newID returns a fresh 32-character lowercase hex id (a Uuid, §3).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// plateChars are the characters of the serial part of a plate.
const plateChars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// newPlate returns a fresh, well-formed Shenzhen plate: 粤B and 5 characters.
func newPlate() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	s := []byte("粤B")
	for _, x := range b {
		s = append(s, plateChars[int(x)%len(plateChars)])
	}
	return string(s)
}

// randInt returns a random int in [0, n).
func randInt(n int) int {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) % n
}
