// Package contract holds the server to its published contract,
// docs/openapi.yaml, in tests. Handler wraps the server's real router: every
// request a test makes and every answer the server gives are checked
// against the spec with pb33f's libopenapi-validator (OpenAPI 3.1, JSON
// Schema 2020-12), in strict mode, so a field, a status, a content type or
// a header the spec does not document fails the test that produced it.
//
// The rules, per exchange:
//
//   - the route and method must be in the spec;
//   - the answer's status must be documented for the operation, its
//     content type must be one the spec lists for that status, and its
//     body must match that media type's schema with no undeclared
//     property; a status documented without content must come with an
//     empty body;
//   - a request the spec calls invalid (a body against its schema, a
//     query parameter out of range, no credentials where they are needed)
//     must be refused with a 4xx: a server that accepts what its contract
//     forbids is as wrong as one that refuses what it allows. Requests are
//     only judged when the handler read their whole body (up to 1 MiB), so
//     tests of slow, cut or oversized bodies keep working;
//   - an operation marked `x-strict: false` (the spec document itself,
//     whose body is free-form JSON) is checked without strict mode;
//   - a websocket upgrade the server accepts is not checked further (its
//     messages are docs/protocol.md's, tested by the handheld and station
//     tests); one it refuses is an ordinary answer and checked.
//
// Spec loads and compiles the spec once per process. Counts reports how
// many exchanges were checked; with PICKWAVE_CONTRACT_LOG naming a file,
// each check appends "METHOD PATH STATUS" to it, for the figures of a
// whole `make test` run (the Makefile sums them).
package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// maxCapture bounds the request and response bytes kept for a check; a
// larger body is passed through unchecked.
const maxCapture = 8 << 20

// maxRequestCapture bounds the request body kept; tests of huge bodies
// are about limits, not the contract.
const maxRequestCapture = 1 << 20

// ignoredHeaders are response headers every answer may carry that the spec
// documents once, in its description of the browser and security headers,
// rather than on every response.
var ignoredHeaders = []string{
	"content-security-policy", "x-content-type-options", "x-frame-options",
	"referrer-policy", "cross-origin-opener-policy", "cross-origin-resource-policy",
	"permissions-policy", "strict-transport-security", "set-cookie", "retry-after",
	"location", "allow", "content-disposition", "www-authenticate", "idempotency-key",
	"x-pickwave-build",
}

// browserHeader says whether a request header is one a browser adds by
// itself (fetch metadata and client hints, Sec-*; Priority,
// Upgrade-Insecure-Requests, DNT): no spec declares them, and the checks
// leave them out of the request they judge.
func browserHeader(name string) bool {
	name = http.CanonicalHeaderKey(name)
	switch name {
	case "Priority", "Upgrade-Insecure-Requests", "Dnt", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions":
		return true
	}
	return strings.HasPrefix(name, "Sec-")
}

// A Spec is the loaded, compiled contract.
type Spec struct {
	// Path is the file it was read from.
	Path string

	mu     sync.Mutex // the validator's caches are not documented as safe for concurrent use
	valid  validator.Validator
	loose  validator.Validator // without strict mode, for operations marked x-strict: false
	model  *v3.Document
	opts   *config.ValidationOptions
	checks atomic.Int64
}

var loadOnce = sync.OnceValues(func() (*Spec, error) {
	return Load(specPath())
})

// Default returns the project's spec, docs/openapi.yaml, loaded once per
// process.
func Default() (*Spec, error) { return loadOnce() }

// specPath finds docs/openapi.yaml from this file's place in the module.
func specPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "openapi.yaml")
}

// Load reads and compiles the spec at path. It fails when the document is
// not a valid OpenAPI 3.1 description.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		return nil, fmt.Errorf("contract: parse %s: %w", path, err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("contract: build the model of %s: %w", path, err)
	}
	opts := []config.Option{
		config.WithStrictMode(),
		config.WithStrictIgnoredHeadersExtra(ignoredHeaders...),
		// The session cookie is a security scheme, which strict mode does
		// not count as declaring a cookie.
		config.WithStrictIgnorePaths("$.cookies.pickwave_session"),
		config.WithFormatAssertions(),
	}
	v, errs := validator.NewValidator(doc, opts...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("contract: compile %s: %w", path, joinErrors(errs))
	}
	loose, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("contract: compile %s: %w", path, joinErrors(errs))
	}
	s := &Spec{Path: path, valid: v, loose: loose, model: &model.Model, opts: config.NewValidationOptions(opts...)}
	return s, nil
}

// Validate checks the document itself against the OpenAPI 3.1 schema.
func (s *Spec) Validate() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, errs := s.valid.ValidateDocument()
	if ok {
		return nil
	}
	return describe(errs)
}

// Model is the spec's parsed model, for tests that walk its operations.
func (s *Spec) Model() *v3.Document { return s.model }

// Checks is the number of exchanges checked so far in this process.
func (s *Spec) Checks() int64 { return s.checks.Load() }

