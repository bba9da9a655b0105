package handheld

import (
	"time"

	"github.com/pickwave/pickwave"
)

// Message types: the `type` of every message on the handheld socket.
const (
	// TypeLogin logs in on the socket with a badge, or a user name and password.
	TypeLogin = "login"
	// TypeHello says who the handheld is with a bearer token (on the upgrade or in the message).
	TypeHello = "hello"
	// TypeTakeCart asks for the picker's cart in progress or the oldest one waiting.
	TypeTakeCart = "take_cart"
	// TypePrompt is, from the handheld, a request for what to do now; from the
	// server, a sequenced message saying what to do now.
	TypePrompt = "prompt"
	// TypeScan is one barcode read, with the client's id.
	TypeScan = "scan"
	// TypeShort reports that the rest of the current task cannot be picked.
	TypeShort = "short"
	// TypeAck acknowledges every sequenced message up to its seq.
	TypeAck = "ack"
	// TypeWelcome answers a login or hello: the session and who logged in.
	TypeWelcome = "welcome"
	// TypeVerdict is the sequenced, committed answer to a scan or short.
	TypeVerdict = "verdict"
	// TypeError answers a message that was not carried out.
	TypeError = "error"

	// TypeWork asks, from the handheld, for what to do now in work of a
	// kind (receive, putaway, count, replenish, move); from the server it
	// is the sequenced answer, a work prompt.
	TypeWork = "work"
	// TypeWorkScan is one scan or action of a work task, with the
	// client's id.
	TypeWorkScan = "work_scan"
	// TypeWorkVerdict is the sequenced, committed answer to a work_scan.
	TypeWorkVerdict = "work_verdict"
)

// CloseReplaced is the websocket close code a handheld gets when its picker
// logged in on another device: it should stop reconnecting and say so.
const CloseReplaced = 4001

// CloseSignedOut is the websocket close code a handheld gets when the
// session it logged in with was logged out (POST /api/v1/logout): it
// should log in again.
const CloseSignedOut = 4003

// Limits of the protocol. A message over a limit is refused (MaxMessageSize
// closes the connection; the others get an error with code invalid).
const (
	// MaxMessageSize bounds one client message, in bytes.
	MaxMessageSize = 8 << 10
	// OutboxSize is how many unacknowledged sequenced messages a session
	// keeps; older ones are pushed out and cannot be sent again.
	OutboxSize = 64
	// MaxIDLen bounds a message id, in bytes.
	MaxIDLen = 64
	// MaxDeviceLen bounds a device name, in bytes.
	MaxDeviceLen = pickwave.MaxCodeLen
	// MaxDataLen bounds the data of one scan, in bytes.
	MaxDataLen = 4096
	// MaxCount bounds a keyed count and a short's found count.
	MaxCount = pickwave.MaxLineQty
)

// Keep-alive timings of the server side of the socket.
const (
	// PongWait is how long the server waits for a pong (or any message)
	// before it drops a handheld.
	PongWait = 30 * time.Second
	// PingPeriod is how often the server pings; shorter than PongWait.
	PingPeriod = PongWait * 9 / 10
	// WriteWait is the time allowed to write one message.
	WriteWait = 5 * time.Second
	// ReadWait is how long a client hears nothing (not even a ping)
	// before it takes the connection for dead: two ping periods and more.
	ReadWait = 2 * PongWait
)

