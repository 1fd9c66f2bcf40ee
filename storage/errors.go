package storage

import (
	"errors"
	"fmt"
)

// ErrorKind says what kind of failure an *Error is; the admin API maps it to an HTTP status.
type ErrorKind int

const (
	KindInvalid  ErrorKind = iota + 1 // 400: the input breaks a rule
	KindNotFound                      // 404
	KindConflict                      // 409: a duplicate, or a deletion blocked by something that depends on it
	KindStale                         // 412: If-Match named an older version
	KindLimit                         // 409: a count limit (services, stages, methods) is reached
)

// Error is a control-plane failure the caller can show to a person: a stable code, the offending field, a message
// that says what to fix.
type Error struct {
	Kind    ErrorKind
	Code    string // stable, snake_case: documented in docs/errors.md
	Field   string // the offending field, e.g. "path", "backend.path", "stages[1].backendUrl"; may be empty
	Message string
	Err     error // optional cause
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Stable error codes.
const (
	CodeInvalid         = "invalid_argument"
	CodeNotFound        = "not_found"
	CodeAlreadyExists   = "already_exists"
	CodeInUse           = "in_use"
	CodeVersionMismatch = "version_mismatch"
	CodeLimitExceeded   = "limit_exceeded"
	CodeNoMethods       = "no_methods"
	CodeNotApplied      = "resources_not_applied"
	CodeManaged         = "managed_by_plugin"
)

// Invalid returns a KindInvalid error for field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a KindNotFound error naming what was looked for.
func NotFound(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflict returns a KindConflict error with the given code.
func Conflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Stale returns the error for an If-Match that names an older version.
func Stale(what string, have, want int64) *Error {
	return &Error{Kind: KindStale, Code: CodeVersionMismatch,
		Message: fmt.Sprintf("%s is at version %d, not %d: read it again and retry", what, have, want)}
}

// Limit returns the error for a count limit.
func Limit(format string, args ...any) *Error {
	return &Error{Kind: KindLimit, Code: CodeLimitExceeded, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// WithField returns a copy of e whose field is prefix + "." + e.Field (or prefix alone), for errors raised inside
// nested input such as a declarative file.
func (e *Error) WithField(prefix string) *Error {
	c := *e
	switch {
	case c.Field == "":
		c.Field = prefix
	case prefix != "":
		c.Field = prefix + "." + c.Field
	}
	return &c
}
