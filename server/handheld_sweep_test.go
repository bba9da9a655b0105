package server

import (
	"testing"
	"time"
)

// TestHandheldHub_sweepFreesIdleSessions checks that a session without a
// connection for longer than handheldSessionIdle is freed, and that one
// recently left or still connected is kept for its handheld to resume.
func TestHandheldHub_sweepFreesIdleSessions(t *testing.T) {
	h := newHandheldHub()
	now := time.Now()
	gone, away, here := &handheldConn{}, &handheldConn{}, &handheldConn{}
	for picker, c := range map[string]*handheldConn{"gone": gone, "away": away, "here": here} {
		h.sessions[picker] = &handheldSession{picker: picker, id: picker, conn: c, outbox: make([]queued, 64)}
	}
	h.sessions["gone"].detach(gone)
	h.sessions["gone"].detached = now.Add(-handheldSessionIdle - time.Second)
	h.sessions["away"].detach(away)
	h.sessions["away"].detach(here) // another connection's going changes nothing
	if s := h.sessions["away"]; s.conn != nil || s.detached.IsZero() {
		t.Fatalf("detach: conn %v, detached %v", s.conn, s.detached)
	}

	h.sweep(now)
	if _, ok := h.sessions["gone"]; ok {
		t.Error("a session idle for longer than handheldSessionIdle was kept")
	}
	for _, picker := range []string{"away", "here"} {
		if _, ok := h.sessions[picker]; !ok {
			t.Errorf("session %s was freed", picker)
		}
	}
}
