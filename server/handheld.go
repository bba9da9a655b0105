package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/floor"
	"github.com/pickwave/pickwave/handheld"
)

// The handheld websocket: see docs/protocol.md for the messages.
//
// Each connection has one read pump and one write pump, as in gorilla's
// chat example. The read pump handles one client message at a time: a scan
// is judged and committed by the store before its verdict is queued, so a
// verdict on the wire is always durable. Server messages that change what
// the handheld shows (prompts and verdicts) carry a sequence number of the
// picker's session and stay in the session's outbox until the handheld
// acknowledges them; after a reconnect the handheld says the last seq it
// saw and gets exactly the messages after it. A scan sent again after a
// reconnect carries the same client id and gets its first verdict back.

const (
	// handheldSendBuffer is how many messages may wait for a slow handheld before
	// it is dropped (it resumes from its outbox when it reconnects).
	handheldSendBuffer = 32
)

// handheldUpgrader keeps buffers small: a handheld sends short messages,
// and a thousand of them must fit in little memory.
var handheldUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	WriteBufferPool: &sync.Pool{},
	Error:           upgradeError,
}

// sameOriginHandheld accepts browsers on this host or on a peer's (their
// pages fail over here), and clients that send no Origin (native apps,
// tests).
func (s *Server) sameOriginHandheld(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Host == r.Host || s.peerOrigin(u))
}

// handheldSession is a picker's stream of sequenced messages. It outlives
// connections: a reconnecting handheld resumes it.
type handheldSession struct {
	picker string
	id     string

	mu       sync.Mutex
	seq      uint64
	outbox   []queued // unacknowledged, in seq order
	conn     *handheldConn
	detached time.Time // when conn last went; zero while connected

	// judging holds the scan and short ids being judged for the session,
	// each closed once its verdict is sequenced (see claim).
	judging map[string]chan struct{}

	// turn orders what the store answers with what is sequenced: a
	// message read from the store (take_cart, prompt, scan, short) holds
	// it for reading from the store call until its push; a supervisor's
	// change to the picker's cart (tellPicker) holds it for writing while
	// it reads the prompt and pushes it. So an answer read before the
	// change is never sequenced after the prompt that tells of it. A scan
	// takes it after claim, never before, so that a sending waiting for
	// an earlier one of its id cannot hold up the earlier one's turn.
	turn sync.RWMutex
}

