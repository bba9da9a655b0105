package handheld

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
)

var (
	// ErrDisconnected is returned when the connection is lost (or there is
	// none) before an answer came. The request stays in the outbox when it
	// is a scan or short: Reconnect sends it again with the same id.
	ErrDisconnected = errors.New("handheld: disconnected")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("handheld: client closed")
	// ErrReplaced is in the error a connection ends with when the server
	// closed it with CloseReplaced: the picker logged in on another device.
	ErrReplaced = errors.New("handheld: logged in on another device")
	// ErrUnknownID is returned by Resend and Await for an id the client
	// never sent.
	ErrUnknownID = errors.New("handheld: unknown scan id")
)

// Error is the server's refusal of a message: an error message, or an
// HTTP refusal of the upgrade. Code is a code of the root package.
type Error struct {
	Code    string
	Message string
	Ref     string // the id of the message it answers
	Status  int    // the HTTP status of a refused upgrade, else 0
	// RetryAfter is the pause an overloaded server asked for before the
	// message is sent again; 0 when it asked for none.
	RetryAfter time.Duration
	// Leader is the leading server's base URL named by a standby that
	// refused the upgrade with 503 (LeaderHeader); "" otherwise.
	Leader string
}

// LeaderHeader is the header in which a standby names the leading
// server's base URL when it refuses an upgrade.
const LeaderHeader = "X-Pickwave-Leader"

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("handheld: upgrade refused: %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("handheld: %s: %s", e.Code, e.Message)
}

// ErrorCode returns the code of an *Error in err's chain, else "".
func ErrorCode(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// retryable reports whether a scan refused with code may be sent again
// later with the same id and be judged then.
func retryable(code string) bool {
	return code == pickwave.EINTERNAL || code == pickwave.EUNAVAILABLE
}

// Options say how a Client logs in and behaves. The zero value of each
// field is useful; a client needs Token, or Badge, or Username and Password.
type Options struct {
	// Token is a bearer token, sent on the upgrade (or in hello with
	// TokenInHello, as a browser must).
	Token        string
	TokenInHello bool
	// Badge, or Username and Password, log in on the socket when there is
	// no token, or when the token is refused. The welcome of a login
	// carries a token, which later reconnects use.
	Badge              string
	Username, Password string
	// Device names the handheld on scans that do not name one; empty: "go-client".
	Device string
	// IDPrefix starts the ids NewID makes; empty: Device and a random tag,
	// so ids stay unique for the picker across clients and restarts.
	IDPrefix string
	// Header holds more upgrade headers (Origin, Cookie).
	Header http.Header
	// Dialer dials; nil: small buffers and a 10 s handshake timeout.
	Dialer *websocket.Dialer
	// AckEvery acknowledges after this many sequenced messages; 0: 8; a
	// negative number: never by itself (see Ack).
	AckEvery int
	// Session and LastSeq resume a session of an earlier client on Dial.
	Session string
	LastSeq uint64
	// OnMessage, when set, sees every server message after the client has
	// booked it, on the client's reading goroutine: it must not block or
	// call the client's waiting methods.
	OnMessage func(ServerMessage)
	// Servers are the other servers of the site (the other node of a
	// highly available pair), as URLs like Dial's. Dial and Reconnect try
	// the server that answered last (Dial's URL at first), then the
	// others: a server that cannot be reached, or refuses the upgrade
	// with 503, is passed over, and a standby's 503 that names the leader
	// sends the client there. The outbox is the same on every server:
	// unanswered scans are sent again with their ids, and a store shared
	// by the servers answers those it judged already from record.
	Servers []string
}

// defaultDialer keeps buffers small, as a handheld's.
var defaultDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}

// maxServerMessage bounds one server message the client reads: a prompt
// with its task is about a kilobyte.
const maxServerMessage = 256 << 10

// Entry is one scan or short id of the ledger: what was sent, and the first
// answer to it.
type Entry struct {
	ID      string
	Request ClientMessage // the scan or short as sent
	// Answered says a verdict came; Verdict and Replayed are the first one's.
	Answered bool
	Verdict  pickwave.Verdict
	Replayed bool
	// Answers counts the verdicts for the id (later ones are duplicates).
	Answers int
	// Changed says a later verdict differed from the first.
	Changed bool
	// JudgedAgain says the id was judged more than once: two verdicts not
	// marked replayed, or a resend of an answered id answered unreplayed.
	JudgedAgain bool
	// Err is the server's refusal of the id (invalid...), when it refused
	// it for good: such an id is not sent again.
	Err error
}

