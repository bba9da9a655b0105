package server

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/pickwave/pickwave/floor"
)

// TestFloorHub_slowConsumerDropped: a connection whose send buffer is
// full is dropped at the next message instead of holding up the hub; its
// session keeps every message, and a resume gets them all, in order.
func TestFloorHub_slowConsumerDropped(t *testing.T) {
	h := &floorHub{s: &Server{logger: slog.New(slog.DiscardHandler)}, board: floor.NewBoard(),
		sessions: map[string]*floorSession{}, conns: map[*floorConn]bool{}}
	slow := &floorConn{send: make(chan []byte, 2), user: "sue"}
	h.conns[slow] = true
	h.hello(slow, floor.ClientMessage{Type: floor.TypeHello}) // welcome and snapshot fill the buffer
	sess := slow.session
	h.broadcast(&floor.Changes{Exceptions: []floor.Exception{{Kind: floor.ExShort, Message: "one"}}})
	h.broadcast(&floor.Changes{Exceptions: []floor.Exception{{Kind: floor.ExShort, Message: "two"}}})
	if h.conns[slow] || sess.conn != nil {
		t.Fatal("a connection that fell behind is still attached")
	}
	var got []string
	for data := range slow.send { // closed by the drop
		var m floor.ServerMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Type)
	}
	if len(got) != 2 || got[0] != floor.TypeWelcome || got[1] != floor.TypeSnapshot || slow.code == 0 {
		t.Fatalf("the slow connection got %v and close code %d", got, slow.code)
	}
	// The screen resumes from the snapshot (seq 1): both exceptions come.
	next := &floorConn{send: make(chan []byte, floor.SendBuffer), user: "sue"}
	h.conns[next] = true
	h.hello(next, floor.ClientMessage{Type: floor.TypeHello, Session: sess.id, LastSeq: 1})
	var seqs []uint64
	for len(next.send) > 0 {
		var m floor.ServerMessage
		if err := json.Unmarshal(<-next.send, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == floor.TypeWelcome && !m.Resumed {
			t.Fatalf("welcome %+v: not resumed", m)
		}
		if m.Sequenced() {
			seqs = append(seqs, m.Seq)
		}
	}
	if len(seqs) != 2 || seqs[0] != 2 || seqs[1] != 3 {
		t.Fatalf("resumed with %v, want 2 and 3", seqs)
	}
	// Another user cannot take the session over.
	other := &floorConn{send: make(chan []byte, floor.SendBuffer), user: "mallory"}
	h.conns[other] = true
	h.hello(other, floor.ClientMessage{Type: floor.TypeHello, Session: sess.id, LastSeq: 3})
	if other.session == sess {
		t.Fatal("another user resumed sue's session")
	}
}
