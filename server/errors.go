package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// statusOf maps application error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	pickwave.EINVALID:      http.StatusBadRequest,
	pickwave.ENOTFOUND:     http.StatusNotFound,
	pickwave.EMETHOD:       http.StatusMethodNotAllowed,
	pickwave.ECONFLICT:     http.StatusConflict,
	pickwave.EUNAUTHORIZED: http.StatusUnauthorized,
	pickwave.EFORBIDDEN:    http.StatusForbidden,
	pickwave.EUNAVAILABLE:  http.StatusServiceUnavailable,
	pickwave.EGONE:         http.StatusGone,
	pickwave.ETOOMANY:      http.StatusTooManyRequests,
	pickwave.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON error shape every route returns.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// fail writes err as the JSON error shape and aborts the request. Internal
// errors are logged here, once, and shown without detail.
func (s *Server) fail(c *gin.Context, err error) {
	s.failStatus(c, 0, err)
}

// failStatus is fail with a status finer than the code's (415 for an
// invalid Content-Type); zero takes the code's.
func (s *Server) failStatus(c *gin.Context, status int, err error) {
	code := pickwave.ErrorCode(err)
	if code == pickwave.EINTERNAL {
		s.logger.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "err", err)
	}
	if status == 0 {
		var ok bool
		if status, ok = statusOf[code]; !ok {
			status = http.StatusInternalServerError
		}
	}
	if status == http.StatusServiceUnavailable {
		setRetryAfter(c.Writer.Header())
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{
		Code: code, Message: pickwave.ErrorMessage(err), Details: pickwave.ErrorDetails(err)}})
}

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// bindJSON decodes the request body strictly into v: unknown fields, wrong
// types, trailing data and oversized bodies are EINVALID errors that name
// the field.
func bindJSON(c *gin.Context, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would silently turn bytes that are not UTF-8 into
	// U+FFFD, storing text nobody sent.
	if !utf8.Valid(data) {
		return pickwave.Errorf(pickwave.EINVALID, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return pickwave.Errorf(pickwave.EINVALID, "The request body has data after the JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
		maxErr    *http.MaxBytesError
	)
	invalid := func(msg, field, reason string) error {
		e := &pickwave.Error{Code: pickwave.EINVALID, Message: msg}
		if field != "" {
			e.Details = []pickwave.FieldError{{Field: field, Reason: reason}}
		}
		return e
	}
	switch {
	case errors.Is(err, io.EOF):
		return invalid("The request body is empty; send a JSON object.", "", "")
	case errors.As(err, &maxErr):
		return invalid(fmt.Sprintf("The request body is larger than %d bytes.", maxErr.Limit), "", "")
	case errors.As(err, &syntaxErr):
		return invalid(fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset), "", "")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		return invalid("A field has the wrong type.", field, "must be "+jsonType(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid("The request has a field Pickwave does not know.", field, "is not a known field")
	case strings.Contains(err.Error(), "parsing time"):
		return invalid("A time is not in RFC 3339 form, such as 2026-11-26T17:00:00Z.", "", "")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("The request body is cut short.", "", "")
	}
	return invalid("The request body could not be read: "+err.Error(), "", "")
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}
