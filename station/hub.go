package station

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
)

// The station websocket (/ws/station/{id} in the server), after
// gorilla/websocket's chat example: one hub goroutine owns the set of clients; each connection has
// a read pump and a write pump, its only reader and only writer; the hub
// hands each client its messages through a buffered send channel and
// drops a client whose channel is full rather than wait for it. Unlike the
// example, the hub stops when its context ends, closing every client, and
// it owns the pumps: it starts them and waits for them. Each message is
// its own websocket text frame (one JSON object), not several joined by
// newlines as the chat example does.
//
// A client gets the station's state as soon as it connects, then every
// message about the station with a higher sequence number: state messages
// on every change, scan messages for each barcode read. The protocol is in
// docs/protocol.md.

// Timing and limits of the station websocket. The handheld socket has its
// own, in the handheld package.
const (
	// Time allowed to write a message to the peer.
	writeWait = 10 * time.Second
	// Time allowed to read the next pong message from the peer.
	pongWait = 60 * time.Second
	// Send pings to peer with this period. Must be less than pongWait.
	pingPeriod = (pongWait * 9) / 10
	// Maximum message size allowed from peer: a pack scan (pickwave.
	// MaxPackScan bytes of barcode) in its JSON envelope. This bounds
	// what a client can make the server read.
	maxMessageSize = pickwave.MaxPackScan + 512
	// Messages a client may fall behind by before it is dropped.
	sendBuffer = 64
	// Messages the hub may fall behind by before station messages are
	// dropped (a hub that far behind is stuck).
	hubBuffer = 1024
)

// message is one message about one station.
type message struct {
	station string
	seq     uint64
	data    []byte
}

// client is one websocket connection watching one station.
type client struct {
	hub     *hub
	conn    *websocket.Conn
	station string
	// minSeq is the sequence of the state the client got on connecting;
	// messages up to it are already reflected there.
	minSeq uint64
	// send carries outbound messages; only the hub closes it.
	send chan []byte
	// onMessage handles a message the client sent; nil ignores them.
	onMessage func(data []byte)
}

// hub keeps the station websocket clients and fans messages out to them.
type hub struct {
	log        *slog.Logger
	register   chan *client
	unregister chan *client
	broadcast  chan message
	stopping   chan struct{} // closed when the hub stops taking clients
	clients    map[string]map[*client]bool
	pumps      sync.WaitGroup
}

func newHub(log *slog.Logger) *hub {
	return &hub{
		log:        log,
		register:   make(chan *client),
		unregister: make(chan *client),
		broadcast:  make(chan message, hubBuffer),
		stopping:   make(chan struct{}),
		clients:    map[string]map[*client]bool{},
	}
}

// run serves until ctx ends, then closes every client and waits for all
// pumps to finish. A panic in the hub's loop is logged with its stack and
// the loop goes on with the clients it has: one bad message must not cut
// every station's screens off.
func (h *hub) run(ctx context.Context) {
	defer func() {
		close(h.stopping)
		for _, set := range h.clients {
			for c := range set {
				close(c.send) // the write pump says goodbye and closes the connection
			}
		}
		h.clients = nil
		h.pumps.Wait()
	}()
	for panics(h.log, "station hub panicked; it goes on", func() { h.serve(ctx) }) {
	}
}

// serve is the hub's loop; it returns when ctx ends.
func (h *hub) serve(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-h.register:
			set := h.clients[c.station]
			if set == nil {
				set = map[*client]bool{}
				h.clients[c.station] = set
			}
			set[c] = true
			// A pump that panics has closed the connection on its way
			// out (its deferred calls run), so the other pump ends too.
			h.pumps.Add(2)
			go func() {
				defer h.pumps.Done()
				panics(h.log.With("station", c.station), "station websocket write pump panicked", c.writePump)
			}()
			go func() {
				defer h.pumps.Done()
				panics(h.log.With("station", c.station), "station websocket read pump panicked", c.readPump)
			}()
		case c := <-h.unregister:
			if set := h.clients[c.station]; set[c] {
				delete(set, c)
				close(c.send)
			}
		case m := <-h.broadcast:
			for c := range h.clients[m.station] {
				if m.seq <= c.minSeq {
					continue
				}
				select {
				case c.send <- m.data:
				default:
					// A slow consumer: drop it rather than hold up the others.
					h.log.Warn("station websocket client too slow, dropped", "station", m.station)
					delete(h.clients[m.station], c)
					close(c.send)
				}
			}
		}
	}
}