// claim makes the caller the one judging id for the session, after
// whoever judges it now has sequenced its verdict. A handheld that lost
// its connection sends its unanswered scans again on the new one, and the
// first sending may still be on its way through the store: without this,
// the second could be answered from record (replayed) and sequenced before
// the first sending's own verdict, which a handheld would read as the
// scan judged twice. With it, an id's first verdict always comes first.
// release must be called once the verdict (or error) is sent.
func (sess *handheldSession) claim(ctx context.Context, id string) (release func(), err error) {
	if id == "" {
		return func() {}, nil
	}
	for {
		sess.mu.Lock()
		busy, ok := sess.judging[id]
		if !ok {
			done := make(chan struct{})
			if sess.judging == nil {
				sess.judging = map[string]chan struct{}{}
			}
			sess.judging[id] = done
			sess.mu.Unlock()
			return func() {
				sess.mu.Lock()
				delete(sess.judging, id)
				sess.mu.Unlock()
				close(done)
			}, nil
		}
		sess.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// handheldSessionIdle is how long a session without a connection is kept
// for its handheld to resume. A Wi-Fi dead spot lasts minutes; past this
// the session and its outbox are freed, and a handheld that comes back
// starts a new one and gets its prompt afresh (nothing stored is lost:
// carts and scans are in the store).
const handheldSessionIdle = 30 * time.Minute

// handheldSweepEvery bounds how often attach looks for idle sessions.
const handheldSweepEvery = time.Minute

type queued struct {
	seq  uint64
	data []byte
}

// handheldHub owns the sessions and their connections. closeAll ends
// every connection and waits until each has written its close frame and
// its pumps have returned.
type handheldHub struct {
	mu        sync.Mutex
	sessions  map[string]*handheldSession // by picker
	conns     map[*handheldConn]struct{}
	tokens    map[*handheldConn]string // the session token a connection logged in with
	closed    bool
	lastSweep time.Time
	running   sync.WaitGroup // one per connection added, done when both pumps returned
}

func newHandheldHub() *handheldHub {
	return &handheldHub{sessions: map[string]*handheldSession{}, conns: map[*handheldConn]struct{}{}, tokens: map[*handheldConn]string{}}
}

// handheldConn is one websocket. The read pump runs on the request's
// goroutine and owns the write pump, which it starts and waits for. The
// write pump alone writes to the socket and alone closes it: a connection
// that ends for any reason (the handheld went, shutdown, replaced, too
// slow) gets its close frame first, then the socket is closed.
type handheldConn struct {
	id       string // "hh-" and 16 hex digits, for the device list
	since    time.Time
	agent    string // the upgrade's User-Agent, clipped
	s        *Server
	ws       *websocket.Conn
	send     chan []byte   // nil asks the write pump to close as replaced
	done     chan struct{} // closed when the connection is to end
	readDone chan struct{} // closed when the read pump returned
	once     sync.Once
	// closeCode and closeText are the close frame's, set before done closes.
	closeCode int
	closeText string
	session   *handheldSession
	user      *pickwave.Session
	remote    string // the remote address's host, for the login limiter
	log       *slog.Logger

	infoMu   sync.Mutex // guards what the device list reads of a live connection
	who      *pickwave.Session
	device   string // the handheld's name, from its hello, login or last scan
	lastSeen time.Time
}

func newSessionID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// serveHandheld upgrades the request and runs the connection until it
// ends. A request with a session cookie or bearer token is logged in at
// once; otherwise the first message must be a login.
func (s *Server) serveHandheld(c *gin.Context) {
	var (
		user  *pickwave.Session
		token string
	)
	if token = bearer(c.Request); token != "" {
		sess, err := s.Users.Authenticate(c.Request.Context(), token)
		if err != nil {
			s.fail(c, err)
			return
		}
		user = sess
	} else if ck, err := c.Request.Cookie(SessionCookie); err == nil {
		// A stale cookie (a supervisor's, an expired one) must not lock a
		// picker out: without a live session the handheld logs in by message.
		if sess, err := s.Users.Authenticate(c.Request.Context(), ck.Value); err == nil {
			user, token = sess, ck.Value
		}
	}
	up := handheldUpgrader
	up.CheckOrigin = s.sameOriginHandheld
	ws, err := up.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has answered the client
	}
	hc := &handheldConn{s: s, ws: ws, send: make(chan []byte, handheldSendBuffer), done: make(chan struct{}), readDone: make(chan struct{}),
		user: user, remote: remoteHost(c.Request.RemoteAddr), log: s.logger,
		id: "hh-" + newSessionID(), since: time.Now(), agent: truncate(c.Request.UserAgent(), 200)}
	hc.noteUser(user, "")
	if !s.handhelds.add(hc) {
		err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"), time.Now().Add(handheld.WriteWait))
		if err != nil {
			s.logger.Debug("handheld close frame", "err", err)
		}
		ws.Close()
		return
	}
	if user != nil {
		s.handhelds.loggedIn(hc, token)
	}
	defer s.handhelds.running.Done()
	s.metrics.handhelds.Inc()
	defer s.metrics.handhelds.Dec()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		hc.writePump()
	}()
	hc.readPump()
	<-wrote
}

func (h *handheldHub) add(c *handheldConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.running.Add(1)
	return true
}

func (h *handheldHub) remove(c *handheldConn) {
	h.mu.Lock()
	delete(h.conns, c)
	delete(h.tokens, c)
	h.mu.Unlock()
}

// loggedIn notes the session token a connection logged in with, so that
// logging that session out ends the connection.
func (h *handheldHub) loggedIn(c *handheldConn, token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; ok && token != "" {
		h.tokens[c] = token
	}
}

// session returns the picker's session, nil when it has none.
func (h *handheldHub) session(picker string) *handheldSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[picker]
}

// signOut ends every connection logged in with token: its session was
// logged out, and a handheld must not go on scanning on it.
func (h *handheldHub) signOut(token, reason string) {
	h.mu.Lock()
	var out []*handheldConn
	for c, t := range h.tokens {
		if t == token {
			out = append(out, c)
		}
	}
	h.mu.Unlock()
	for _, c := range out {
		c.closeWith(handheld.CloseSignedOut, truncate(reason, 100))
	}
}

