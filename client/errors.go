package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Error is a platform's answer other than code 0: the appendix-A code and
// the message as sent.
type Error struct {
	Interface protocol.Interface
	Code      protocol.Code
	Message   string
	// RetryAfter is how long the platform asked to wait before sending
	// again (its Retry-After header, with HTTP 429 and code 3 when it is
	// over a rate limit); zero when it did not say.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: code %d: %s", e.Interface, int(e.Code), e.Message)
}

// CodeOf returns the appendix-A code of err: the platform's code for an
// *Error, CodeOK for nil, and CodeInternal for transport and other
// failures (the request may not have reached the platform).
func CodeOf(err error) protocol.Code {
	if err == nil {
		return protocol.CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return protocol.CodeInternal
}

// IsRejection reports whether err is the platform refusing the data itself
// (a 1xxx code, or 2 or 4 naming something under data, such as a missing
// field), or the SDK's own check of an item refusing it: re-sending the
// same data cannot succeed, so an outbox sets it aside instead of
// retrying. A refusal of the envelope, such as a timestamp outside the
// platform's window (4), is not a rejection of the data.
func IsRejection(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return isDataRejection(err)
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code.IsDataError() || pe.Code == protocol.CodeParam || pe.Code == protocol.CodeFormat
}

// RetryAfterOf returns how long the platform asked to wait before the
// request that failed with err is sent again; zero when it did not ask.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
