package request

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the networks of the trusted proxies (the setting
// --trusted-proxies): only a request whose direct peer is inside one of
// them has its forwarding headers believed. The zero value trusts none,
// so the client is always the peer.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a comma-separated list of CIDRs (a bare address is a
// network of one). An empty list trusts no proxy.
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return Proxies{}, fmt.Errorf("trusted proxy %q: not a CIDR or an address", s)
			}
			a = a.Unmap()
			p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		n, err := netip.ParsePrefix(s)
		if err != nil {
			return Proxies{}, fmt.Errorf("trusted proxy %q: %v", s, err)
		}
		if n.Addr().Is4In6() {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		p.nets = append(p.nets, n.Masked())
	}
	return p, nil
}

// String lists the networks as ParseProxies reads them.
func (p Proxies) String() string {
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// trusts reports whether a is inside one of the networks.
func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client of r and whether it used
// HTTPS. Without a trusted peer they are the peer's host and whether the
// connection is TLS. When the peer is a trusted proxy, the forwarding
// chain (Forwarded, else X-Forwarded-For) is read from the right: the
// client is the rightmost address that is not itself a trusted proxy (or
// the leftmost one when all are), and the scheme is the last proto the
// proxies reported (Forwarded proto=, else X-Forwarded-Proto). An entry
// that is not an address (a hidden or "unknown" node) ends the walk at
// the last address read.
func (p Proxies) Client(r *http.Request) (client string, secure bool) {
	client, secure = PeerAddr(r), r.TLS != nil
	if len(p.nets) == 0 {
		return client, secure
	}
	peer, err := netip.ParseAddr(client)
	if err != nil || !p.trusts(peer) {
		return client, secure
	}
	chain, proto := forwarded(r.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		a, ok := parseNode(chain[i])
		if !ok {
			break
		}
		client = a.String()
		if !p.trusts(a) {
			break
		}
	}
	if proto != "" {
		secure = strings.EqualFold(proto, "https")
	}
	return client, secure
}

// forwarded returns the client chain (leftmost first) and the last proto
// of r's forwarding headers: Forwarded (RFC 7239) when present, else
// X-Forwarded-For and X-Forwarded-Proto.
func forwarded(h http.Header) (chain []string, proto string) {
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for elem := range strings.SplitSeq(line, ",") {
				for pair := range strings.SplitSeq(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok {
						continue
					}
					v = strings.Trim(v, `"`)
					switch strings.ToLower(k) {
					case "for":
						chain = append(chain, v)
					case "proto":
						proto = v
					}
				}
			}
		}
		return chain, proto
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for s := range strings.SplitSeq(line, ",") {
			if s = strings.TrimSpace(s); s != "" {
				chain = append(chain, s)
			}
		}
	}
	if ps := h.Values("X-Forwarded-Proto"); len(ps) > 0 {
		last := ps[len(ps)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		proto = strings.TrimSpace(last)
	}
	return chain, proto
}

// parseNode reads an address of a forwarding chain: "192.0.2.1",
// "192.0.2.1:4711", "[2001:db8::1]:4711", "2001:db8::1".
func parseNode(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
