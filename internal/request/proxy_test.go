package request

import (
	"crypto/tls"
	"net/http"
	"testing"
)

func TestProxiesClient(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 192.0.2.1, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		proxies Proxies
		peer    string
		tls     bool
		header  http.Header
		client  string
		secure  bool
	}{
		{"no proxies: the peer", Proxies{}, "10.1.1.1:5", false, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, "10.1.1.1", false},
		{"untrusted peer", trusted, "198.51.100.1:5", false, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, "198.51.100.1", false},
		{"untrusted peer over TLS", trusted, "198.51.100.1:5", true, nil, "198.51.100.1", true},
		{"trusted peer, one hop", trusted, "10.1.1.1:5", false, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}, "203.0.113.7", true},
		{"trusted peer, no header", trusted, "10.1.1.1:5", false, nil, "10.1.1.1", false},
		{"rightmost untrusted of a chain", trusted, "192.0.2.1:5", false, http.Header{"X-Forwarded-For": {"198.51.100.9, 203.0.113.7, 10.2.2.2"}}, "203.0.113.7", false},
		{"chain over two header lines", trusted, "10.1.1.1:5", false, http.Header{"X-Forwarded-For": {"198.51.100.9", "203.0.113.7"}}, "203.0.113.7", false},
		{"every hop trusted: the leftmost", trusted, "10.1.1.1:5", false, http.Header{"X-Forwarded-For": {"10.3.3.3, 10.2.2.2"}}, "10.3.3.3", false},
		{"a hidden node ends the walk", trusted, "10.1.1.1:5", false, http.Header{"X-Forwarded-For": {"203.0.113.7, unknown, 10.2.2.2"}}, "10.2.2.2", false},
		{"Forwarded with port and proto", trusted, "10.1.1.1:5", false, http.Header{"Forwarded": {`for=198.51.100.9, for="203.0.113.7:4711";proto=https`}}, "203.0.113.7", true},
		{"Forwarded IPv6", trusted, "[2001:db8::1]:5", false, http.Header{"Forwarded": {`for="[2001:db8:cafe::17]:4711";proto=http`}}, "2001:db8:cafe::17", false},
		{"Forwarded wins over X-Forwarded-For", trusted, "10.1.1.1:5", false, http.Header{"Forwarded": {"for=203.0.113.7"}, "X-Forwarded-For": {"198.51.100.9"}}, "203.0.113.7", false},
		{"last X-Forwarded-Proto", trusted, "10.1.1.1:5", true, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https, http"}}, "203.0.113.7", false},
		{"IPv4-mapped peer", trusted, "[::ffff:10.1.1.1]:5", false, http.Header{"X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7", false},
	} {
		r := &http.Request{RemoteAddr: c.peer, Header: c.header}
		if r.Header == nil {
			r.Header = http.Header{}
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		client, secure := c.proxies.Client(r)
		if client != c.client || secure != c.secure {
			t.Errorf("%s: %q secure %v, want %q secure %v", c.name, client, secure, c.client, c.secure)
		}
	}
}

func TestParseProxies(t *testing.T) {
	p, err := ParseProxies(" 10.0.0.0/8 ,192.0.2.1,,::ffff:10.0.0.0/104")
	if err != nil || p.String() != "10.0.0.0/8,192.0.2.1/32,10.0.0.0/8" {
		t.Errorf("%q, %v", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.1/8/8"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if p, err := ParseProxies(""); err != nil || len(p.nets) != 0 {
		t.Errorf("empty: %v %v", p, err)
	}
}

func TestBeginAndNotes(t *testing.T) {
	r := &http.Request{RemoteAddr: "127.0.0.1:9", Header: http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}}
	if ClientAddr(r) != "127.0.0.1" || Secure(r) || RequestID(r.Context()) != "" {
		t.Errorf("outside the middleware: %q %v %q", ClientAddr(r), Secure(r), RequestID(r.Context()))
	}
	p, _ := ParseProxies("127.0.0.1")
	r, in := Begin(r, p)
	if len(in.ID) != 16 || RequestID(r.Context()) != in.ID || ClientAddr(r) != "203.0.113.7" || !Secure(r) {
		t.Errorf("after Begin: %+v", in)
	}
	SetInterface(r.Context(), "login")
	SetUser(r.Context(), "lot1")
	w := NewWriter(nil, in)
	NoteCode(w, 5)
	if in.Interface != "login" || in.User != "lot1" || in.Code != 5 {
		t.Errorf("notes: %+v", in)
	}
}
