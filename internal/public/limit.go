package public

import (
	"net"
	"net/http"
)

// clientAddr is the request's remote host. Forwarded headers are not
// trusted: behind a proxy, the proxy's own limits apply.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
