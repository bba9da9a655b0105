package pickwave

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Error codes. They are part of the HTTP contract: the server maps each one
// to a status code and writes it in the JSON error body.
const (
	EINVALID      = "invalid"            // the request is malformed or breaks a rule
	EMETHOD       = "method_not_allowed" // the path exists, the method does not
	ENOTFOUND     = "not_found"          // the entity does not exist
	ECONFLICT     = "conflict"           // the request clashes with the current state
	EUNAUTHORIZED = "unauthorized"       // no or bad credentials
	EFORBIDDEN    = "forbidden"          // the caller's role may not do this
	EUNAVAILABLE  = "unavailable"        // a device or resource is temporarily unavailable
	EGONE         = "gone"               // it existed, and its record is no longer kept
	ETOOMANY      = "too_many_requests"  // too many failed logins: wait, then try again
	EINTERNAL     = "internal"           // a bug or an I/O failure; never shown in detail
)

// Error is an application error: a code the edge maps to a status, a message
// a person can read, and optional details (for example which fields are wrong).
type Error struct {
	Code    string
	Message string
	Details any
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("pickwave error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError names one field of a request and why it was refused.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// Line is the 1-based input line (CSV imports); zero elsewhere.
	Line int `json:"line,omitempty"`
}

// FieldErrors collects field-level validation failures.
type FieldErrors []FieldError

// Add records that field is wrong for the given reason.
func (fe *FieldErrors) Add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns nil when no field failed, else an EINVALID *Error whose
// details list every failed field.
func (fe FieldErrors) Err(message string) error {
	if len(fe) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Details: fe.bounded()}
}

// BoundedErrors collects field errors from input of any size, such as a
// CSV import: the first MaxFieldErrors in full (clipped), the rest only
// counted, so that neither collecting nor the error grows with the input.
// The zero value is empty and ready.
type BoundedErrors struct {
	listed FieldErrors
	more   int
}

// Add records a field error.
func (b *BoundedErrors) Add(f FieldError) {
	if len(b.listed) >= MaxFieldErrors {
		b.more++
		return
	}
	f.Field, f.Reason = Clip(f.Field), Clip(f.Reason)
	b.listed = append(b.listed, f)
}

// Empty reports whether no error was added.
func (b *BoundedErrors) Empty() bool { return len(b.listed) == 0 && b.more == 0 }

// Listed returns the errors kept in full.
func (b *BoundedErrors) Listed() FieldErrors { return b.listed }

// Err returns nil when no error was added, else an EINVALID *Error with
// the errors kept and an "and N more" entry for those only counted.
func (b *BoundedErrors) Err(message string) error {
	if b.Empty() {
		return nil
	}
	err := b.listed.Err(message).(*Error)
	if b.more > 0 {
		err.Details = append(err.Details.([]FieldError), FieldError{Field: "(more)", Reason: fmt.Sprintf("and %d more", b.more)})
	}
	return err
}

// Bounds on what an error echoes back of its input: a request cannot make
// its own error response large, however many or long its bad values are.
const (
	// MaxFieldErrors is the most field errors one error lists; a last
	// entry says how many more there were.
	MaxFieldErrors = 100
	// MaxEcho is the most bytes of a field name or reason shown.
	MaxEcho = 200
)

// bounded returns at most MaxFieldErrors entries, each clipped, and an
// "and N more" entry for the rest.
func (fe FieldErrors) bounded() []FieldError {
	n := min(len(fe), MaxFieldErrors)
	out := make([]FieldError, 0, n+1)
	for _, f := range fe[:n] {
		f.Field, f.Reason = Clip(f.Field), Clip(f.Reason)
		out = append(out, f)
	}
	if rest := len(fe) - n; rest > 0 {
		out = append(out, FieldError{Field: "(more)", Reason: fmt.Sprintf("and %d more", rest)})
	}
	return out
}

// Clip cuts s to at most MaxEcho bytes, at a character boundary, marking
// the cut with "…"; for quoting input in messages.
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	cut := MaxEcho - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ErrorCode returns the code of the application error in err's chain,
// "" for nil and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the application error in err's chain,
// or a generic message for internal errors, whose text is never shown.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorDetails returns the details of the application error in err's chain.
func ErrorDetails(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
