package server

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/floor"
)

// EventNotifier says when the event log grew (a *store.DB).
type EventNotifier interface {
	// Changed is closed after the next commit that appends to the log.
	Changed() <-chan struct{}
}

// The live floor (/ws/floor), after the station hub: one hub goroutine
// owns the board (package floor), the sessions with their outboxes, and
// every connection's send channel, which it alone closes. It follows the
// event log, looks at the stations and the handhelds every second, and
// numbers what changed once per session. Each connection has a read pump
// (the request's goroutine) and a write pump; a connection whose send
// channel is full is dropped, and its session waits for the client to
// resume. The protocol is in docs/floor.md.

type floorHub struct {
	s     *Server
	cmds  chan func() // run on the hub goroutine
	stop  context.CancelFunc
	done  chan struct{} // closed when the hub has stopped
	pumps sync.WaitGroup

	// Owned by the hub goroutine.
	board    *floor.Board
	sessions map[string]*floorSession
	conns    map[*floorConn]bool
	cursor   uint64
}

type floorQueued struct {
	seq  uint64
	data []byte
}

type floorSession struct {
	id       string
	user     string
	seq      uint64
	outbox   []floorQueued
	conn     *floorConn
	detached time.Time
}

type floorConn struct {
	ws      *websocket.Conn
	send    chan []byte // closed by the hub alone
	code    int         // close code, set by the hub before send closes
	text    string
	session *floorSession
	user    string
}

// floorHub returns the floor hub, starting it on first use.
func (s *Server) floorHub() *floorHub {
	s.floorOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		h := &floorHub{s: s, cmds: make(chan func()), stop: cancel, done: make(chan struct{}),
			board: floor.NewBoard(), sessions: map[string]*floorSession{}, conns: map[*floorConn]bool{}}
		s.floor = h
		go h.run(ctx)
	})
	return s.floor
}

// close stops the hub: every connection gets close code 1001 and the
// hub waits for their pumps.
func (h *floorHub) close() {
	h.stop()
	<-h.done
	h.pumps.Wait()
}

// do runs fn on the hub goroutine; false when the hub has stopped.
func (h *floorHub) do(fn func()) bool {
	select {
	case h.cmds <- fn:
		return true
	case <-h.done:
		return false
	}
}

func (h *floorHub) run(ctx context.Context) {
	defer close(h.done)
	defer func() {
		for c := range h.conns {
			h.drop(c, websocket.CloseGoingAway, "server shutting down")
		}
	}()
	log := h.s.logger.With("component", "floor")
	h.start(ctx)
	tick := time.NewTicker(floor.TickEvery)
	defer tick.Stop()
	changed := h.s.Changes.Changed() // before reading, so no signal is missed
	h.follow(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
			changed = h.s.Changes.Changed()
			h.follow(ctx)
		case <-tick.C:
			h.tick(ctx)
		case fn := <-h.cmds:
			func() {
				defer func() {
					if v := recover(); v != nil {
						log.Error("floor hub command panicked", "panic", v)
					}
				}()
				fn()
			}()
		}
	}
}

// start puts the released waves on the board and folds the latest
// events, so that a restarted server shows carts and paces at once.
func (h *floorHub) start(ctx context.Context) {
	now := time.Now()
	if h.s.Waves != nil {
		waves, err := h.s.Waves.Waves(ctx, 200)
		if err != nil {
			h.s.logger.Error("floor: read waves", "err", err)
		}
		for _, w := range waves {
			h.board.SetWave(w, now)
		}
	}
	last, err := h.s.Events.LastSeq(ctx)
	if err != nil {
		h.s.logger.Error("floor: read the event log", "err", err)
	}
	if last > floor.Backfill {
		h.cursor = last - floor.Backfill
	}
	h.follow(ctx)
}

// follow folds the events logged since the cursor and sends what changed.
func (h *floorHub) follow(ctx context.Context) {
	for {
		events, err := h.s.Events.Events(ctx, h.cursor, 1000)
		if err != nil {
			if ctx.Err() == nil {
				h.s.logger.Error("floor: read the event log", "err", err)
			}
			return
		}
		if len(events) == 0 {
			return
		}
		now := time.Now()
		var c floor.Changes
		for _, ev := range events {
			if err := h.board.Apply(ev, now, &c); err != nil {
				h.s.logger.Error("floor: event", "err", err)
			}
			h.cursor = ev.Seq
		}
		h.broadcast(&c)
	}
}

