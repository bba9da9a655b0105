package store_test

import (
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func TestLoginAndTokens(t *testing.T) {
	db := mustOpen(t)
	if err := db.CreateUser(ctxAs("t"), &pickwave.User{Name: "sam", Role: pickwave.RolePicker}, "secret1"); err != nil {
		t.Fatal(err)
	}
	err := db.CreateUser(ctxAs("t"), &pickwave.User{Name: "sam", Role: pickwave.RolePicker}, "secret1")
	mustCode(t, err, pickwave.ECONFLICT)
	err = db.CreateUser(ctxAs("t"), &pickwave.User{Name: "x", Role: "boss"}, "x")
	mustCode(t, err, pickwave.EINVALID)
	if !hasField(err, "role") || !hasField(err, "password") {
		t.Fatalf("details %v", pickwave.ErrorDetails(err))
	}

	_, _, err = db.Login(ctxAs("t"), "sam", "wrong")
	mustCode(t, err, pickwave.EUNAUTHORIZED)
	_, _, err = db.Login(ctxAs("t"), "nobody", "secret1")
	mustCode(t, err, pickwave.EUNAUTHORIZED)
	token, sess, err := db.Login(ctxAs("t"), "sam", "secret1")
	if err != nil || sess.Role != pickwave.RolePicker {
		t.Fatal(sess, err)
	}
	got, err := db.Authenticate(ctxAs("t"), token)
	if err != nil || got.User != "sam" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if err := db.Logout(ctxAs("t"), token); err != nil {
		t.Fatal(err)
	}
	_, err = db.Authenticate(ctxAs("t"), token)
	mustCode(t, err, pickwave.EUNAUTHORIZED)

	minted, err := db.MintToken(ctxAs("t"), "", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := db.Authenticate(ctxAs("t"), minted); err != nil || s.Role != pickwave.RoleSupervisor || s.User != "supervisor" {
		t.Fatalf("minted session %+v, %v", s, err)
	}
	expired, _ := db.MintToken(ctxAs("t"), "old", pickwave.RoleAdmin, -time.Minute)
	_, err = db.Authenticate(ctxAs("t"), expired)
	mustCode(t, err, pickwave.EUNAUTHORIZED)
	_, err = db.MintToken(ctxAs("t"), "", "boss", time.Hour)
	mustCode(t, err, pickwave.EINVALID)
}