// ClientMessage is any message from a handheld to the server. Which fields
// a message uses depends on its Type; see docs/protocol.md.
type ClientMessage struct {
	Type string `json:"type"`
	// ID is the client's id of the message: required on scan and short
	// (unique for the picker, it makes the scan idempotent), otherwise
	// only echoed as Ref in an error.
	ID string `json:"id,omitempty"`

	// Login: a badge, or a user name and password.
	Badge    string `json:"badge,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// Token is hello's bearer token, for clients that cannot set headers.
	Token string `json:"token,omitempty"`
	// Session and LastSeq on login or hello resume a session: its id from
	// the last welcome and the highest seq processed.
	Session string `json:"session,omitempty"`
	LastSeq uint64 `json:"last_seq,omitempty"`

	// Seq is an ack's highest seq processed.
	Seq uint64 `json:"seq,omitempty"`

	// Scan and short.
	Device string `json:"device,omitempty"`
	Data   string `json:"data,omitempty"`
	// Count is a keyed-in number of the scanned pack; 0 means one.
	Count  int                  `json:"count,omitempty"`
	Reason pickwave.ShortReason `json:"reason,omitempty"`
	// Found is the picker's own count of what is left at the location,
	// when counted: recorded as a cycle count's first count, not applied.
	Found *int `json:"found,omitempty"`

	// Work and work_scan: the kind of work and an action instead of a
	// scan (done, all, cancel). A work_scan's reason (over-receipt,
	// closing a notice short) travels in Reason.
	Kind   pickwave.WorkKind `json:"kind,omitempty"`
	Action string            `json:"action,omitempty"`
}

// WorkRequest is the work message a TypeWorkScan message carries.
func (m *ClientMessage) WorkRequest() pickwave.WorkRequest {
	return pickwave.WorkRequest{ID: m.ID, Device: m.Device, Kind: m.Kind, Data: m.Data, Count: m.Count, Action: m.Action, Reason: string(m.Reason)}
}

// WorkMessage is the TypeWorkScan message of a work request.
func WorkMessage(req pickwave.WorkRequest) ClientMessage {
	return ClientMessage{Type: TypeWorkScan, ID: req.ID, Device: req.Device, Kind: req.Kind, Data: req.Data,
		Count: req.Count, Action: req.Action, Reason: pickwave.ShortReason(req.Reason)}
}

// ScanRequest is the scan a TypeScan message carries.
func (m *ClientMessage) ScanRequest() pickwave.ScanRequest {
	return pickwave.ScanRequest{ID: m.ID, Device: m.Device, Data: m.Data, Count: m.Count}
}

// ShortRequest is the short report a TypeShort message carries.
func (m *ClientMessage) ShortRequest() pickwave.ShortRequest {
	return pickwave.ShortRequest{ID: m.ID, Device: m.Device, Reason: m.Reason, Found: m.Found}
}

// ScanMessage is the TypeScan message of a scan request.
func ScanMessage(req pickwave.ScanRequest) ClientMessage {
	return ClientMessage{Type: TypeScan, ID: req.ID, Device: req.Device, Data: req.Data, Count: req.Count}
}

// ShortMessage is the TypeShort message of a short report.
func ShortMessage(req pickwave.ShortRequest) ClientMessage {
	return ClientMessage{Type: TypeShort, ID: req.ID, Device: req.Device, Reason: req.Reason, Found: req.Found}
}

// ServerMessage is any message from the server to a handheld.
type ServerMessage struct {
	Type string `json:"type"`
	// Seq numbers prompts and verdicts within the session (1, 2, 3...).
	// On a welcome it is the newest seq of the session so far.
	Seq uint64 `json:"seq,omitempty"`

	// Welcome.
	Session string        `json:"session,omitempty"`
	User    string        `json:"user,omitempty"`
	Role    pickwave.Role `json:"role,omitempty"`
	// Locale is the user's locale (a BCP 47 tag), absent when the user
	// has none: the handheld then follows the browser.
	Locale string `json:"locale,omitempty"`
	Token  string `json:"token,omitempty"` // after a login

	// Prompt is a prompt's what to do now.
	Prompt *pickwave.Prompt `json:"prompt,omitempty"`
	// Result is a verdict's committed answer to a scan or short.
	Result *pickwave.ScanResult `json:"result,omitempty"`
	// Work is a work message's prompt; WorkResult a work_verdict's answer.
	Work       *pickwave.WorkPrompt `json:"work,omitempty"`
	WorkResult *pickwave.WorkResult `json:"work_result,omitempty"`
	// Kinds, on a welcome, are the kinds of work the user's role may do.
	Kinds []pickwave.WorkKind `json:"kinds,omitempty"`
	// Peers, on a welcome, are the base URLs of the site's other servers:
	// where a page opens its socket when this server is down.
	Peers []string `json:"peers,omitempty"`

	// Error: a code of the root package (pickwave.EINVALID...) and a
	// sentence for the picker.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// RetryAfterMS, on an unavailable error, is how long to wait before
	// sending the message again: the server is overloaded and did
	// nothing with it.
	RetryAfterMS int `json:"retry_after_ms,omitempty"`
	// Ref is the id of the client message an error or a prompt answers.
	Ref string `json:"ref,omitempty"`
}

// Sequenced reports whether the message is numbered in its session and
// kept in the outbox until acknowledged: prompts and verdicts.
func (m *ServerMessage) Sequenced() bool {
	return m.Type == TypePrompt || m.Type == TypeVerdict || m.Type == TypeWork || m.Type == TypeWorkVerdict
}
