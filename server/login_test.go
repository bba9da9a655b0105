package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// testClock is a clock a test moves by hand, for the login limiter.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// limitedFloor is a floor whose login limiter runs on a clock the test
// moves.
func limitedFloor(t *testing.T) (*floor, *testClock) {
	f := newFloor(t, 1)
	clock := &testClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	f.limits = server.LoginLimits{Now: clock.Now}
	f.restart()
	return f, clock
}

func TestLogin_badgeGuessingOnTheSocketIsLimited(t *testing.T) {
	f, clock := limitedFloor(t)
	h := f.wire(nil)
	limit := server.DefaultLoginLimits.Failures
	for i := range limit {
		h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: "B000" + string(rune('2'+i)), ID: "g"})
		if m := h.expect(handheld.TypeError); m.Code != pickwave.EUNAUTHORIZED || m.Message != "Unknown badge." {
			t.Fatalf("guess %d: %+v", i+1, m)
		}
	}
	// Locked out: another guess, and even the right badge, are not checked.
	for _, badge := range []string{"B0009", picker1Badge} {
		h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: badge, ID: "late"})
		m := h.expect(handheld.TypeError)
		if m.Code != pickwave.ETOOMANY || m.Ref != "late" || !strings.Contains(m.Message, "try again in 30 seconds") {
			t.Fatalf("badge %s during the lockout: %+v", badge, m)
		}
	}
	// A new connection from the same address is locked out too.
	h2 := f.wire(nil)
	h2.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	if m := h2.expect(handheld.TypeError); m.Code != pickwave.ETOOMANY {
		t.Fatalf("a new connection during the lockout: %+v", m)
	}
	clock.add(31 * time.Second)
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	if m := h.expect(handheld.TypeWelcome); m.User != "picker1" {
		t.Fatalf("after the lockout: %+v", m)
	}
}

func TestLogin_supervisorBadgeIsRefused(t *testing.T) {
	f := newFloor(t, 1)
	ctx := pickwave.WithActor(context.Background(), "test")
	for _, u := range []*pickwave.User{
		{Name: "sue", Role: pickwave.RoleSupervisor, Badge: "SUP-1"},
		{Name: "ann", Role: pickwave.RoleAdmin, Badge: "ADM-1"},
	} {
		if err := f.db.CreateUser(ctx, u, "s3cret-pw"); err != nil {
			t.Fatal(err)
		}
	}
	h := f.wire(nil)
	for _, badge := range []string{"SUP-1", "ADM-1", "NOBODY"} {
		h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: badge})
		// The same answer as an unknown badge: guessing learns nothing.
		if m := h.expect(handheld.TypeError); m.Code != pickwave.EUNAUTHORIZED || m.Message != "Unknown badge." {
			t.Fatalf("badge %s: %+v", badge, m)
		}
	}
	// A supervisor covering on the floor logs in with a password.
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Username: "sue", Password: "s3cret-pw"})
	if m := h.expect(handheld.TypeWelcome); m.Role != pickwave.RoleSupervisor {
		t.Fatalf("password login: %+v", m)
	}
}

func TestLogin_badgeRolesAreConfigurable(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true,
		BadgeRoles: []pickwave.Role{pickwave.RolePicker, pickwave.RoleSupervisor}})
	ctx := pickwave.WithActor(context.Background(), "test")
	if err := db.CreateUser(ctx, &pickwave.User{Name: "sue", Role: pickwave.RoleSupervisor, Badge: "SUP-1"}, "s3cret-pw"); err != nil {
		t.Fatal(err)
	}
	_, sess, err := db.LoginBadge(ctx, "SUP-1")
	if err != nil || sess.User != "sue" || sess.Scope != pickwave.ScopeHandheld {
		t.Fatalf("supervisor badge with supervisors allowed: %+v, %v", sess, err)
	}
}

