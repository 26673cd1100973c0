package server

import (
	"crypto/tls"
	"net/http"
)

// closeAfterTransferEncoding answers every HTTP/1.x request that came
// with a Transfer-Encoding with "Connection: close", so the connection
// ends after the answer. net/http reads such a request's body by its
// chunks and drops any Content-Length beside them without telling the
// handler, so a request that carried both (the shape of request
// smuggling, where a proxy in front may have framed the body by
// Content-Length) cannot be told apart: RFC 9112 §6.1 requires closing
// after answering it, and closing after every chunked request does that.
// Bytes after the body are then never read as a second request.
// Clients of parkd send a Content-Length; a chunked one only opens a new
// connection for its next request.
func closeAfterTransferEncoding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// hstsMaxAge is a year, the least browsers' preload lists accept.
const hstsMaxAge = "max-age=31536000"

// withHSTS tells browsers to come back over HTTPS only
// (Strict-Transport-Security) on every answer given over TLS.
func withHSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", hstsMaxAge)
		}
		next.ServeHTTP(w, r)
	})
}

// aeadSuites are the TLS 1.2 cipher suites parkd offers: ECDHE with
// AES-GCM or ChaCha20-Poly1305 only, no CBC (TLS 1.3's are all AEAD and
// not configurable).
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}
