package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pickwave/pickwave"
)

// DefaultMaxResponseBytes bounds what the client reads of one answer: far
// above the largest page of a thousand orders, far below a memory problem.
const DefaultMaxResponseBytes = 64 << 20

// Client talks to one Pickwave server. Its service fields are the API
// grouped as the root package's services.
type Client struct {
	// Orders, Inventory, Inbound, Planner, Waves, Stations, PrintJobs, Users,
	// Events and Pack call the API's routes; see the package doc for what each
	// implements.
	Orders    *OrderService
	Inventory *InventoryService
	Inbound   *InboundService
	Planner   *PlanService
	Waves     *WaveService
	Stations  *StationService
	PrintJobs *PrintJobService
	Users     *UserService
	Events    *EventService
	Pack      *PackService

	baseErr  error
	http     *http.Client
	maxBytes int64
	retries  int
	others   []string // WithServers, parsed in New

	mu      sync.Mutex
	token   string
	servers []*url.URL // the base URL first, then WithServers' and leaders named by standbys
	current int        // index in servers of the one that answered last
}

// Option sets up a Client in New.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc (its
// transport, timeouts, TLS settings) instead of a client with a 30 s
// timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithToken makes the client send token as its bearer token, for a token
// from `pickwave token` or an earlier login.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithMaxResponseBytes bounds what the client reads of one answer; n <= 0
// means DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option { return func(c *Client) { c.maxBytes = n } }

// WithServers names more servers of the same site (the other node of a
// highly available pair) by their base URLs. A call goes to the server
// that answered last, the base URL at first; when it cannot be reached
// (the connection is refused or cannot be made, so nothing was sent) or
// it is a standby, which answers 503 with nothing done and the leader's
// URL in X-Pickwave-Leader, the call is sent again at once to the leader,
// or else to the next server. The client then stays with the server that
// answered. A call whose body is a stream (a CSV import) is not sent
// twice. A URL that is not an absolute http or https URL makes every call
// fail with EINVALID.
func WithServers(urls ...string) Option {
	return func(c *Client) { c.others = append(c.others, urls...) }
}

// maxServers bounds the server list: the ones given, and leaders that
// standbys named which were not among them.
const maxServers = 16

// DefaultRetries is how often a call refused as overload is sent again.
const DefaultRetries = 3

// WithRetries sets how often a call is sent again after the server
// refused it with nothing done (429 too many requests from this address
// or 503 overloaded, with a Retry-After of at most 5 s, which it waits
// out); 0 never. Without this option, DefaultRetries.
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// New returns a client of the server at baseURL (for example
// "http://127.0.0.1:8080"; a path prefix is kept, for a server behind a
// proxy). A baseURL that is not an absolute http or https URL makes every
// call fail with EINVALID.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{http: &http.Client{Timeout: 30 * time.Second}, retries: DefaultRetries}
	for _, opt := range opts {
		opt(c)
	}
	for _, raw := range append([]string{baseURL}, c.others...) {
		u, err := parseBase(raw)
		if err != nil {
			c.baseErr = err
			break
		}
		c.addServer(u)
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxResponseBytes
	}
	c.Orders = &OrderService{c}
	c.Inventory = &InventoryService{c}
	c.Inbound = &InboundService{c}
	c.Planner = &PlanService{c}
	c.Waves = &WaveService{c}
	c.Stations = &StationService{c}
	c.PrintJobs = &PrintJobService{c}
	c.Users = &UserService{c}
	c.Events = &EventService{c}
	c.Pack = &PackService{c}
	return c
}

// parseBase parses a server's base URL.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, pickwave.Errorf(pickwave.EINVALID, "The server URL %q is not a URL: %v.", pickwave.Clip(raw), err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return nil, pickwave.Errorf(pickwave.EINVALID, "The server URL %q must be http:// or https:// with a host.", pickwave.Clip(raw))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u, nil
}

// addServer adds u to the server list unless it is there or the list is
// full, and returns its index (-1 when it was not added). c.mu is held,
// or c is not shared yet.
func (c *Client) addServer(u *url.URL) int {
	for i, s := range c.servers {
		if strings.EqualFold(s.Scheme, u.Scheme) && strings.EqualFold(s.Host, u.Host) {
			return i
		}
	}
	if len(c.servers) >= maxServers {
		return -1
	}
	c.servers = append(c.servers, u)
	return len(c.servers) - 1
}

// server returns the server calls go to now and its index.
func (c *Client) server() (*url.URL, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[c.current], c.current
}