// Stats count what the client saw. Gaps, Repeats, Changed and JudgedAgain
// are faults of the server.
type Stats struct {
	Connects    int // connections that got a welcome
	Sessions    int // distinct sessions started (more than one: one was lost)
	Resumed     int // welcomes that resumed the session
	Gaps        int // sequenced messages skipped
	Repeats     int // sequenced messages at or below the last seq (ignored)
	Sent        int // ids in the ledger
	Answered    int // ids answered
	Duplicates  int // verdicts after an id's first
	Changed     int // ids whose later verdict differed from the first
	JudgedAgain int // ids judged more than once
	Unknown     int // verdicts for ids this client never sent
	Refused     int // ids refused for good with an error
}

// entry is the ledger's record of one id.
type entry struct {
	Entry
	judged int // verdicts not marked replayed
}

// reply is what a waiter gets: a result or an error.
type reply struct {
	res    *pickwave.ScanResult
	prompt *pickwave.Prompt
	work   *pickwave.WorkPrompt // a work prompt asked for
	wres   *pickwave.WorkResult // a work_scan's answer
	msg    *ServerMessage
	err    error
}

type waiter chan reply

// link is one websocket connection and its reading goroutine.
type link struct {
	ws   *websocket.Conn
	wmu  sync.Mutex    // one writer at a time
	lost chan struct{} // closed when the connection ended
	done chan struct{} // closed when the reading goroutine returned
	err  error         // why it ended; set before lost closes

	catchUp uint64 // the seq the resumed outbox reaches
	hello   string // the id of the login or hello awaiting its welcome
}

// Client is one handheld speaking the protocol over a websocket: it logs
// in, checks that sequenced messages come once and in order, acknowledges
// them, keeps every scan and short it sent in a ledger with its first
// answer, and after Reconnect resumes the session and sends every
// unanswered one again with the same id. Its methods are safe for
// concurrent use. Close stops the goroutine it runs.
type Client struct {
	opts Options

	mu       sync.Mutex
	servers  []string // websocket URLs: Dial's, Options.Servers, leaders standbys named
	cur      int      // index in servers of the one connected to, or to try first
	link     *link
	lastErr  error // why the last connection ended
	closed   bool
	token    string
	user     string
	role     pickwave.Role
	session  string
	lastSeq  uint64
	acked    uint64
	prompt   *pickwave.Prompt
	replaced bool
	seqWake  chan struct{} // closed and replaced when lastSeq moves

	ledger   map[string]*entry
	order    []string            // ids in the order first sent
	pending  []string            // ids possibly unanswered, in order
	scanWait map[string][]waiter // by scan id, in order of sending
	reqWait  map[string]waiter   // by request id: take_cart, prompt, login, hello
	stats    Stats
	faults   []error // the first protocol faults
	nreq     int
	nid      int
	idPrefix string
}

// maxFaults bounds the protocol faults a client keeps to report.
const maxFaults = 10

// Dial connects to a handheld websocket, logs in and returns once the
// welcome arrived (and, when resuming, every missed message). rawURL is
// the websocket URL (ws://host/ws/handheld); an http(s) URL without a
// path gets /ws/handheld.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	var servers []string
	for _, raw := range append([]string{rawURL}, opts.Servers...) {
		u, err := socketURL(raw)
		if err != nil {
			return nil, err
		}
		servers = appendServer(servers, u)
	}
	if opts.Device == "" {
		opts.Device = "go-client"
	}
	if opts.AckEvery == 0 {
		opts.AckEvery = 8
	}
	c := &Client{servers: servers, opts: opts, token: opts.Token, session: opts.Session, lastSeq: opts.LastSeq, acked: opts.LastSeq,
		seqWake: make(chan struct{}), ledger: map[string]*entry{}, scanWait: map[string][]waiter{}, reqWait: map[string]waiter{}}
	c.idPrefix = opts.IDPrefix
	if c.idPrefix == "" {
		tag := make([]byte, 4)
		_, _ = rand.Read(tag)
		c.idPrefix = opts.Device + "-" + hex.EncodeToString(tag)
	}
	if err := c.Reconnect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// socketURL is the handheld websocket URL of raw: ws or wss (http and
// https are turned into them), /ws/handheld when it has no path.
func socketURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("handheld: url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("handheld: url %q: want ws:// or wss://", raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("handheld: url %q: no host", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/ws/handheld"
	}
	return u.String(), nil
}

// maxServers bounds the server list: the ones given, and leaders that
// standbys named which were not among them.
const maxServers = 16

// appendServer adds u to servers unless it is there or the list is full.
func appendServer(servers []string, u string) []string {
	if slices.Contains(servers, u) || len(servers) >= maxServers {
		return servers
	}
	return append(servers, u)
}

// Server returns the websocket URL the client is connected to, or will
// try first.
func (c *Client) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[c.cur]
}