// presence is every picker with a handheld session: connected, or away
// since when its connection went.
func (h *handheldHub) presence() map[string]floor.Presence {
	h.mu.Lock()
	sessions := make([]*handheldSession, 0, len(h.sessions))
	for _, s := range h.sessions {
		sessions = append(sessions, s)
	}
	h.mu.Unlock()
	out := make(map[string]floor.Presence, len(sessions))
	for _, s := range sessions {
		s.mu.Lock()
		out[s.picker] = floor.Presence{Online: s.conn != nil, Since: s.detached}
		s.mu.Unlock()
	}
	return out
}

// closeAll ends every connection with close code 1001 (going away), for
// shutdown, and waits for their pumps: each writes its close frame, waits
// a moment for the handheld's answer, and closes the socket.
func (h *handheldHub) closeAll() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*handheldConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
	h.running.Wait()
}

// attach binds the connection to the picker's session, resuming it when
// the handheld names it, and replaces any other connection of the picker.
// greet runs under the session's lock as the connection takes over: what
// it queues goes out before any message pushed after, and a message pushed
// meanwhile by the picker's previous connection (the verdict of a scan it
// was still handling) is either in the outbox greet sees or sent after it,
// never both.
func (h *handheldHub) attach(c *handheldConn, picker, sessionID string, greet func(sess *handheldSession, resumed bool)) (sess *handheldSession, resumed bool) {
	h.mu.Lock()
	if now := time.Now(); now.Sub(h.lastSweep) >= handheldSweepEvery {
		h.lastSweep = now
		h.sweep(now)
	}
	sess = h.sessions[picker]
	if sess == nil || sess.id != sessionID {
		sess = &handheldSession{picker: picker, id: newSessionID()}
		if old := h.sessions[picker]; old != nil {
			old.mu.Lock()
			// Another device is told it was replaced; this connection
			// saying hello again just starts afresh.
			if old.conn != nil && old.conn != c {
				defer old.conn.replaced()
			}
			old.mu.Unlock()
		}
		h.sessions[picker] = sess
	} else {
		resumed = true
	}
	h.mu.Unlock()

	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.conn != nil && sess.conn != c {
		// The same handheld resuming its session drops its stale
		// connection quietly; a different device is told it was replaced.
		if resumed {
			defer sess.conn.closeWith(websocket.CloseNormalClosure, "resumed on a new connection")
		} else {
			defer sess.conn.replaced()
		}
	}
	sess.conn, sess.detached = c, time.Time{}
	greet(sess, resumed)
	return sess, resumed
}

// push sends a sequenced message on the session and keeps it until acked.
func (sess *handheldSession) push(m handheld.ServerMessage) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.seq++
	m.Seq = sess.seq
	data, err := json.Marshal(m)
	if err != nil {
		return // plain structs: cannot fail
	}
	sess.outbox = append(sess.outbox, queued{seq: m.Seq, data: data})
	if len(sess.outbox) > handheld.OutboxSize {
		sess.outbox = slices.Delete(sess.outbox, 0, len(sess.outbox)-handheld.OutboxSize)
	}
	if sess.conn != nil {
		sess.conn.queue(data)
	}
}

// ack drops acknowledged messages from the outbox.
func (sess *handheldSession) ack(seq uint64) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	i := 0
	for i < len(sess.outbox) && sess.outbox[i].seq <= seq {
		i++
	}
	sess.outbox = slices.Delete(sess.outbox, 0, i)
}

func (sess *handheldSession) detach(c *handheldConn) {
	sess.mu.Lock()
	if sess.conn == c {
		sess.conn = nil
		sess.detached = time.Now()
	}
	sess.mu.Unlock()
}

// sweep frees the sessions that have had no connection for longer than
// handheldSessionIdle. The caller holds h.mu.
func (h *handheldHub) sweep(now time.Time) {
	for picker, sess := range h.sessions {
		sess.mu.Lock()
		idle := sess.conn == nil && !sess.detached.IsZero() && now.Sub(sess.detached) > handheldSessionIdle
		sess.mu.Unlock()
		if idle {
			delete(h.sessions, picker)
		}
	}
}

// queue hands a message to the write pump; a handheld that cannot keep up
// is dropped and will resume from its outbox.
func (c *handheldConn) queue(data []byte) {
	select {
	case c.send <- data:
	case <-c.done:
	default:
		c.log.Warn("handheld too slow, dropping connection")
		c.closeWith(websocket.CloseTryAgainLater, "too slow: reconnect and resume")
	}
}

// reply sends an unsequenced message (welcome, errors).
func (c *handheldConn) reply(m handheld.ServerMessage) {
	data, err := json.Marshal(m)
	if err == nil {
		c.queue(data)
	}
}

