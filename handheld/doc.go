// Package handheld is the handheld websocket protocol: its messages,
// limits and timings, and a Go client that speaks it. The server
// (package server) is the transport that answers these messages; `pickwave
// loadgen` and every test that plays a handheld use the Client. The full
// protocol, with every field and code, is docs/protocol.md; this is the
// short version.
//
// # The conversation
//
// A handheld opens GET /ws/handheld and logs in: with a bearer token on the
// upgrade (or in hello, for a browser) it sends hello; without one it sends
// login with a badge or a user name and password, and the welcome carries a
// token for next time. The server answers with a welcome naming the
// picker's session. Then the handheld asks take_cart, and the server sends
// a prompt: what to scan next. Every scan (and every short, when the rest
// of a task cannot be picked) carries an id the handheld chose, unique for
// the picker, and gets a verdict: the committed answer, with the next
// prompt. Everything the server says that changes what the picker sees,
// prompt and verdict, is numbered: seq 1, 2, 3... within the session, each
// one above the last, and kept in the session's outbox (the newest
// OutboxSize) until the handheld acks it.
//
// # Losing the connection
//
// A handheld that loses its connection reconnects and says hello (or
// login) with the session and the last seq it processed. When the server
// still has the session it sends every outbox message after that seq, then
// live ones: exactly what was missed. When it does not (it restarted, or
// the session idled out), the welcome names a new session, numbering starts
// again at 1, and the current prompt follows. Either way the handheld then
// sends again, with the same ids, every scan it has no verdict for. A scan
// id the server has seen is never judged twice: it is answered from the
// store with its first verdict and replayed: true, however long ago it was
// answered. So an answer may arrive twice (with the resumed messages and
// as the reply to the resend): the first one counts.
//
// # The Client
//
// Dial connects and logs in. Scan and Short send with an id and wait for
// the verdict; TakeCart and RequestPrompt wait for their prompt. The client
// checks the numbering (Stats.Gaps, Stats.Repeats, Err), acks every
// Options.AckEvery messages, and keeps a ledger: every id it sent, what it
// sent, and the first answer (verdict and replayed flag). Drop loses the
// connection on purpose; Reconnect resumes the session and sends every
// unanswered id again, and Await waits for an id's answer. Resend sends any
// earlier id again, and ResendAnswered every answered one: each must come
// back replayed with its first verdict, and the ledger counts the ones that
// do not (Stats.JudgedAgain, Stats.Changed).
//
// The client runs one goroutine per connection, which reads, books and
// hands answers to the waiting calls; Drop, Reconnect and Close stop it and
// wait for it.
//
// # Caveats
//
//   - Reconnect is explicit: a call that loses its connection returns an
//     error wrapping ErrDisconnected, and the caller decides when to
//     reconnect (a load test drops connections on purpose, a crash test
//     waits for the server to come back).
//   - Resend of an id that is still unanswered may return the first answer
//     rather than a replay: both are answers to that id.
//   - The ledger keeps every id of the client's life, with its request;
//     a long run holds a few hundred bytes per scan.
//   - A server that pushes a message out of a full outbox cannot send it
//     again: the client sees a gap, which it reports as a fault.
package handheld