// moveOn makes the client try the leader a standby named next, or when
// it named none, the server after the one at index from. It says whether
// there is another server to try.
func (c *Client) moveOn(from int, leader string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if leader != "" {
		if u, err := socketURL(leader); err == nil {
			c.servers = appendServer(c.servers, u)
			if i := slices.Index(c.servers, u); i >= 0 && i != from {
				c.cur = i
				return true
			}
		}
	}
	if len(c.servers) < 2 {
		return false
	}
	c.cur = (from + 1) % len(c.servers)
	return true
}

// NewID returns a scan id unique for the picker: the client's prefix and a counter.
func (c *Client) NewID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nid++
	return c.idPrefix + "-" + strconv.Itoa(c.nid)
}

// Reconnect drops the connection if there is one, connects again and logs
// in, resuming the session from the last seq processed. It returns once
// the welcome and every resumed message have arrived and every unanswered
// scan and short has been sent again with its id; their answers land in
// the ledger (see Await).
func (c *Client) Reconnect(ctx context.Context) error {
	c.Drop()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.mu.Unlock()
	l, err := c.connect(ctx)
	if err != nil {
		return err
	}
	// The resumed messages come before any answer to what is sent now.
	if err := c.waitSeq(ctx, l, l.catchUp); err != nil {
		return err
	}
	c.mu.Lock()
	var resend []ClientMessage
	keep := c.pending[:0]
	for _, id := range c.pending {
		e := c.ledger[id]
		if e.Answered || e.Err != nil {
			continue
		}
		keep = append(keep, id)
		resend = append(resend, e.Request)
	}
	c.pending = keep
	c.mu.Unlock()
	for _, m := range resend {
		if err := c.write(ctx, l, m); err != nil {
			return err
		}
	}
	return nil
}

// connect dials and logs in: with the token when there is one, else with
// the badge or user name and password; a refused token falls back to
// those when there are some.
// It tries the servers in turn, from the current one (see Options.Servers),
// at most twice round the list.
func (c *Client) connect(ctx context.Context) (*link, error) {
	c.mu.Lock()
	tries := 2 * len(c.servers)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		at, server := c.cur, c.servers[c.cur]
		c.mu.Unlock()
		l, err := c.connectTo(ctx, server)
		if err == nil {
			return l, nil
		}
		// Nothing was judged on a server that could not be reached or
		// refused the upgrade; a link lost before the welcome only saw a
		// hello, which any server may see again.
		leader, elsewhere := "", errors.Is(err, ErrDisconnected)
		if e, ok := errors.AsType[*Error](err); ok && e.Status == http.StatusServiceUnavailable {
			leader, elsewhere = e.Leader, true
		}
		if !elsewhere || tries <= 0 || ctx.Err() != nil || !c.moveOn(at, leader) {
			return nil, err
		}
		tries--
	}
}

// connectTo dials server and logs in: with the token when there is one,
// else with the badge or user name and password.
func (c *Client) connectTo(ctx context.Context, server string) (*link, error) {
	c.mu.Lock()
	token, session, lastSeq := c.token, c.session, c.lastSeq
	c.mu.Unlock()
	canLogin := c.opts.Badge != "" || c.opts.Username != ""
	l, err := c.dial(ctx, server, token, session, lastSeq)
	if token != "" && canLogin && ErrorCode(err) == pickwave.EUNAUTHORIZED {
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
		l, err = c.dial(ctx, server, "", session, lastSeq)
	}
	return l, err
}

