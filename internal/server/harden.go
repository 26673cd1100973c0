package server

import "net/http"

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
