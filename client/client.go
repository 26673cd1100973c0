package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the platform's address, e.g. https://platform.example:8443.
	BaseURL string
	// UserID and Password are the account the operator issued; Password
	// is the plaintext, sent as Base64(SM3(plaintext)) (table 2).
	UserID   string
	Password string
	// HTTPClient carries the requests (TLS options go in its Transport);
	// nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// HeartbeatInterval is the heartbeat period (default 30 s, clause 6.2 b).
	HeartbeatInterval time.Duration
	// Now is the local clock (default time.Now).
	Now func() time.Time
	// Log receives the client's logs (default: discarded).
	Log *slog.Logger
	// DataKey, when set, is the account's 16-byte SM4 data key issued by
	// the operator: every JSON request except login is then sent encrypted
	// (header encrypted: 0, docs/protocol.md §7). Pictures are multipart and are
	// never encrypted.
	DataKey []byte
}

// Client talks to one platform as one account. It is safe for concurrent
// use.
type Client struct {
	cfg  Config
	http *http.Client

	mu     sync.Mutex
	token  string
	offset time.Duration // platform clock minus local clock
	login  chan struct{} // closed when a login in progress ends; nil when none
}

// New returns a client; it logs in on first use.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.UserID == "" {
		return nil, errors.New("client: BaseURL and UserID are required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 30 * time.Second
	}
	if cfg.DataKey != nil {
		if len(cfg.DataKey) != protocol.DataKeySize {
			return nil, fmt.Errorf("client: DataKey is %d bytes, want %d", len(cfg.DataKey), protocol.DataKeySize)
		}
		cfg.DataKey = append([]byte(nil), cfg.DataKey...)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// Keep enough idle connections for an outbox's parallel workers.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		hc = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// Now returns the platform's time as the client estimates it: the local
// clock corrected by the offset learnt from heartbeats (table 5).
func (c *Client) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Now().Add(c.offset)
}

// ClockOffset returns the platform's clock minus the local clock, as
// learnt from the last heartbeat.
func (c *Client) ClockOffset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Token returns the current access token ("" before login).
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// Login logs in (interface login, clause 6.1) and keeps the new token.
func (c *Client) Login(ctx context.Context) error {
	item := protocol.NewLoginRequest(c.cfg.UserID, c.cfg.Password)
	var out []protocol.LoginResponse
	if err := c.post(ctx, protocol.Login, "", []protocol.LoginRequest{item}, &out); err != nil {
		return err
	}
	if len(out) != 1 || out[0].AccessToken == "" {
		return &Error{Interface: protocol.Login, Code: protocol.CodeInternal, Message: "login answer has no accessToken"}
	}
	c.mu.Lock()
	c.token = out[0].AccessToken
	c.mu.Unlock()
	c.cfg.Log.Info("logged in", "userId", c.cfg.UserID)
	return nil
}

// ensureToken logs in when there is no token; concurrent callers share one
// login.
func (c *Client) ensureToken(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	if c.token != "" && c.token != stale {
		t := c.token
		c.mu.Unlock()
		return t, nil
	}
	if wait := c.login; wait != nil {
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return c.ensureToken(ctx, stale)
	}
	done := make(chan struct{})
	c.login = done
	c.mu.Unlock()
	err := c.Login(ctx)
	c.mu.Lock()
	c.login = nil
	t := c.token
	c.mu.Unlock()
	close(done)
	return t, err
}

// Heartbeat sends one heartbeat (table 4), refreshing the token, and learns
// the platform's clock from the answer (table 5).
func (c *Client) Heartbeat(ctx context.Context) error {
	sent := c.cfg.Now()
	item := protocol.HeartbeatRequest{RequestTime: protocol.NewDateTime(c.Now())}
	var out []protocol.HeartbeatResponse
	if err := c.call(ctx, protocol.HeartBeats, []protocol.HeartbeatRequest{item}, &out); err != nil {
		return err
	}
	if len(out) == 1 && out[0].Timestamp > 0 {
		c.learnClock(out[0].Timestamp, sent, c.cfg.Now())
	}
	return nil
}

// learnClock sets the clock offset from a platform timestamp (ms) received
// in answer to a request sent at sent and answered at recv (local times).
func (c *Client) learnClock(ms int64, sent, recv time.Time) {
	mid := sent.Add(recv.Sub(sent) / 2)
	c.mu.Lock()
	c.offset = time.UnixMilli(ms).Sub(mid)
	c.mu.Unlock()
}

// Run sends a heartbeat every interval until ctx ends, logging in again
// whenever the platform refuses the token or cannot be reached for long
// enough that it will have marked the account offline.
func (c *Client) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		if err := c.Heartbeat(ctx); err != nil && ctx.Err() == nil {
			c.cfg.Log.Warn("heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// call sends items to an interface with the current token, logging in
// first when needed and once more when the platform answers code 5.
func (c *Client) call(ctx context.Context, code protocol.Interface, items, out any) error {
	tok, err := c.ensureToken(ctx, "")
	if err != nil {
		return err
	}
	err = c.post(ctx, code, tok, items, out)
	if CodeOf(err) != protocol.CodeToken {
		return err
	}
	if tok, err = c.ensureToken(ctx, tok); err != nil {
		return err
	}
	return c.post(ctx, code, tok, items, out)
}

// post sends one signed envelope and decodes the answer's data into out.
func (c *Client) post(ctx context.Context, code protocol.Interface, token string, items, out any) error {
	data, err := json.Marshal(items)
	if err != nil {
		return err
	}
	sign := protocol.Sign(data)
	encrypt := c.cfg.DataKey != nil && code != protocol.Login
	if encrypt {
		// docs/protocol.md §7: data is a JSON string, Base64(IV ‖ SM4-CBC), and
		// sign covers that string's bytes (Base64 needs no escaping).
		b64, err := protocol.EncryptData(c.cfg.DataKey, data)
		if err != nil {
			return err
		}
		sign = protocol.Sign([]byte(b64))
		if data, err = json.Marshal(b64); err != nil {
			return err
		}
	}
	env := protocol.Request{Timestamp: protocol.Millis(c.Now()), Sign: sign, Version: protocol.Version, Data: data}
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+code.Path(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if encrypt {
		req.Header.Set(protocol.EncryptedHeader, protocol.EncryptedOn)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return c.do(req, code, out)
}

// do sends a request and reads the response envelope.
func (c *Client) do(req *http.Request, code protocol.Interface, out any) error {
	sent := c.cfg.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", code, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: reading answer: %w", code, err)
	}
	wait := retryAfter(resp.Header, c.cfg.Now())
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil {
		if resp.StatusCode == http.StatusTooManyRequests {
			return &Error{Interface: code, Code: protocol.CodeInternal, Message: "HTTP 429", RetryAfter: wait}
		}
		return fmt.Errorf("%s: HTTP %d, not a response envelope: %.200s", code, resp.StatusCode, raw)
	}
	if code == protocol.Login && env.Code == protocol.CodeOK && env.Timestamp > 0 {
		// Login is exempt from the timestamp window, so a lot with a wrong
		// clock learns the platform's time from its answer (table 29).
		c.learnClock(env.Timestamp, sent, c.cfg.Now())
	}
	if env.Code != protocol.CodeOK {
		if env.Code == protocol.CodeToken {
			c.dropToken(req.Header.Get("Authorization"))
		}
		return &Error{Interface: code, Code: env.Code, Message: env.Message, RetryAfter: wait}
	}
	if out == nil || len(env.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("%s: answer data: %w", code, err)
	}
	return nil
}

// dropToken forgets a token the platform refused.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}
