package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
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
	// handheldWriteWait is the time allowed to write one message.
	handheldWriteWait = 5 * time.Second
	// handheldPongWait is how long a handheld may stay silent before it is dropped.
	handheldPongWait = 30 * time.Second
	// handheldPingPeriod must be shorter than handheldPongWait.
	handheldPingPeriod = handheldPongWait * 9 / 10
	// handheldMaxMessage bounds one client message; a scan is far smaller.
	handheldMaxMessage = 8 << 10
	// handheldSendBuffer is how many messages may wait for a slow handheld before
	// it is dropped (it resumes from its outbox when it reconnects).
	handheldSendBuffer = 32
	// maxOutbox bounds a session's unacknowledged messages.
	maxOutbox = 64
)

// handheldUpgrader keeps buffers small: a handheld sends short messages,
// and a thousand of them must fit in little memory.
var handheldUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     sameOriginHandheld,
}

// sameOriginHandheld accepts browsers on this host and clients that send no
// Origin (native apps, tests).
func sameOriginHandheld(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// clientMsg is any message from a handheld.
type clientMsg struct {
	Type     string               `json:"type"`
	Session  string               `json:"session,omitempty"`
	LastSeq  uint64               `json:"last_seq,omitempty"`
	Seq      uint64               `json:"seq,omitempty"`
	Badge    string               `json:"badge,omitempty"`
	Username string               `json:"username,omitempty"`
	Password string               `json:"password,omitempty"`
	ID       string               `json:"id,omitempty"`
	Device   string               `json:"device,omitempty"`
	Data     string               `json:"data,omitempty"`
	Count    int                  `json:"count,omitempty"`
	Reason   pickwave.ShortReason `json:"reason,omitempty"`
	Found    *int                 `json:"found,omitempty"`
	Token    string               `json:"token,omitempty"` // hello: a bearer token, for browsers that cannot set headers
}

// serverMsg is any message to a handheld.
type serverMsg struct {
	Type    string               `json:"type"`
	Seq     uint64               `json:"seq,omitempty"`
	Session string               `json:"session,omitempty"`
	User    string               `json:"user,omitempty"`
	Role    pickwave.Role        `json:"role,omitempty"`
	Token   string               `json:"token,omitempty"`
	Prompt  *pickwave.Prompt     `json:"prompt,omitempty"`
	Result  *pickwave.ScanResult `json:"result,omitempty"`
	Code    string               `json:"code,omitempty"`
	Message string               `json:"message,omitempty"`
	Ref     string               `json:"ref,omitempty"` // the client message id an error answers
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

// handheldHub owns the sessions and their connections.
type handheldHub struct {
	mu        sync.Mutex
	sessions  map[string]*handheldSession // by picker
	conns     map[*handheldConn]struct{}
	closed    bool
	lastSweep time.Time
}

func newHandheldHub() *handheldHub {
	return &handheldHub{sessions: map[string]*handheldSession{}, conns: map[*handheldConn]struct{}{}}
}

// handheldConn is one websocket.
type handheldConn struct {
	s       *Server
	ws      *websocket.Conn
	send    chan []byte
	done    chan struct{} // closed when the connection ends
	once    sync.Once
	session *handheldSession
	user    *pickwave.Session
	log     *slog.Logger
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
	var user *pickwave.Session
	if token := bearer(c.Request); token != "" {
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
			user = sess
		}
	}
	ws, err := handheldUpgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has answered the client
	}
	hc := &handheldConn{s: s, ws: ws, send: make(chan []byte, handheldSendBuffer), done: make(chan struct{}), user: user, log: s.logger}
	if !s.handhelds.add(hc) {
		ws.Close()
		return
	}
	s.metrics.handhelds.Inc()
	go hc.writePump()
	hc.readPump()
	s.metrics.handhelds.Dec()
}

func (h *handheldHub) add(c *handheldConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *handheldHub) remove(c *handheldConn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// closeAll ends every connection, for shutdown.
func (h *handheldHub) closeAll() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*handheldConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
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
			defer sess.conn.close()
		} else {
			defer sess.conn.replaced()
		}
	}
	sess.conn, sess.detached = c, time.Time{}
	greet(sess, resumed)
	return sess, resumed
}

// push sends a sequenced message on the session and keeps it until acked.
func (sess *handheldSession) push(m serverMsg) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	sess.seq++
	m.Seq = sess.seq
	data, err := json.Marshal(m)
	if err != nil {
		return // plain structs: cannot fail
	}
	sess.outbox = append(sess.outbox, queued{seq: m.Seq, data: data})
	if len(sess.outbox) > maxOutbox {
		sess.outbox = slices.Delete(sess.outbox, 0, len(sess.outbox)-maxOutbox)
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
		c.close()
	}
}

// reply sends an unsequenced message (welcome, errors).
func (c *handheldConn) reply(m serverMsg) {
	data, err := json.Marshal(m)
	if err == nil {
		c.queue(data)
	}
}

// CloseReplaced is the close code a handheld gets when the same picker
// logs in on another device: it should stop reconnecting and say so.
const CloseReplaced = 4001

// replaced ends a connection whose picker logged in elsewhere, telling it
// why: an error message, then a close frame with CloseReplaced.
func (c *handheldConn) replaced() {
	c.reply(serverMsg{Type: "error", Code: pickwave.ECONFLICT, Message: "You logged in on another device; this one is signed out."})
	select {
	case c.send <- nil: // the write pump closes after what is queued
	case <-c.done:
	default:
		c.close()
	}
}