// moveOn makes calls go to the leader a standby named, or when it names
// none (or one that cannot be used), to the server after from. It does
// nothing when another call has moved on from from already.
func (c *Client) moveOn(from int, leader string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != from {
		return
	}
	if leader != "" {
		if u, err := parseBase(leader); err == nil {
			if i := c.addServer(u); i >= 0 && i != from {
				c.current = i
				return
			}
		}
	}
	c.current = (from + 1) % len(c.servers)
}

// Server returns the base URL calls go to now: the one that answered
// last (see WithServers).
func (c *Client) Server() string {
	if c.baseErr != nil {
		return ""
	}
	u, _ := c.server()
	return u.String()
}

// Token returns the bearer token the client sends; "" before a login.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetToken sets the bearer token later requests send.
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
}

// Login logs in with a user name and password and makes the client send
// the new session's token from then on. EUNAUTHORIZED for a wrong name or
// password, ETOOMANY after too many failed logins.
func (c *Client) Login(ctx context.Context, user, password string) error {
	token, _, err := c.Users.Login(ctx, user, password)
	if err != nil {
		return err
	}
	c.SetToken(token)
	return nil
}

// Logout ends the client's session and forgets its token.
func (c *Client) Logout(ctx context.Context) error {
	if err := c.Users.Logout(ctx, c.Token()); err != nil {
		return err
	}
	c.SetToken("")
	return nil
}

// Me returns the session of the client's token; EUNAUTHORIZED without a
// live one.
func (c *Client) Me(ctx context.Context) (*pickwave.Session, error) {
	var s pickwave.Session
	if err := c.do(ctx, call{method: "GET", path: "/api/v1/me", out: &s}); err != nil {
		return nil, err
	}
	return &s, nil
}

// Health calls GET /healthz: nil while the server serves HTTP.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, call{method: "GET", path: "/healthz", out: &struct {
		Status string `json:"status"`
	}{}})
}

// OpenAPI returns the server's API contract, docs/openapi.yaml as built
// into it.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var raw []byte
	if err := c.do(ctx, call{method: "GET", path: "/api/v1/openapi.yaml", raw: &raw}); err != nil {
		return nil, err
	}
	return raw, nil
}

// call is one request: method and path (its segments escaped by the
// caller with seg), query, a JSON body or a raw one, and where the answer
// goes: out (JSON), raw (bytes) or nowhere.
type call struct {
	method, path string
	query        url.Values
	in           any // JSON-encoded when not nil
	body         io.Reader
	contentType  string // of body
	header       http.Header
	token        *string // overrides the client's token when not nil
	out          any
	raw          *[]byte
	status       *int // the 2xx status the answer had
}

// seg escapes one path segment (an id or a code).
func seg(s string) string { return url.PathEscape(s) }

// do sends a request and decodes the answer: the one place requests are
// made and errors translated back into *pickwave.Error.
func (c *Client) do(ctx context.Context, r call) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	what := r.method + " " + r.path
	// r.path is escaped (seg): Path gets it unescaped and RawPath as it
	// is, so that an escaped "?" or "%" in a code stays one character.
	unescaped, err := url.PathUnescape(r.path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	target := func(base *url.URL) string {
		u := *base
		u.Path, u.RawPath = base.Path+unescaped, base.EscapedPath()+r.path
		if len(r.query) > 0 {
			u.RawQuery = r.query.Encode()
		}
		return u.String()
	}
	var data []byte
	if r.in != nil {
		var err error
		if data, err = json.Marshal(r.in); err != nil {
			return fmt.Errorf("%s: encode request: %w", what, err)
		}
	}
	stream := r.body != nil && r.in == nil
	c.mu.Lock()
	hops := 2 * len(c.servers) // moves to another server this call may make
	c.mu.Unlock()
	for attempt := 0; ; {
		base, at := c.server()
		res, answer, err := c.send(ctx, r, target(base), data)
		if err != nil {
			if hops > 0 && !stream && notSent(err) && ctx.Err() == nil && c.several() {
				hops--
				c.moveOn(at, "")
				continue
			}
			return fmt.Errorf("%s: %w", what, err)
		}
		if res.StatusCode >= 200 && res.StatusCode <= 299 {
			return r.decode(what, res.StatusCode, answer)
		}
		if leader := res.Header.Get(LeaderHeader); res.StatusCode == http.StatusServiceUnavailable && leader != "" && hops > 0 && !stream {
			// A standby: nothing was done, and it says where to go.
			hops--
			c.moveOn(at, leader)
			if next, _ := c.server(); next != base {
				continue
			}
		}
		wait, again := retryable(res)
		if !again || attempt == c.retries || stream {
			return fmt.Errorf("%s: %w", what, decodeError(res.StatusCode, answer))
		}
		attempt++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", what, decodeError(res.StatusCode, answer))
		case <-t.C:
		}
		if res.StatusCode == http.StatusServiceUnavailable && c.several() {
			// A standby that does not know the leader yet, or a server
			// too busy: the other one may serve.
			c.moveOn(at, "")
		}
	}
}