func (c *Client) dial(ctx context.Context, server, token, session string, lastSeq uint64) (*link, error) {
	hdr := http.Header{}
	for k, v := range c.opts.Header {
		hdr[k] = v
	}
	c.mu.Lock()
	c.nreq++
	hello := ClientMessage{Session: session, LastSeq: lastSeq, ID: "hello-" + strconv.Itoa(c.nreq)}
	c.mu.Unlock()
	switch {
	case token != "" && c.opts.TokenInHello:
		hello.Type, hello.Token = TypeHello, token
	case token != "":
		hello.Type = TypeHello
		hdr.Set("Authorization", "Bearer "+token)
	case c.opts.Badge != "":
		hello.Type, hello.Badge = TypeLogin, c.opts.Badge
	case c.opts.Username != "":
		hello.Type, hello.Username, hello.Password = TypeLogin, c.opts.Username, c.opts.Password
	default:
		return nil, errors.New("handheld: no token, badge or user name to log in with")
	}
	dialer := c.opts.Dialer
	if dialer == nil {
		dialer = &defaultDialer
	}
	ws, res, err := dialer.DialContext(ctx, server, hdr)
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			return nil, refusal(res)
		}
		return nil, fmt.Errorf("%w: dial %s: %w", ErrDisconnected, server, err)
	}
	ws.SetReadLimit(maxServerMessage)
	_ = ws.SetReadDeadline(time.Now().Add(ReadWait))
	l := &link{ws: ws, lost: make(chan struct{}), done: make(chan struct{}), hello: hello.ID}
	ws.SetPingHandler(func(data string) error {
		_ = ws.SetReadDeadline(time.Now().Add(ReadWait))
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(WriteWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	w := make(waiter, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ws.Close()
		return nil, ErrClosed
	}
	c.link = l
	c.reqWait[hello.ID] = w
	c.mu.Unlock()
	go c.readPump(l)

	err = c.write(ctx, l, hello)
	var r reply
	if err == nil {
		r, err = c.wait(ctx, l, w)
	}
	c.mu.Lock()
	delete(c.reqWait, hello.ID)
	c.mu.Unlock()
	if err == nil {
		err = r.err
	}
	if err != nil {
		c.dropLink(l, false)
		return nil, err
	}
	return l, nil
}

// refusal reads the JSON error of a refused upgrade.
func refusal(res *http.Response) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if res.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		_ = json.Unmarshal(data, &body)
	}
	e := &Error{Status: res.StatusCode, Code: body.Error.Code, Message: body.Error.Message, Leader: res.Header.Get(LeaderHeader)}
	if e.Code == "" {
		switch res.StatusCode {
		case http.StatusUnauthorized:
			e.Code = pickwave.EUNAUTHORIZED
		case http.StatusForbidden:
			e.Code = pickwave.EFORBIDDEN
		case http.StatusBadRequest:
			e.Code = pickwave.EINVALID
		default:
			e.Code = pickwave.EUNAVAILABLE
		}
		e.Message = res.Status
	}
	return e
}

// write sends one message on l, within WriteWait and ctx.
func (c *Client) write(ctx context.Context, l *link, m ClientMessage) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.writeRaw(ctx, l, data)
}

func (c *Client) writeRaw(ctx context.Context, l *link, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(WriteWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	_ = l.ws.SetWriteDeadline(deadline)
	if err := l.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: write: %w", ErrDisconnected, err)
	}
	return nil
}

// WriteRaw sends data as one text frame on the current connection, as it
// is: for tests of what the server does with malformed messages. The
// client books the answers as any others.
func (c *Client) WriteRaw(ctx context.Context, data []byte) error {
	l, err := c.current()
	if err != nil {
		return err
	}
	return c.writeRaw(ctx, l, data)
}

// Send sends a message as it is on the current connection, without
// waiting for an answer and without entering it in the ledger: for tests
// of what the server does with odd messages.
func (c *Client) Send(ctx context.Context, m ClientMessage) error {
	l, err := c.current()
	if err != nil {
		return err
	}
	return c.write(ctx, l, m)
}

// Submit enters a scan or short in the ledger and sends it without waiting
// for its answer (see Await). An empty ID gets NewID, an empty Device the
// client's. It returns the id, also when the sending failed: the message
// is then in the outbox, for Reconnect.
func (c *Client) Submit(ctx context.Context, m ClientMessage) (string, error) {
	if m.Type != TypeScan && m.Type != TypeShort {
		return "", fmt.Errorf("handheld: submit %q: only scans and shorts go in the ledger", m.Type)
	}
	if m.ID == "" {
		m.ID = c.NewID()
	}
	if m.Device == "" {
		m.Device = c.opts.Device
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return m.ID, ErrClosed
	}
	c.enter(m)
	l := c.link
	c.mu.Unlock()
	if l == nil {
		return m.ID, ErrDisconnected
	}
	return m.ID, c.write(ctx, l, m)
}

// enter puts an id in the ledger, unless it is there. The caller holds c.mu.
func (c *Client) enter(m ClientMessage) *entry {
	e := c.ledger[m.ID]
	if e == nil {
		e = &entry{Entry: Entry{ID: m.ID, Request: m}}
		c.ledger[m.ID] = e
		c.order = append(c.order, m.ID)
		c.pending = append(c.pending, m.ID)
		c.stats.Sent++
	}
	return e
}

func (c *Client) current() (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, ErrClosed
	case c.link == nil:
		return nil, ErrDisconnected
	}
	return c.link, nil
}