func TestLogin_badgeTokenOpensOnlyTheHandheldSocket(t *testing.T) {
	f := newFloor(t, 1)
	h := f.wire(nil)
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Badge: picker1Badge})
	token := h.expect(handheld.TypeWelcome).Token
	if token == "" {
		t.Fatal("no token in the welcome")
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/skus", "/metrics"} {
		req, _ := http.NewRequest("GET", f.http.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "only the handheld socket") {
			t.Fatalf("GET %s with the badge token: %d %s", path, res.StatusCode, body)
		}
	}
	// It opens the handheld socket: in hello, and on the upgrade.
	h.ws.Close()
	h2 := f.wire(nil)
	h2.send(handheld.ClientMessage{Type: handheld.TypeHello, Token: token})
	if m := h2.expect(handheld.TypeWelcome); m.User != "picker1" {
		t.Fatalf("hello with the badge token: %+v", m)
	}
	h2.ws.Close()
	h3 := f.wire(http.Header{"Authorization": {"Bearer " + token}})
	h3.send(handheld.ClientMessage{Type: handheld.TypeHello})
	if m := h3.expect(handheld.TypeWelcome); m.User != "picker1" {
		t.Fatalf("upgrade with the badge token: %+v", m)
	}
	// A password login's token is a full session, as before.
	if err := f.db.CreateUser(pickwave.WithActor(context.Background(), "test"),
		&pickwave.User{Name: "pat", Role: pickwave.RolePicker}, "s3cret-pw"); err != nil {
		t.Fatal(err)
	}
	full, _, err := f.db.Login(context.Background(), "pat", "s3cret-pw")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+full)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("a password token on /api/v1/me: %d", res.StatusCode)
	}
}

func TestLogin_passwordGuessingGets429(t *testing.T) {
	db := testenv.OpenStore(t, "", store.Options{NoSync: true})
	clock := &testClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	srv := testenv.Server(db, nil)
	srv.LoginLimits = server.LoginLimits{Now: clock.Now}
	hs := httptest.NewServer(testenv.Checked(t, srv.Handler()))
	t.Cleanup(hs.Close)
	e := &env{t: t, db: db, srv: hs}
	ctx := pickwave.WithActor(context.Background(), "test")
	if err := db.CreateUser(ctx, &pickwave.User{Name: "root", Role: pickwave.RoleAdmin}, "right-pw"); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) response {
		return e.json("POST", "/api/v1/login", "", map[string]any{"username": "root", "password": pw})
	}
	for range server.DefaultLoginLimits.Failures {
		mustStatus(t, login("wrong"), http.StatusUnauthorized)
	}
	for _, pw := range []string{"wrong", "right-pw"} {
		r := login(pw)
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("password %s during the lockout: %d %s", pw, r.status, r.body)
		}
		if got := r.header.Get("Retry-After"); got != "30" {
			t.Fatalf("password %s during the lockout: Retry-After %q, want 30", pw, got)
		}
		var ae struct {
			Error struct {
				Code, Message string
				Details       struct {
					RetryAfter int `json:"retry_after_s"`
				}
			}
		}
		r.decode(t, &ae)
		if ae.Error.Code != pickwave.ETOOMANY || !strings.Contains(ae.Error.Message, "try again in 30 seconds") || ae.Error.Details.RetryAfter != 30 {
			t.Fatalf("password %s during the lockout: %s", pw, r.body)
		}
	}
	clock.add(10 * time.Second)
	if got := login("right-pw").header.Get("Retry-After"); got != "20" {
		t.Fatalf("10 s into the lockout: Retry-After %q, want 20", got)
	}
	// Another account from the same address is locked out too: the
	// address is a key of its own.
	if r := e.json("POST", "/api/v1/login", "", map[string]any{"username": "someone", "password": "x"}); r.status != http.StatusTooManyRequests {
		t.Fatalf("another account from the locked address: %d %s", r.status, r.body)
	}
	clock.add(21 * time.Second)
	r := login("right-pw")
	mustStatus(t, r, http.StatusOK)
	var lr struct{ Token string }
	r.decode(t, &lr)
	// The refusals are counted.
	m := e.do("GET", "/metrics", lr.Token, "", nil)
	mustStatus(t, m, http.StatusOK)
	for _, want := range []string{
		`pickwave_login_refused_total{reason="bad_credentials"} 5`,
		`pickwave_login_refused_total{reason="locked_out"} 4`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// TestLogin_passwordGuessingOnTheSocketIsLimited checks the password
// login on the handheld socket shares the limiter.
func TestLogin_passwordGuessingOnTheSocketIsLimited(t *testing.T) {
	f, _ := limitedFloor(t)
	h := f.wire(nil)
	for range server.DefaultLoginLimits.Failures {
		h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Username: "picker1", Password: "wrong"})
		if m := h.expect(handheld.TypeError); m.Code != pickwave.EUNAUTHORIZED {
			t.Fatalf("wrong password: %+v", m)
		}
	}
	h.send(handheld.ClientMessage{Type: handheld.TypeLogin, Username: "picker1", Password: "pickwave"})
	if m := h.expect(handheld.TypeError); m.Code != pickwave.ETOOMANY {
		t.Fatalf("the right password during the lockout: %+v", m)
	}
}