// replaced ends a connection whose picker logged in elsewhere, telling it
// why: an error message, then a close frame with handheld.CloseReplaced.
func (c *handheldConn) replaced() {
	c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.ECONFLICT, Message: "You logged in on another device; this one is signed out."})
	select {
	case c.send <- nil: // the write pump closes after what is queued
	case <-c.done:
	default:
		c.closeWith(handheld.CloseReplaced, "logged in elsewhere")
	}
}

// closeWith asks the write pump to end the connection with a close frame
// of code; the first reason given wins.
func (c *handheldConn) closeWith(code int, text string) {
	c.once.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.done)
	})
}

func (c *handheldConn) userName() string {
	if c.user == nil {
		return ""
	}
	return c.user.User
}

// readPump reads client messages in order and handles each to the end.
func (c *handheldConn) readPump() {
	defer func() {
		if c.session != nil {
			c.session.detach(c)
		}
		c.s.handhelds.remove(c)
		close(c.readDone)
		c.closeWith(websocket.CloseNormalClosure, "")
	}()
	c.ws.SetReadLimit(handheld.MaxMessageSize)
	// A socket not logged in has until loginBy, which pongs do not
	// extend: a host must not hold sockets open without a login.
	loginWait := orDefault(c.s.HandheldLoginWait, DefaultHandheldLoginWait)
	authed := c.user != nil || loginWait == 0
	deadline := func() time.Time {
		return time.Now().Add(handheld.PongWait)
	}
	if !authed {
		loginBy := time.Now().Add(loginWait)
		deadline = func() time.Time {
			if c.user == nil {
				return loginBy
			}
			return time.Now().Add(handheld.PongWait)
		}
	}
	_ = c.ws.SetReadDeadline(deadline())
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(deadline()) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ne net.Error
			if c.user == nil && errors.As(err, &ne) && ne.Timeout() {
				c.log.Debug("handheld did not log in in time", "wait", loginWait)
				c.closeWith(websocket.ClosePolicyViolation, "not logged in within "+loginWait.String())
			}
			return
		}
		select {
		case <-c.done:
			// The connection is closing (replaced, resumed elsewhere,
			// shutdown): read on only for the handheld's close frame. What
			// it sent meanwhile is unanswered, so it sends it again.
			continue
		default:
		}
		if !utf8.Valid(data) {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EINVALID, Message: "The message is not valid UTF-8."})
			continue
		}
		c.seen()
		var m handheld.ClientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EINVALID, Message: "The message is not valid JSON."})
			continue
		}
		c.handle(m)
		if !authed && c.user != nil {
			authed = true
			_ = c.ws.SetReadDeadline(deadline())
		}
	}
}

// writePump writes queued messages and pings; it is the only writer, and
// it ends the connection: a close frame, a moment for the handheld to
// answer it (which ends the read pump), then the socket closed.
func (c *handheldConn) writePump() {
	ticker := time.NewTicker(handheld.PingPeriod)
	defer ticker.Stop()
	broken := false // a failed write: no close frame can follow
loop:
	for {
		select {
		case data := <-c.send:
			if data == nil {
				c.closeWith(handheld.CloseReplaced, "logged in elsewhere")
				break loop
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(handheld.WriteWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				broken = true
				break loop
			}
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(handheld.WriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				broken = true
				break loop
			}
		case <-c.done:
			break loop
		}
	}
	c.closeWith(websocket.CloseNormalClosure, "") // the reason given first, if any, stands
	if !broken {
		msg := websocket.FormatCloseMessage(c.closeCode, c.closeText)
		err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(handheld.WriteWait))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			c.log.Debug("handheld close frame", "user", c.userName(), "err", err)
		}
		// The handheld answers the close frame, which ends the read pump.
		t := time.NewTimer(handheld.WriteWait)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
	if err := c.ws.Close(); err != nil {
		c.log.Debug("handheld socket close", "user", c.userName(), "err", err)
	}
}

// handlerTimeout bounds one store call made for a handheld.
const handlerTimeout = 10 * time.Second