// wait waits for a reply on w, the end of l, ctx or Close.
func (c *Client) wait(ctx context.Context, l *link, w waiter) (reply, error) {
	select {
	case r := <-w:
		return r, nil
	case <-l.lost:
		select {
		case r := <-w: // the answer came just before the end
			return r, nil
		default:
		}
		return reply{}, l.err
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// readPump reads the connection's messages until it ends.
func (c *Client) readPump(l *link) {
	defer close(l.done)
	for {
		_, data, err := l.ws.ReadMessage()
		if err != nil {
			c.lose(l, err)
			return
		}
		_ = l.ws.SetReadDeadline(time.Now().Add(ReadWait))
		var m ServerMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.mu.Lock()
			c.fault(fmt.Errorf("undecodable message %.80q: %w", data, err))
			c.mu.Unlock()
			continue
		}
		if ack := c.book(l, &m); ack > 0 {
			data, _ := json.Marshal(ClientMessage{Type: TypeAck, Seq: ack})
			_ = c.writeRaw(context.Background(), l, data) // a failed write ends the read too
		}
		if c.opts.OnMessage != nil {
			c.opts.OnMessage(m)
		}
	}
}

// lose ends l after a read failed.
func (c *Client) lose(l *link, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok && ce.Code == CloseReplaced {
		c.replaced = true
		err = fmt.Errorf("%w: %w: %w", ErrDisconnected, ErrReplaced, err)
	} else {
		err = fmt.Errorf("%w: read: %w", ErrDisconnected, err)
	}
	if c.closed {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	l.err = err
	c.lastErr = err
	if c.link == l {
		c.link = nil
	}
	close(l.lost)
	l.ws.Close()
}

func (c *Client) fault(err error) {
	if len(c.faults) < maxFaults {
		c.faults = append(c.faults, err)
	}
}

// book updates the client's state with one message under its lock and
// hands answers to their waiters. It returns a seq to acknowledge, or 0.
func (c *Client) book(l *link, m *ServerMessage) (ack uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case TypeWelcome:
		c.stats.Connects++
		if m.Session != c.session {
			// A new session: the first, or the server lost the old one.
			// Its seqs start again.
			c.session, c.lastSeq, c.acked = m.Session, 0, 0
			c.stats.Sessions++
			l.catchUp = 0
		} else {
			c.stats.Resumed++
			l.catchUp = m.Seq
		}
		c.user, c.role = m.User, m.Role
		if m.Token != "" {
			c.token = m.Token
		}
		c.deliverReq(l.hello, reply{msg: m})
	case TypePrompt, TypeVerdict, TypeWork, TypeWorkVerdict:
		switch {
		case m.Seq <= c.lastSeq:
			c.stats.Repeats++
			c.fault(fmt.Errorf("%s with seq %d after %d: repeated", m.Type, m.Seq, c.lastSeq))
			return 0
		case m.Seq > c.lastSeq+1:
			c.stats.Gaps++
			c.fault(fmt.Errorf("%s with seq %d after %d: %d lost", m.Type, m.Seq, c.lastSeq, m.Seq-c.lastSeq-1))
		}
		c.lastSeq = m.Seq
		close(c.seqWake)
		c.seqWake = make(chan struct{})
		if m.Prompt != nil {
			c.prompt = m.Prompt
			if m.Ref != "" {
				c.deliverReq(m.Ref, reply{prompt: m.Prompt, msg: m})
			}
		}
		if m.Result != nil {
			c.answer(m.Result)
		}
		if m.Work != nil && m.Ref != "" {
			c.deliverReq(m.Ref, reply{work: m.Work, msg: m})
		}
		if m.WorkResult != nil {
			c.answerWork(m.WorkResult)
		}
		if c.opts.AckEvery > 0 && c.lastSeq-c.acked >= uint64(c.opts.AckEvery) {
			c.acked = c.lastSeq
			ack = c.lastSeq
		}
	case TypeError:
		e := &Error{Code: m.Code, Message: m.Message, Ref: m.Ref, RetryAfter: time.Duration(m.RetryAfterMS) * time.Millisecond}
		if m.Code == pickwave.ECONFLICT && m.Ref == "" {
			c.replaced = true
		}
		if m.Ref == "" {
			return 0
		}
		if m.Ref == l.hello || c.reqWait[m.Ref] != nil {
			c.deliverReq(m.Ref, reply{err: e, msg: m})
			return 0
		}
		if en := c.ledger[m.Ref]; en != nil {
			if !en.Answered && !retryable(m.Code) {
				en.Err = e
				c.stats.Refused++
			}
			c.deliverScan(m.Ref, reply{err: e, msg: m})
		}
	}
	return ack
}

func (c *Client) deliverReq(id string, r reply) {
	if w := c.reqWait[id]; w != nil {
		delete(c.reqWait, id)
		w <- r
	}
}

func (c *Client) deliverScan(id string, r reply) {
	ws := c.scanWait[id]
	if len(ws) == 0 {
		return
	}
	ws[0] <- r
	if len(ws) == 1 {
		delete(c.scanWait, id)
	} else {
		c.scanWait[id] = ws[1:]
	}
}

// answer books a verdict in the ledger: the first for an id counts, later
// ones are duplicates that must agree with it.
func (c *Client) answer(r *pickwave.ScanResult) {
	res := *r
	c.answerWith(&res, &res.Prompt, reply{res: &res})
}

// answerWork books a work verdict in the ledger as answer does; the
// picking prompt stays as it was.
func (c *Client) answerWork(w *pickwave.WorkResult) {
	res := &pickwave.ScanResult{ScanID: w.ScanID, Verdict: w.Verdict, Replayed: w.Replayed}
	wres := *w
	c.answerWith(res, nil, reply{res: res, wres: &wres})
}

// answerWith books r and hands out rep; prompt, when not nil, becomes
// the client's prompt on a first answer.
func (c *Client) answerWith(r *pickwave.ScanResult, prompt *pickwave.Prompt, rep reply) {
	e := c.ledger[r.ScanID]
	if e == nil {
		c.stats.Unknown++
		return
	}
	e.Answers++
	if !e.Answered {
		e.Answered, e.Verdict, e.Replayed = true, r.Verdict, r.Replayed
		c.stats.Answered++
		// A later answer's prompt may be older than what came since (a
		// connection the server was closing may still push one): only
		// the first answer's counts.
		if prompt != nil {
			p := *prompt
			c.prompt = &p
		}
	} else {
		c.stats.Duplicates++
		if r.Verdict != e.Verdict && !e.Changed {
			e.Changed = true
			c.stats.Changed++
			c.fault(fmt.Errorf("scan %s answered %s, then %s", r.ScanID, e.Verdict.Code, r.Verdict.Code))
		}
	}
	if !r.Replayed {
		e.judged++
		if e.judged > 1 {
			c.judgedAgain(e)
		}
	}
	c.deliverScan(r.ScanID, rep)
}

func (c *Client) judgedAgain(e *entry) {
	if !e.JudgedAgain {
		e.JudgedAgain = true
		c.stats.JudgedAgain++
		c.fault(fmt.Errorf("scan %s judged again", e.ID))
	}
}

// Scan sends a scan and waits for its verdict. An empty ID gets NewID, an
// empty Device the client's. An id already in the ledger is sent again, as
// Resend does. When the connection is lost first, Scan returns an error
// wrapping ErrDisconnected and the scan stays in the outbox: after
// Reconnect, Await waits for its answer.
func (c *Client) Scan(ctx context.Context, req pickwave.ScanRequest) (*pickwave.ScanResult, error) {
	if req.ID == "" {
		req.ID = c.NewID()
	}
	if req.Device == "" {
		req.Device = c.opts.Device
	}
	return c.request(ctx, ScanMessage(req))
}

// Short reports a short on the current task and waits for its verdict, as
// Scan does. Found nil sends no count.
func (c *Client) Short(ctx context.Context, req pickwave.ShortRequest) (*pickwave.ScanResult, error) {
	if req.ID == "" {
		req.ID = c.NewID()
	}
	if req.Device == "" {
		req.Device = c.opts.Device
	}
	return c.request(ctx, ShortMessage(req))
}

// Resend sends an id of the ledger again, exactly as first sent, and
// returns the answer to this sending. An id answered before must come
// back Replayed with its first verdict; when it does not, the ledger marks
// it JudgedAgain or Changed (see Stats).
func (c *Client) Resend(ctx context.Context, id string) (*pickwave.ScanResult, error) {
	c.mu.Lock()
	e := c.ledger[id]
	c.mu.Unlock()
	if e == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownID, id)
	}
	return c.request(ctx, e.Request)
}

