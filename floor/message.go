package floor

import "time"

// Message types of the floor websocket (docs/floor.md).
const (
	// From the client.
	TypeHello = "hello"
	TypeAck   = "ack"
	// From the server; all but welcome and error are numbered.
	TypeWelcome   = "welcome"
	TypeSnapshot  = "snapshot"
	TypeWave      = "wave"
	TypePicker    = "picker"
	TypeStation   = "station"
	TypeException = "exception"
	TypeError     = "error"
)

// Timing and limits of the floor websocket.
const (
	// WriteWait is the time allowed to write a message to the client.
	WriteWait = 10 * time.Second
	// PongWait is the time allowed to read the next pong; PingPeriod,
	// shorter, how often the server pings.
	PongWait   = 60 * time.Second
	PingPeriod = PongWait * 9 / 10
	// HelloWait is how long a connection may stay open without a hello.
	HelloWait = 10 * time.Second
	// MaxMessageSize bounds a client message: a hello or an ack.
	MaxMessageSize = 512
	// SendBuffer is how many messages a connection may fall behind by
	// before it is dropped (the client resumes, losing nothing).
	SendBuffer = 64
	// OutboxSize is how many unacknowledged messages a session keeps: a
	// client further behind than that gets a new session and a snapshot.
	OutboxSize = 512
	// SessionIdle is how long a session whose client went away is kept.
	SessionIdle = 5 * time.Minute
	// MaxSessions bounds the sessions kept; beyond it the longest idle
	// one is freed.
	MaxSessions = 200
	// TickEvery is how often paces, ETAs, stations and handheld
	// connections are looked at again.
	TickEvery = time.Second
	// Backfill is how many of the latest logged events the board folds
	// when the server starts, to know the pickers' carts and paces.
	Backfill = 20000
)

// ClientMessage is what a floor client sends.
type ClientMessage struct {
	Type string `json:"type"`
	// Session and LastSeq, on hello, resume a session: the session id of
	// the last welcome and the highest seq processed.
	Session string `json:"session,omitempty"`
	LastSeq uint64 `json:"last_seq,omitempty"`
	// Seq, on ack: every message up to it was processed.
	Seq uint64 `json:"seq,omitempty"`
}

// ServerMessage is what the server sends.
type ServerMessage struct {
	Type string `json:"type"`
	Seq  uint64 `json:"seq,omitempty"`
	// On welcome: the session, its newest seq so far, and who is watching.
	Session string `json:"session,omitempty"`
	User    string `json:"user,omitempty"`
	Resumed bool   `json:"resumed,omitempty"`

	Floor     *Snapshot  `json:"floor,omitempty"`
	Wave      *Wave      `json:"wave,omitempty"`
	Picker    *Picker    `json:"picker,omitempty"`
	Station   *Station   `json:"station,omitempty"`
	Exception *Exception `json:"exception,omitempty"`

	// On error.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Sequenced says whether the message is numbered.
func (m *ServerMessage) Sequenced() bool { return m.Type != TypeWelcome && m.Type != TypeError }

// Messages turns changes into messages, unnumbered: exceptions first, in
// the order they happened, then waves, pickers and stations.
func (c *Changes) Messages() []ServerMessage {
	var out []ServerMessage
	for i := range c.Exceptions {
		out = append(out, ServerMessage{Type: TypeException, Exception: &c.Exceptions[i]})
	}
	for i := range c.Waves {
		out = append(out, ServerMessage{Type: TypeWave, Wave: &c.Waves[i]})
	}
	for i := range c.Pickers {
		out = append(out, ServerMessage{Type: TypePicker, Picker: &c.Pickers[i]})
	}
	for i := range c.Stations {
		out = append(out, ServerMessage{Type: TypeStation, Station: &c.Stations[i]})
	}
	return out
}