// tick looks at the stations and the handhelds, and moves paces on.
func (h *floorHub) tick(ctx context.Context) {
	now := time.Now()
	var c floor.Changes
	if h.s.Stations != nil && h.s.StationRuntime != nil {
		list, err := h.s.Stations.Stations(ctx, "", 1000)
		if err != nil {
			h.s.logger.Error("floor: list stations", "err", err)
		}
		states := make([]pickwave.StationState, 0, len(list))
		for _, st := range list {
			if state, ok := h.s.StationRuntime.State(st.ID); ok {
				states = append(states, state)
			}
		}
		h.board.SetStations(states, now, &c)
	}
	h.board.SetPresence(h.s.handhelds.presence(), now, &c)
	h.board.Tick(now, &c)
	h.broadcast(&c)
	for id, sess := range h.sessions {
		if sess.conn == nil && now.Sub(sess.detached) > floor.SessionIdle {
			delete(h.sessions, id)
		}
	}
}

func (h *floorHub) broadcast(c *floor.Changes) {
	if c.Empty() {
		return
	}
	for _, m := range c.Messages() {
		for _, sess := range h.sessions {
			h.push(sess, m)
		}
	}
}

// push numbers m for the session, keeps it until acknowledged, and sends
// it when the session has a connection.
func (h *floorHub) push(sess *floorSession, m floor.ServerMessage) {
	sess.seq++
	m.Seq = sess.seq
	data, err := json.Marshal(m)
	if err != nil {
		h.s.logger.Error("floor: encode message", "err", err)
		return
	}
	sess.outbox = append(sess.outbox, floorQueued{seq: m.Seq, data: data})
	if n := len(sess.outbox) - floor.OutboxSize; n > 0 {
		sess.outbox = sess.outbox[n:]
	}
	if sess.conn != nil {
		h.send(sess.conn, data)
	}
}

// send hands data to a connection's write pump, dropping the connection
// when it is too far behind; its session waits for a resume.
func (h *floorHub) send(c *floorConn, data []byte) {
	if !h.conns[c] {
		return
	}
	select {
	case c.send <- data:
	default:
		h.s.logger.Warn("floor websocket client too slow, dropped", "user", c.user)
		h.drop(c, websocket.ClosePolicyViolation, "too slow: resume")
	}
}

// drop ends a connection: its write pump writes the close frame and
// closes the socket. Its session stays, detached.
func (h *floorHub) drop(c *floorConn, code int, text string) {
	if !h.conns[c] {
		return
	}
	delete(h.conns, c)
	c.code, c.text = code, text
	close(c.send)
	if s := c.session; s != nil && s.conn == c {
		s.conn, s.detached = nil, time.Now()
	}
}

// hello attaches c to the session it names when that session still has
// every message after lastSeq, or to a new session that starts with a
// snapshot.
func (h *floorHub) hello(c *floorConn, m floor.ClientMessage) {
	if !h.conns[c] {
		return
	}
	if c.session != nil {
		h.sendJSON(c, floor.ServerMessage{Type: floor.TypeError, Code: pickwave.EINVALID, Message: "This connection already said hello."})
		return
	}
	sess := h.sessions[m.Session]
	resumable := sess != nil && sess.user == c.user && m.LastSeq <= sess.seq &&
		(len(sess.outbox) == 0 && m.LastSeq == sess.seq || len(sess.outbox) > 0 && m.LastSeq+1 >= sess.outbox[0].seq)
	if !resumable {
		if len(h.sessions) >= floor.MaxSessions {
			h.evictIdle()
		}
		sess = &floorSession{id: newSessionID(), user: c.user}
		h.sessions[sess.id] = sess
	}
	if old := sess.conn; old != nil {
		h.drop(old, websocket.CloseNormalClosure, "resumed on another connection")
	}
	sess.conn, c.session = c, sess
	h.sendJSON(c, floor.ServerMessage{Type: floor.TypeWelcome, Session: sess.id, Seq: sess.seq, User: c.user, Resumed: resumable})
	if resumable {
		for _, q := range sess.outbox {
			if q.seq > m.LastSeq {
				h.send(c, q.data)
			}
		}
		return
	}
	snap := h.board.Snapshot(time.Now())
	h.push(sess, floor.ServerMessage{Type: floor.TypeSnapshot, Floor: &snap})
}