func (c *Client) request(ctx context.Context, m ClientMessage) (*pickwave.ScanResult, error) {
	r, err := c.requestReply(ctx, m)
	return r.res, err
}

// WorkScan sends a work message (a scan or an action of a receiving,
// putaway, count, replenishment or move task) and waits for its verdict,
// as Scan does: the id goes in the ledger, and a resend is answered from
// record.
func (c *Client) WorkScan(ctx context.Context, req pickwave.WorkRequest) (*pickwave.WorkResult, error) {
	if req.ID == "" {
		req.ID = c.NewID()
	}
	if req.Device == "" {
		req.Device = c.opts.Device
	}
	r, err := c.requestReply(ctx, WorkMessage(req))
	if err != nil {
		return nil, err
	}
	if r.wres == nil {
		return nil, fmt.Errorf("work scan %s answered with a pick verdict", req.ID)
	}
	return r.wres, nil
}

// Work asks what to do now in work of the kind and returns the prompt;
// an *Error with code forbidden when the user's role may not do it.
func (c *Client) Work(ctx context.Context, kind pickwave.WorkKind) (*pickwave.WorkPrompt, error) {
	r, err := c.askMsg(ctx, ClientMessage{Type: TypeWork, Kind: kind})
	if err != nil {
		return nil, err
	}
	return r.work, nil
}

