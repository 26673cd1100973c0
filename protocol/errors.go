package protocol

import (
	"errors"
	"fmt"
)

// Error is a protocol-level failure: an appendix-A code with a detail that
// starts with the field path when one applies, for example
// `data[3].plateNo (max 20)`. Its Message is what goes on the wire.
type Error struct {
	Code   Code
	Path   string // field path such as "data[3].plateNo"; empty when none applies
	Detail string // human-readable detail after the path
}

// Errorf returns an Error with a formatted detail and no field path.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an Error for the field at path.
func FieldErrorf(code Code, path, format string, args ...any) *Error {
	return &Error{Code: code, Path: path, Detail: fmt.Sprintf(format, args...)}
}

// Message is the wire message: the appendix-A text, then ": " and the path
// and detail when present.
func (e *Error) Message() string {
	d := e.detail()
	if d == "" {
		return e.Code.Message()
	}
	return e.Code.Message() + ": " + d
}

func (e *Error) detail() string {
	switch {
	case e.Path == "":
		return e.Detail
	case e.Detail == "":
		return e.Path
	default:
		return e.Path + " " + e.Detail
	}
}

func (e *Error) Error() string { return fmt.Sprintf("code %d: %s", int(e.Code), e.Message()) }

// Prefix returns a copy of e whose path is prefixed by prefix, joined with a
// dot unless the path starts with an index.
func (e *Error) Prefix(prefix string) *Error {
	c := *e
	switch {
	case c.Path == "":
		c.Path = prefix
	case c.Path[0] == '[':
		c.Path = prefix + c.Path
	default:
		c.Path = prefix + "." + c.Path
	}
	return &c
}

// CodeOf returns the code carried by err: the Code of an *Error in its
// chain, CodeOK for nil, and CodeInternal otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeInternal
}