func (c *handheldConn) handle(m handheld.ClientMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), handlerTimeout)
	defer cancel()
	if c.user != nil {
		ctx = pickwave.WithActor(ctx, c.user.User)
	}
	switch m.Type {
	case handheld.TypeLogin:
		c.login(ctx, m)
		return
	case handheld.TypeHello:
		c.hello(ctx, m)
		return
	}
	if c.session == nil {
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAUTHORIZED, Message: "Log in first, then say hello.", Ref: m.ID})
		return
	}
	picker := c.session.picker
	switch m.Type {
	case handheld.TypeTakeCart, handheld.TypePrompt, handheld.TypeScan, handheld.TypeShort:
		if !c.user.Role.MayDo(pickwave.WorkPick) {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EFORBIDDEN, Message: fmt.Sprintf("A %s may not pick.", c.user.Role), Ref: m.ID})
			return
		}
	}
	switch m.Type {
	case handheld.TypeAck:
		c.session.ack(m.Seq)
	case handheld.TypeTakeCart:
		c.session.turn.RLock()
		defer c.session.turn.RUnlock()
		p, err := c.s.Picks.TakeCart(ctx, picker)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(handheld.ServerMessage{Type: handheld.TypePrompt, Prompt: p, Ref: m.ID})
	case handheld.TypePrompt:
		c.session.turn.RLock()
		defer c.session.turn.RUnlock()
		p, err := c.s.Picks.Prompt(ctx, picker)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(handheld.ServerMessage{Type: handheld.TypePrompt, Prompt: p, Ref: m.ID})
	case handheld.TypeScan:
		start := time.Now()
		release, err := c.session.claim(ctx, m.ID)
		if err != nil {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAVAILABLE, Message: "The scan is still being judged; send it again.", Ref: m.ID})
			return
		}
		defer release()
		c.noteDevice(m.Device)
		c.session.turn.RLock()
		defer c.session.turn.RUnlock()
		res, err := c.s.Picks.Scan(ctx, picker, m.ScanRequest())
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.s.metrics.scans.WithLabelValues(res.Verdict.Code).Inc()
		c.session.push(handheld.ServerMessage{Type: handheld.TypeVerdict, Result: res})
		c.s.metrics.verdicts.Observe(time.Since(start).Seconds())
	case handheld.TypeShort:
		release, err := c.session.claim(ctx, m.ID)
		if err != nil {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAVAILABLE, Message: "The short is still being judged; send it again.", Ref: m.ID})
			return
		}
		defer release()
		c.session.turn.RLock()
		defer c.session.turn.RUnlock()
		res, err := c.s.Picks.Short(ctx, picker, m.ShortRequest())
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(handheld.ServerMessage{Type: handheld.TypeVerdict, Result: res})
	case handheld.TypeWork:
		if !c.mayWork(m.Kind, m.ID) {
			return
		}
		p, err := c.s.Work.WorkPrompt(ctx, picker, m.Kind)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(handheld.ServerMessage{Type: handheld.TypeWork, Work: p, Ref: m.ID})
	case handheld.TypeWorkScan:
		if !c.mayWork(m.Kind, m.ID) {
			return
		}
		release, err := c.session.claim(ctx, m.ID)
		if err != nil {
			c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAVAILABLE, Message: "The scan is still being judged; send it again.", Ref: m.ID})
			return
		}
		defer release()
		res, err := c.s.Work.Work(ctx, picker, m.WorkRequest())
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(handheld.ServerMessage{Type: handheld.TypeWorkVerdict, WorkResult: res})
	default:
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EINVALID, Message: "Unknown message type " + truncate(m.Type, 40) + ".", Ref: m.ID})
	}
}

// mayWork says whether the user may do work of the kind, and answers
// with an error when not: roles decide the kinds (pickwave.WorkKindsOf).
func (c *handheldConn) mayWork(kind pickwave.WorkKind, ref string) bool {
	switch {
	case c.s.Work == nil:
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAVAILABLE, Message: "This server runs no floor work.", Ref: ref})
	case kind == pickwave.WorkPick || !kind.Valid():
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EINVALID, Message: "kind must be receive, putaway, count, replenish or move.", Ref: ref})
	case !c.user.Role.MayDo(kind):
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EFORBIDDEN, Message: fmt.Sprintf("A %s may not %s.", c.user.Role, kind), Ref: ref})
	default:
		return true
	}
	return false
}

// fail answers a request that could not be carried out; internal errors
// are logged here and shown without detail.
func (c *handheldConn) fail(err error, ref string) {
	code := pickwave.ErrorCode(err)
	if code == pickwave.EINTERNAL {
		c.log.Error("handheld request failed", "user", c.userName(), "err", err)
	}
	msg := handheld.ServerMessage{Type: handheld.TypeError, Code: code, Message: pickwave.ErrorMessage(err), Ref: ref}
	if code == pickwave.EUNAVAILABLE {
		msg.RetryAfterMS = int(retryAfter / time.Millisecond)
		c.s.metrics.shed.WithLabelValues("scan").Inc()
	}
	c.reply(msg)
}