// LeaderHeader is the header in which a standby names the leading
// server's base URL (server.LeaderHeader).
const LeaderHeader = "X-Pickwave-Leader"

// several says whether the client knows more than one server.
func (c *Client) several() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.servers) > 1
}

// notSent says whether err means the request never reached a server: the
// connection could not be made (refused, no route, name not found), so
// sending it elsewhere cannot do it twice.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// maxRetryWait is the longest Retry-After the client waits out itself:
// an overloaded or rate-limited server asks for a second; a login lockout
// for half a minute or more, which is the caller's to decide.
const maxRetryWait = 5 * time.Second

// retryable says whether an answer may be sent again, and after how long:
// 429 and 503 with a short Retry-After mean nothing was done.
func retryable(res *http.Response) (time.Duration, bool) {
	if res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 0 || time.Duration(secs)*time.Second > maxRetryWait {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

// send sends the call once, with data as its JSON body when not nil, and
// returns the answer read in full.
func (c *Client) send(ctx context.Context, r call, url string, data []byte) (*http.Response, []byte, error) {
	body, ctype := r.body, r.contentType
	if data != nil {
		body, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, url, body)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if accept := r.header.Get("Accept"); accept != "" {
		req.Header.Set("Accept", accept)
	}
	token := c.Token()
	if r.token != nil {
		token = *r.token
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, c.maxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(answer)) > c.maxBytes {
		return nil, nil, fmt.Errorf("the answer is larger than %d bytes", c.maxBytes)
	}
	return res, answer, nil
}

// decode stores a successful answer where the call wants it.
func (r call) decode(what string, status int, data []byte) error {
	if r.status != nil {
		*r.status = status
	}
	switch {
	case r.raw != nil:
		*r.raw = data
	case r.out != nil:
		if err := json.Unmarshal(data, r.out); err != nil {
			return fmt.Errorf("%s: decode answer: %w", what, err)
		}
	}
	return nil
}

// codeOf is the code of a status when the answer has no error body (a
// proxy's page, a cut-off answer): the server's map, inverted.
var codeOf = map[int]string{
	http.StatusBadRequest:           pickwave.EINVALID,
	http.StatusNotFound:             pickwave.ENOTFOUND,
	http.StatusMethodNotAllowed:     pickwave.EMETHOD,
	http.StatusConflict:             pickwave.ECONFLICT,
	http.StatusUnauthorized:         pickwave.EUNAUTHORIZED,
	http.StatusForbidden:            pickwave.EFORBIDDEN,
	http.StatusServiceUnavailable:   pickwave.EUNAVAILABLE,
	http.StatusGone:                 pickwave.EGONE,
	http.StatusTooManyRequests:      pickwave.ETOOMANY,
	http.StatusUnsupportedMediaType: pickwave.EINVALID,
}

// errorBody is the API's JSON error shape.
type errorBody struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// decodeError turns an error answer back into the *pickwave.Error the
// server wrote. Details that are a list of fields become
// []pickwave.FieldError; other details stay as decoded JSON (a map).
func decodeError(status int, data []byte) error {
	var body errorBody
	if err := json.Unmarshal(data, &body); err != nil || body.Error.Code == "" {
		code, ok := codeOf[status]
		if !ok {
			return fmt.Errorf("status %d without the API's error body: %.200q", status, data)
		}
		return pickwave.Errorf(code, "The server answered %d %s.", status, http.StatusText(status))
	}
	e := &pickwave.Error{Code: body.Error.Code, Message: body.Error.Message}
	if d := body.Error.Details; len(d) > 0 && string(d) != "null" {
		var fields []pickwave.FieldError
		if err := json.Unmarshal(d, &fields); err == nil {
			e.Details = fields
		} else {
			var v any
			if err := json.Unmarshal(d, &v); err == nil {
				e.Details = v
			}
		}
	}
	return e
}

// noRoute is the error of an interface method that has no HTTP route.
func noRoute(method, instead string) error {
	return pickwave.Errorf(pickwave.EMETHOD, "%s has no HTTP route; %s.", method, instead)
}

// pageOf is the JSON shape of a list: its items and the next cursor.
type pageOf[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// pageQuery is the after and limit of a list; zero values are left out.
func pageQuery(after string, limit int) url.Values {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return q
}