// send queues a message for the station's clients without blocking: the
// callers are device goroutines that must not wait.
func (h *hub) send(m message) {
	select {
	case h.broadcast <- m:
	default:
		h.log.Warn("station hub behind: message dropped", "station", m.station, "seq", m.seq)
	}
}

// add registers a client, false when the hub has stopped.
func (h *hub) add(c *client) bool {
	select {
	case h.register <- c:
		return true
	case <-h.stopping:
		return false
	}
}

// readPump reads what the client sends, which keeps the pong handler and
// close handshake working, hands each message to onMessage (pack scans;
// answered to all the station's clients), and unregisters the client
// when the connection ends.
func (c *client) readPump() {
	defer func() {
		select {
		case c.hub.unregister <- c:
		case <-c.hub.stopping:
		}
		c.conn.Close()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { c.conn.SetReadDeadline(time.Now().Add(pongWait)); return nil })
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseAbnormalClosure) {
				c.hub.log.Debug("station websocket read", "station", c.station, "err", err)
			}
			return
		}
		if c.onMessage != nil {
			c.onMessage(data)
		}
	}
}

// writePump writes the hub's messages and pings to the connection.
func (c *client) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case data, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				// The hub closed the channel.
				c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, data); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// Watch makes a websocket client of station id: it gets the station's
// state at once, then every message about the station (state changes and
// scans) until it goes away or the runtime stops. Watch checks first and,
// without calling upgrade, returns EUNAVAILABLE when the runtime is not
// running and ENOTFOUND when the station does not exist. Then it calls
// upgrade to complete the handshake; when that fails, upgrade has
// answered the client and Watch returns nil. From then on the connection
// belongs to the runtime: its hub alone reads, writes and closes it.
func (rt *Runtime) Watch(id string, upgrade func() (*websocket.Conn, error)) error {
	return rt.WatchAs(id, "", upgrade)
}

// WatchAs is Watch for a client with a session: user's pack scans sent
// on the socket ({"type": "pack_scan", ...}) are judged as the API's
// are, when user is the station's signed-in packer. Watch's clients
// ("" user) may only watch.
func (rt *Runtime) WatchAs(id, user string, upgrade func() (*websocket.Conn, error)) error {
	rt.mu.Lock()
	running, h, sr := rt.running, rt.hub, rt.stations[id]
	rt.mu.Unlock()
	if !running {
		return pickwave.Errorf(pickwave.EUNAVAILABLE, "The station runtime is not running.")
	}
	if sr == nil {
		return pickwave.Errorf(pickwave.ENOTFOUND, "Station %s does not exist.", id)
	}
	conn, err := upgrade()
	if err != nil {
		return nil // answered by the upgrader
	}
	c := &client{hub: h, conn: conn, station: id, send: make(chan []byte, sendBuffer)}
	if user != "" {
		c.onMessage = func(data []byte) { rt.socketMessage(sr, user, data) }
	}
	// The station's lock is held from the snapshot until the hub has the
	// client, so the station's next message reaches the hub after the
	// client does and none falls in between. The hub never takes the
	// lock, so this cannot deadlock, and it holds up the station's
	// device callbacks only for a channel handover.
	sr.mu.Lock()
	seq, first := sr.snapshotLocked()
	c.minSeq = seq
	c.send <- first
	added := h.add(c)
	sr.mu.Unlock()
	if !added {
		// Stopping: say so, then let the connection go.
		if err := conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"), time.Now().Add(time.Second)); err != nil {
			h.log.Debug("station websocket close frame", "station", id, "err", err)
		}
		conn.Close()
	}
	return nil
}