func (c *handheldConn) close() {
	c.once.Do(func() {
		close(c.done)
		c.ws.Close()
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
		c.close()
	}()
	c.ws.SetReadLimit(handheldMaxMessage)
	_ = c.ws.SetReadDeadline(time.Now().Add(handheldPongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(handheldPongWait)) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m clientMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(serverMsg{Type: "error", Code: pickwave.EINVALID, Message: "The message is not valid JSON."})
			continue
		}
		c.handle(m)
	}
}

// writePump writes queued messages and pings; it is the only writer.
func (c *handheldConn) writePump() {
	ticker := time.NewTicker(handheldPingPeriod)
	defer func() {
		ticker.Stop()
		c.close()
	}()
	for {
		select {
		case data := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(handheldWriteWait))
			if data == nil {
				_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(CloseReplaced, "logged in elsewhere"))
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(handheldWriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-c.done:
			_ = c.ws.SetWriteDeadline(time.Now().Add(handheldWriteWait))
			_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			return
		}
	}
}

// handlerTimeout bounds one store call made for a handheld.
const handlerTimeout = 10 * time.Second

func (c *handheldConn) handle(m clientMsg) {
	ctx, cancel := context.WithTimeout(context.Background(), handlerTimeout)
	defer cancel()
	if c.user != nil {
		ctx = pickwave.WithActor(ctx, c.user.User)
	}
	switch m.Type {
	case "login":
		c.login(ctx, m)
		return
	case "hello":
		c.hello(ctx, m)
		return
	}
	if c.session == nil {
		c.reply(serverMsg{Type: "error", Code: pickwave.EUNAUTHORIZED, Message: "Log in first, then say hello.", Ref: m.ID})
		return
	}
	picker := c.session.picker
	switch m.Type {
	case "ack":
		c.session.ack(m.Seq)
	case "take_cart":
		p, err := c.s.Picks.TakeCart(ctx, picker)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(serverMsg{Type: "prompt", Prompt: p})
	case "prompt":
		p, err := c.s.Picks.Prompt(ctx, picker)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(serverMsg{Type: "prompt", Prompt: p})
	case "scan":
		start := time.Now()
		res, err := c.s.Picks.Scan(ctx, picker, pickwave.ScanRequest{ID: m.ID, Device: m.Device, Data: m.Data, Count: m.Count})
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.s.metrics.scans.WithLabelValues(res.Verdict.Code).Inc()
		c.session.push(serverMsg{Type: "verdict", Result: res})
		c.s.metrics.verdicts.Observe(time.Since(start).Seconds())
	case "short":
		res, err := c.s.Picks.Short(ctx, picker, pickwave.ShortRequest{ID: m.ID, Device: m.Device, Reason: m.Reason, Found: m.Found})
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.session.push(serverMsg{Type: "verdict", Result: res})
	default:
		c.reply(serverMsg{Type: "error", Code: pickwave.EINVALID, Message: "Unknown message type " + truncate(m.Type, 40) + ".", Ref: m.ID})
	}
}

// fail answers a request that could not be carried out; internal errors
// are logged here and shown without detail.
func (c *handheldConn) fail(err error, ref string) {
	code := pickwave.ErrorCode(err)
	if code == pickwave.EINTERNAL {
		c.log.Error("handheld request failed", "user", c.userName(), "err", err)
	}
	c.reply(serverMsg{Type: "error", Code: code, Message: pickwave.ErrorMessage(err), Ref: ref})
}

// handheldRoles may pick: pickers, and supervisors or admins covering.
var handheldRoles = []pickwave.Role{pickwave.RolePicker, pickwave.RoleSupervisor, pickwave.RoleAdmin}

func (c *handheldConn) login(ctx context.Context, m clientMsg) {
	var (
		token string
		sess  *pickwave.Session
		err   error
	)
	if m.Badge != "" {
		token, sess, err = c.s.Users.LoginBadge(ctx, m.Badge)
	} else {
		token, sess, err = c.s.Users.Login(ctx, m.Username, m.Password)
	}
	if err != nil {
		c.fail(err, m.ID)
		return
	}
	c.user = sess
	c.welcome(ctx, m, token)
}

func (c *handheldConn) hello(ctx context.Context, m clientMsg) {
	if m.Token != "" {
		sess, err := c.s.Users.Authenticate(ctx, m.Token)
		if err != nil {
			c.fail(err, m.ID)
			return
		}
		c.user = sess
	}
	if c.user == nil {
		c.reply(serverMsg{Type: "error", Code: pickwave.EUNAUTHORIZED, Message: "Log in first: send a login with a badge or user name and password.", Ref: m.ID})
		return
	}
	c.welcome(ctx, m, "")
}

// welcome attaches the connection to the picker's session and brings the
// handheld up to date: the missed messages of a resumed session, or the
// current prompt of a new one.
func (c *handheldConn) welcome(ctx context.Context, m clientMsg, token string) {
	if !slices.Contains(handheldRoles, c.user.Role) {
		c.reply(serverMsg{Type: "error", Code: pickwave.EFORBIDDEN, Message: "Only pickers, supervisors and admins can pick.", Ref: m.ID})
		return
	}
	sess, resumed := c.s.handhelds.attach(c, c.user.User, m.Session, func(sess *handheldSession, resumed bool) {
		// welcome is not sequenced; its seq field tells the newest seq sent.
		c.reply(serverMsg{Type: "welcome", Session: sess.id, User: c.user.User, Role: c.user.Role, Token: token, Seq: sess.seq})
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
	if resumed {
		return
	}
	p, err := c.s.Picks.Prompt(ctx, c.user.User)
	if err != nil {
		if pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
			c.fail(err, m.ID)
		}
		return // no cart yet: the handheld asks with take_cart
	}
	sess.push(serverMsg{Type: "prompt", Prompt: p})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