func (c *Client) requestReply(ctx context.Context, m ClientMessage) (reply, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return reply{}, ErrClosed
	}
	e := c.enter(m)
	wasAnswered := e.Answered
	w := make(waiter, 1)
	c.scanWait[m.ID] = append(c.scanWait[m.ID], w)
	l := c.link
	c.mu.Unlock()

	var r reply
	err := ErrDisconnected
	if l != nil {
		if err = c.write(ctx, l, m); err == nil {
			r, err = c.wait(ctx, l, w)
		}
	}
	if err != nil {
		if !c.unwait(m.ID, w) {
			r = <-w // answered meanwhile
		} else {
			return reply{}, err
		}
	}
	if r.err != nil {
		return reply{}, r.err
	}
	if wasAnswered && !r.res.Replayed {
		c.mu.Lock()
		c.judgedAgain(e)
		c.mu.Unlock()
	}
	return r, nil
}

// unwait removes w from the waiters of id; false when it was answered.
func (c *Client) unwait(id string, w waiter) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.scanWait[id]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			if len(ws) == 0 {
				delete(c.scanWait, id)
			} else {
				c.scanWait[id] = ws
			}
			return true
		}
	}
	return false
}

// Await waits for the first answer to an id already sent: at once when the
// ledger has it (the prompt is then the client's current one), else until
// it comes, the connection is lost, or ctx ends.
func (c *Client) Await(ctx context.Context, id string) (*pickwave.ScanResult, error) {
	c.mu.Lock()
	e := c.ledger[id]
	switch {
	case e == nil:
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrUnknownID, id)
	case e.Answered:
		res := &pickwave.ScanResult{ScanID: id, Verdict: e.Verdict, Replayed: e.Replayed}
		if c.prompt != nil {
			res.Prompt = *c.prompt
		}
		c.mu.Unlock()
		return res, nil
	case e.Err != nil:
		c.mu.Unlock()
		return nil, e.Err
	}
	w := make(waiter, 1)
	c.scanWait[id] = append(c.scanWait[id], w)
	l := c.link
	c.mu.Unlock()
	if l == nil {
		c.unwait(id, w)
		return nil, ErrDisconnected
	}
	r, err := c.wait(ctx, l, w)
	if err != nil {
		if c.unwait(id, w) {
			return nil, err
		}
		r = <-w
	}
	return r.res, r.err
}

// TakeCart asks for a cart and returns its prompt; an *Error with code
// not_found when no cart waits.
func (c *Client) TakeCart(ctx context.Context) (*pickwave.Prompt, error) {
	return c.ask(ctx, TypeTakeCart)
}

// RequestPrompt asks the server what to do now; an *Error with code
// not_found without a cart.
func (c *Client) RequestPrompt(ctx context.Context) (*pickwave.Prompt, error) {
	return c.ask(ctx, TypePrompt)
}

func (c *Client) ask(ctx context.Context, typ string) (*pickwave.Prompt, error) {
	r, err := c.askMsg(ctx, ClientMessage{Type: typ})
	if err != nil {
		return nil, err
	}
	return r.prompt, nil
}

// askMsg sends a request m (its id chosen here) and waits for its answer.
func (c *Client) askMsg(ctx context.Context, m ClientMessage) (reply, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return reply{}, ErrClosed
	}
	l := c.link
	if l == nil {
		c.mu.Unlock()
		return reply{}, ErrDisconnected
	}
	c.nreq++
	m.ID = m.Type + "-" + strconv.Itoa(c.nreq)
	w := make(waiter, 1)
	c.reqWait[m.ID] = w
	c.mu.Unlock()
	err := c.write(ctx, l, m)
	var r reply
	if err == nil {
		r, err = c.wait(ctx, l, w)
	}
	if err != nil {
		c.mu.Lock()
		delete(c.reqWait, m.ID)
		c.mu.Unlock()
		return reply{}, err
	}
	return r, r.err
}

// Ack acknowledges every sequenced message processed so far.
func (c *Client) Ack(ctx context.Context) error {
	c.mu.Lock()
	l, seq := c.link, c.lastSeq
	c.acked = seq
	c.mu.Unlock()
	if l == nil {
		return ErrDisconnected
	}
	return c.write(ctx, l, ClientMessage{Type: TypeAck, Seq: seq})
}

// WaitSeq waits until the client has processed the sequenced message seq.
func (c *Client) WaitSeq(ctx context.Context, seq uint64) error {
	l, err := c.current()
	if err != nil {
		return err
	}
	return c.waitSeq(ctx, l, seq)
}