func (h *floorHub) evictIdle() {
	var oldest *floorSession
	for _, s := range h.sessions {
		if s.conn == nil && (oldest == nil || s.detached.Before(oldest.detached)) {
			oldest = s
		}
	}
	if oldest != nil {
		delete(h.sessions, oldest.id)
	}
}

func (h *floorHub) ack(c *floorConn, seq uint64) {
	sess := c.session
	if sess == nil || sess.conn != c {
		return
	}
	i := 0
	for i < len(sess.outbox) && sess.outbox[i].seq <= seq {
		i++
	}
	sess.outbox = sess.outbox[i:]
}

func (h *floorHub) sendJSON(c *floorConn, m floor.ServerMessage) {
	data, err := json.Marshal(m)
	if err != nil {
		h.s.logger.Error("floor: encode message", "err", err)
		return
	}
	h.send(c, data)
}

// floorSocket serves /ws/floor. The session was checked on the upgrade
// request, as for the station socket.
func (s *Server) floorSocket(c *gin.Context) {
	if s.Events == nil || s.Changes == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "The live floor is not set up on this server."))
		return
	}
	h := s.floorHub()
	ws, err := stationUpgrader.Upgrade(c.Writer, c.Request, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn := &floorConn{ws: ws, send: make(chan []byte, floor.SendBuffer), user: session(c).User}
	if !h.do(func() { h.conns[conn] = true }) {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		ws.Close()
		return
	}
	h.pumps.Add(1)
	go func() {
		defer h.pumps.Done()
		h.writePump(conn)
	}()
	h.readPump(conn)
}

// readPump reads hello and acks until the connection ends, then has the
// hub drop it.
func (h *floorHub) readPump(c *floorConn) {
	defer h.do(func() { h.drop(c, websocket.CloseNormalClosure, "") })
	c.ws.SetReadLimit(floor.MaxMessageSize)
	c.ws.SetReadDeadline(time.Now().Add(floor.HelloWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(floor.PongWait)) })
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !errors.Is(err, websocket.ErrReadLimit) {
				h.s.logger.Debug("floor websocket read", "err", err)
			}
			return
		}
		var m floor.ClientMessage
		if err := json.Unmarshal(data, &m); err != nil {
			h.do(func() {
				h.sendJSON(c, floor.ServerMessage{Type: floor.TypeError, Code: pickwave.EINVALID, Message: "A message must be a JSON object with a type."})
			})
			continue
		}
		switch m.Type {
		case floor.TypeHello:
			c.ws.SetReadDeadline(time.Now().Add(floor.PongWait))
			h.do(func() { h.hello(c, m) })
		case floor.TypeAck:
			h.do(func() { h.ack(c, m.Seq) })
		default:
			h.do(func() {
				h.sendJSON(c, floor.ServerMessage{Type: floor.TypeError, Code: pickwave.EINVALID,
					Message: "Unknown message type " + pickwave.Clip(m.Type) + "; send hello or ack."})
			})
		}
	}
}

// writePump is the only writer of the connection: messages, pings, and
// at the end the close frame, then it closes the socket.
func (h *floorHub) writePump(c *floorConn) {
	ping := time.NewTicker(floor.PingPeriod)
	defer func() {
		ping.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case data, ok := <-c.send:
			c.ws.SetWriteDeadline(time.Now().Add(floor.WriteWait))
			if !ok {
				code := c.code
				if code == 0 {
					code = websocket.CloseNormalClosure
				}
				c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, c.text))
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
				h.do(func() { h.drop(c, websocket.CloseAbnormalClosure, "") })
				drain(c.send)
				return
			}
		case <-ping.C:
			c.ws.SetWriteDeadline(time.Now().Add(floor.WriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				h.do(func() { h.drop(c, websocket.CloseAbnormalClosure, "") })
				drain(c.send)
				return
			}
		}
	}
}

// drain waits for the hub to close ch, so that the hub never blocks on a
// connection whose writer has gone.
func drain(ch chan []byte) {
	for range ch {
	}
}