// An Exchange is one request and the answer to it, as a test saw them.
type Exchange struct {
	Request *http.Request
	// RequestBody is the body the handler read; RequestRead says it read
	// all of it, so the request can be judged.
	RequestBody []byte
	RequestRead bool

	Status   int
	Header   http.Header
	Body     []byte
	Complete bool // the whole body was captured
	Upgraded bool // the connection was hijacked for a websocket
}

// Check judges one exchange and returns what breaks the contract, nil
// when nothing does.
func (s *Spec) Check(x *Exchange) []string {
	if x.Upgraded {
		return nil
	}
	s.checks.Add(1)
	req := x.Request.Clone(x.Request.Context())
	for name := range req.Header {
		if browserHeader(name) {
			req.Header.Del(name)
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
	req.ContentLength = int64(len(x.RequestBody))

	s.mu.Lock()
	defer s.mu.Unlock()

	pathItem, perrs, template := paths.FindPath(req, s.model, s.opts)
	if pathItem == nil || len(perrs) > 0 {
		return s.checkUnknown(req, x, perrs)
	}
	logCheck(req.Method, template, x.Status)

	valid := s.valid
	if op := pathItem.GetOperations().GetOrZero(strings.ToLower(req.Method)); op != nil {
		if node := op.Extensions.GetOrZero("x-strict"); node != nil && node.Value == "false" {
			valid = s.loose
		}
	}
	var problems []string
	if x.RequestRead {
		if ok, errs := valid.ValidateHttpRequestWithPathItem(req, pathItem, template); !ok && x.Status < 400 {
			problems = append(problems, fmt.Sprintf("the spec refuses this request, but the server answered %d:", x.Status))
			problems = append(problems, describe(errs)...)
		}
	}
	if !x.Complete {
		return problems
	}
	res := &http.Response{
		StatusCode:    x.Status,
		Header:        x.Header,
		Body:          io.NopCloser(bytes.NewReader(x.Body)),
		ContentLength: int64(len(x.Body)),
		Request:       req,
	}
	if _, errs := valid.ValidateHttpResponse(req, res); len(errs) > 0 {
		problems = append(problems, describe(errs)...)
	}
	if len(x.Body) > 0 && req.Method != http.MethodHead && !documentsContent(pathItem, req.Method, x.Status) {
		problems = append(problems, fmt.Sprintf("status %d is documented without a body, but the server sent %d bytes (%s)",
			x.Status, len(x.Body), x.Header.Get("Content-Type")))
	}
	return problems
}

// checkUnknown judges an answer to a route the spec does not have. Under
// the API's prefixes (/api/, /ws/) it must be the one error shape with
// 404 (no such path) or 405 (no such method); the web UI's pages and
// files are not part of the contract and are not judged.
func (s *Spec) checkUnknown(req *http.Request, x *Exchange, perrs []*verrors.ValidationError) []string {
	if !strings.HasPrefix(req.URL.Path, "/api/") && !strings.HasPrefix(req.URL.Path, "/ws/") {
		s.checks.Add(-1)
		return nil
	}
	logCheck(req.Method, "(unknown)", x.Status)
	if x.Status != http.StatusNotFound && x.Status != http.StatusMethodNotAllowed {
		return append([]string{fmt.Sprintf("%s %s is not in the spec, yet the server answered %d", req.Method, req.URL.Path, x.Status)}, describe(perrs)...)
	}
	if !x.Complete {
		return nil
	}
	schema := s.model.Components.Schemas.GetOrZero("Error")
	if schema == nil {
		return []string{"the spec has no Error schema"}
	}
	if ok, errs := schema_validation.NewSchemaValidator(config.WithStrictMode()).ValidateSchemaBytes(schema.Schema(), x.Body); !ok {
		return append([]string{fmt.Sprintf("the %d answer to %s %s is not the Error shape", x.Status, req.Method, req.URL.Path)}, describe(errs)...)
	}
	return nil
}

// documentsContent says whether the operation documents a body for status
// (an undocumented status is reported by the validator already).
func documentsContent(item *v3.PathItem, method string, status int) bool {
	op := item.GetOperations().GetOrZero(strings.ToLower(method))
	if op == nil || op.Responses == nil {
		return true
	}
	r := op.Responses.Codes.GetOrZero(strconv.Itoa(status))
	if r == nil {
		r = op.Responses.Codes.GetOrZero(fmt.Sprintf("%dXX", status/100))
	}
	if r == nil {
		r = op.Responses.Default
	}
	return r == nil || r.Content != nil && r.Content.Len() > 0
}

func describe(errs []*verrors.ValidationError) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		line := e.Message
		if e.Reason != "" && e.Reason != e.Message {
			line += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			where := f.FieldPath
			if where == "" {
				where = "/" + strings.Join(f.InstancePath, "/")
			}
			line += fmt.Sprintf("\n\t\t%s: %s", where, f.Reason)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

var logMu sync.Mutex

// logCheck appends one line per check to $PICKWAVE_CONTRACT_LOG, if set.
func logCheck(method, template string, status int) {
	path := os.Getenv("PICKWAVE_CONTRACT_LOG")
	if path == "" {
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %s %d\n", method, template, status)
	f.Close()
}