func (c *Client) waitSeq(ctx context.Context, l *link, seq uint64) error {
	for {
		c.mu.Lock()
		last, wake := c.lastSeq, c.seqWake
		c.mu.Unlock()
		if last >= seq {
			return nil
		}
		select {
		case <-wake:
		case <-l.lost:
			return l.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitDisconnect waits until the current connection ends and returns why
// (without a connection, why the last one ended):
// an error wrapping ErrDisconnected and the read error, which holds a
// *websocket.CloseError when the server closed it (and ErrReplaced for
// CloseReplaced).
func (c *Client) WaitDisconnect(ctx context.Context) error {
	c.mu.Lock()
	l, last := c.link, c.lastErr
	c.mu.Unlock()
	if l == nil {
		if last != nil {
			return last
		}
		return ErrDisconnected
	}
	select {
	case <-l.lost:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drop closes the connection abruptly, without a close frame, as a
// handheld walking out of Wi-Fi; the session stays for Reconnect.
func (c *Client) Drop() {
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l != nil {
		c.dropLink(l, false)
	}
}

// dropLink ends l, gracefully with a close frame or not, and waits for its
// reading goroutine.
func (c *Client) dropLink(l *link, graceful bool) {
	if graceful {
		l.wmu.Lock()
		_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(WriteWait))
		l.wmu.Unlock()
		// The server answers the close frame and closes; the read ends.
		select {
		case <-l.done:
		case <-time.After(WriteWait):
		}
	}
	l.ws.Close()
	<-l.done
	c.mu.Lock()
	if c.link == l {
		c.link = nil
	}
	c.mu.Unlock()
}

// Close ends the connection with a close frame and stops the client's
// goroutine; every call then returns ErrClosed. It is safe to call twice.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	l := c.link
	c.mu.Unlock()
	if l != nil {
		c.dropLink(l, true)
	}
	return nil
}

// Connected reports whether the client has a connection.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link != nil
}

// Replaced reports whether the server said the picker logged in on another
// device (an error conflict, or close code CloseReplaced).
func (c *Client) Replaced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replaced
}

// Session returns the session id of the last welcome.
func (c *Client) Session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

// LastSeq returns the highest seq processed in the session.
func (c *Client) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// Token returns the bearer token the client logs in with: Options.Token,
// or the one a login's welcome carried.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// User returns the user name and role of the last welcome.
func (c *Client) User() (string, pickwave.Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user, c.role
}

// Prompt returns the latest prompt the server sent, in a prompt or in the
// first answer to a scan or short, or nil.
func (c *Client) Prompt() *pickwave.Prompt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prompt == nil {
		return nil
	}
	p := *c.prompt
	return &p
}

// Entry returns the ledger's entry of an id.
func (c *Client) Entry(id string) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.ledger[id]
	if e == nil {
		return Entry{}, false
	}
	return e.Entry, true
}

// Ledger returns every id sent with its first answer, in the order sent.
func (c *Client) Ledger() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Entry, len(c.order))
	for i, id := range c.order {
		out[i] = c.ledger[id].Entry
	}
	return out
}

// Unanswered returns the ids sent and not answered (nor refused), in order:
// the outbox Reconnect sends again.
func (c *Client) Unanswered() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.pending {
		if e := c.ledger[id]; !e.Answered && e.Err == nil {
			out = append(out, id)
		}
	}
	return out
}

// Stats returns what the client counted so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Err returns the protocol faults seen (gaps, repeats, changed answers,
// ids judged again, undecodable messages), joined; nil when none. Only the
// first few are kept; Stats counts them all.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.faults...)
}

// Check is what ResendAnswered found.
type Check struct {
	Resent      int // answered ids sent again
	JudgedAgain int // of them, answered without replayed
	Changed     int // of them, answered with another verdict than the first
}

// ResendAnswered sends every answered id of the ledger again, in the order
// first sent, and checks each answer: replayed, with the first verdict.
// window bounds how many are in flight at once (at least 1). It stops at
// the first error (a lost connection, ctx).
func (c *Client) ResendAnswered(ctx context.Context, window int) (Check, error) {
	var ids []string
	var firsts []pickwave.Verdict
	for _, e := range c.Ledger() {
		if e.Answered {
			ids = append(ids, e.ID)
			firsts = append(firsts, e.Verdict)
		}
	}
	window = max(window, 1)
	var (
		chk      Check
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, window)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, id := range ids {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := c.Resend(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("resend %s: %w", id, err)
					cancel()
				}
				return
			}
			chk.Resent++
			if !res.Replayed {
				chk.JudgedAgain++
			}
			if res.Verdict != firsts[i] {
				chk.Changed++
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return chk, firstErr
}
