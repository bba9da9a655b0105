package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
)

// The station websocket, /ws/station/{id}, after gorilla/websocket's chat
// example: one hub goroutine owns the set of clients; each connection has
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

// Timing and limits of the station websocket, named apart from the
// handheld socket's, which has its own.
const (
	// Time allowed to write a message to the peer.
	stationWriteWait = 10 * time.Second
	// Time allowed to read the next pong message from the peer.
	stationPongWait = 60 * time.Second
	// Send pings to peer with this period. Must be less than pongWait.
	stationPingPeriod = (stationPongWait * 9) / 10
	// Maximum message size allowed from peer. Station clients send
	// nothing the server needs; this bounds what they can make it read.
	stationMaxMessageSize = 512
	// Messages a client may fall behind by before it is dropped.
	stationSendBuffer = 64
	// Messages the hub may fall behind by before station messages are
	// dropped (a hub that far behind is stuck).
	stationHubBuffer = 1024
)

// hubMessage is one message about one station.
type hubMessage struct {
	station string
	seq     uint64
	data    []byte
}

// wsClient is one websocket connection watching one station.
type wsClient struct {
	hub     *hub
	conn    *websocket.Conn
	station string
	// minSeq is the sequence of the state the client got on connecting;
	// messages up to it are already reflected there.
	minSeq uint64
	// send carries outbound messages; only the hub closes it.
	send chan []byte
}

// hub keeps the station websocket clients and fans messages out to them.
type hub struct {
	log        *slog.Logger
	register   chan *wsClient
	unregister chan *wsClient
	broadcast  chan hubMessage
	stopping   chan struct{} // closed when the hub stops taking clients
	clients    map[string]map[*wsClient]bool
	pumps      sync.WaitGroup
}

func newHub(log *slog.Logger) *hub {
	return &hub{
		log:        log,
		register:   make(chan *wsClient),
		unregister: make(chan *wsClient),
		broadcast:  make(chan hubMessage, stationHubBuffer),
		stopping:   make(chan struct{}),
		clients:    map[string]map[*wsClient]bool{},
	}
}

// run serves until ctx ends, then closes every client and waits for all
// pumps to finish.
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
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-h.register:
			set := h.clients[c.station]
			if set == nil {
				set = map[*wsClient]bool{}
				h.clients[c.station] = set
			}
			set[c] = true
			h.pumps.Add(2)
			go func() {
				defer h.pumps.Done()
				c.writePump()
			}()
			go func() {
				defer h.pumps.Done()
				c.readPump()
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
func (h *hub) send(m hubMessage) {
	select {
	case h.broadcast <- m:
	default:
		h.log.Warn("station hub behind: message dropped", "station", m.station, "seq", m.seq)
	}
}

// add registers a client, false when the hub has stopped.
func (h *hub) add(c *wsClient) bool {
	select {
	case h.register <- c:
		return true
	case <-h.stopping:
		return false
	}
}

// readPump reads (and discards) what the client sends, which keeps the
// pong handler and close handshake working, and unregisters the client
// when the connection ends.
func (c *wsClient) readPump() {
	defer func() {
		select {
		case c.hub.unregister <- c:
		case <-c.hub.stopping:
		}
		c.conn.Close()
	}()
	c.conn.SetReadLimit(stationMaxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(stationPongWait))
	c.conn.SetPongHandler(func(string) error { c.conn.SetReadDeadline(time.Now().Add(stationPongWait)); return nil })
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseAbnormalClosure) {
				c.hub.log.Debug("station websocket read", "station", c.station, "err", err)
			}
			return
		}
	}
}

// writePump writes the hub's messages and pings to the connection.
func (c *wsClient) writePump() {
	ticker := time.NewTicker(stationPingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case message, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(stationWriteWait))
			if !ok {
				// The hub closed the channel.
				c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, message); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(stationWriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// upgrader accepts websocket connections from the server's own pages
// (and from clients that are not browsers, which send no Origin): a page
// on another site must not use the packer's session cookie.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	CheckOrigin:     stationOrigin,
	Error:           upgradeError,
}

func stationOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// upgradeError writes a refused handshake in the JSON error shape.
func upgradeError(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	code := pickwave.EINVALID
	if status == http.StatusForbidden {
		code = pickwave.EFORBIDDEN
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: code, Message: "Websocket handshake refused: " + reason.Error() + "."}})
}

// serveSocket upgrades a request to the station websocket. It returns an
// error, and writes nothing, when the station is not running; once the
// handshake is attempted, failures are answered by the upgrader.
func (m *Stations) serveSocket(w http.ResponseWriter, r *http.Request, id string) error {
	m.mu.Lock()
	running, h, sr := m.running, m.hub, m.stations[id]
	m.mu.Unlock()
	if !running {
		return pickwave.Errorf(pickwave.EUNAVAILABLE, "The station runtime is not running.")
	}
	if sr == nil {
		return pickwave.Errorf(pickwave.ENOTFOUND, "Station %s does not exist.", id)
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil // answered by upgradeError
	}
	c := &wsClient{hub: h, conn: conn, station: id, send: make(chan []byte, stationSendBuffer)}
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
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "shutting down"), time.Now().Add(time.Second))
		conn.Close()
	}
	return nil
}