// handheldRoles may use a handheld: every role with some kind of floor
// work (pickwave.WorkKindsOf); which kinds each may do is checked per
// message.
var handheldRoles = []pickwave.Role{pickwave.RolePicker, pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin}

func (c *handheldConn) login(ctx context.Context, m handheld.ClientMessage) {
	var (
		token string
		sess  *pickwave.Session
		err   error
	)
	if m.Badge != "" {
		token, sess, _, err = c.s.guardLogin(ctx, loginAttempt{remote: c.remote, account: accountKey("badge", m.Badge)},
			func() (string, *pickwave.Session, error) { return c.s.Users.LoginBadge(ctx, m.Badge) })
	} else {
		token, sess, _, err = c.s.guardLogin(ctx, loginAttempt{remote: c.remote, account: accountKey("user", m.Username)},
			func() (string, *pickwave.Session, error) { return c.s.Users.Login(ctx, m.Username, m.Password) })
	}
	if err != nil {
		c.fail(err, m.ID)
		return
	}
	c.user = sess
	c.noteUser(sess, m.Device)
	c.s.handhelds.loggedIn(c, token)
	c.welcome(ctx, m, token)
}

func (c *handheldConn) hello(ctx context.Context, m handheld.ClientMessage) {
	if m.Token != "" {
		sess, err := c.s.Users.Authenticate(ctx, m.Token)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.user = sess
		c.s.handhelds.loggedIn(c, m.Token)
	}
	c.noteUser(c.user, m.Device)
	if c.user == nil {
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EUNAUTHORIZED, Message: "Log in first: send a login with a badge or user name and password.", Ref: m.ID})
		return
	}
	c.welcome(ctx, m, "")
}

// welcome attaches the connection to the picker's session and brings the
// handheld up to date: the missed messages of a resumed session, or the
// current prompt of a new one.
func (c *handheldConn) welcome(ctx context.Context, m handheld.ClientMessage, token string) {
	if !slices.Contains(handheldRoles, c.user.Role) {
		c.reply(handheld.ServerMessage{Type: handheld.TypeError, Code: pickwave.EFORBIDDEN, Message: "This role has no work on a handheld.", Ref: m.ID})
		return
	}
	locale, err := c.s.userLocale(ctx, c.user.User)
	if err != nil {
		c.fail(err, m.ID)
		return
	}
	sess, resumed := c.s.handhelds.attach(c, c.user.User, m.Session, func(sess *handheldSession, resumed bool) {
		// welcome is not sequenced; its seq field tells the newest seq sent.
		c.reply(handheld.ServerMessage{Type: handheld.TypeWelcome, Session: sess.id, User: c.user.User, Role: c.user.Role, Locale: locale, Token: token, Seq: sess.seq,
			Kinds: pickwave.WorkKindsOf(c.user.Role), Peers: c.s.Peers})
		if !resumed {
			return
		}
		for _, q := range sess.outbox { // every message after the handheld's last seq
			if q.seq > m.LastSeq {
				c.queue(q.data)
			}
		}
	})
	c.session = sess
	if resumed || !c.user.Role.MayDo(pickwave.WorkPick) {
		return
	}
	sess.turn.RLock()
	defer sess.turn.RUnlock()
	p, err := c.s.Picks.Prompt(ctx, c.user.User)
	if err != nil {
		if pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
			c.fail(err, m.ID)
		}
		return // no cart yet: the handheld asks with take_cart
	}
	sess.push(handheld.ServerMessage{Type: handheld.TypePrompt, Prompt: p})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// noteUser records who logged in on the connection, and the handheld's
// name when it gave one, for the device list.
func (c *handheldConn) noteUser(user *pickwave.Session, device string) {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	if user != nil {
		c.who = user
	}
	if device != "" {
		c.device = truncate(device, handheld.MaxDeviceLen)
	}
}

// noteDevice records the handheld's name a scan carries.
func (c *handheldConn) noteDevice(device string) { c.noteUser(nil, device) }

// seen records that the handheld sent a message now.
func (c *handheldConn) seen() {
	c.infoMu.Lock()
	c.lastSeen = time.Now()
	c.infoMu.Unlock()
}
