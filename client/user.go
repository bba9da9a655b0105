package client

import (
	"context"
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
)

// UserService logs in and keeps users over the API.
type UserService struct{ c *Client }

var _ pickwave.UserService = (*UserService)(nil)

// CreateUser adds a user with a password (admin only). EINVALID,
// ECONFLICT.
func (s *UserService) CreateUser(ctx context.Context, u *pickwave.User, password string) error {
	in := struct {
		Name     string        `json:"name"`
		Role     pickwave.Role `json:"role"`
		Password string        `json:"password"`
		Badge    string        `json:"badge,omitempty"`
		Locale   string        `json:"locale,omitempty"`
	}{u.Name, u.Role, password, u.Badge, u.Locale}
	return s.c.do(ctx, call{method: "POST", path: "/api/v1/users", in: in, out: u})
}

// Users lists all users (admin only).
func (s *UserService) Users(ctx context.Context) ([]*pickwave.User, error) {
	var res struct {
		Users []*pickwave.User `json:"users"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/users", out: &res}); err != nil {
		return nil, err
	}
	return res.Users, nil
}

// Login checks a password and returns a new session's token, without
// making the client use it (Client.Login does). EUNAUTHORIZED, ETOOMANY.
func (s *UserService) Login(ctx context.Context, name, password string) (string, *pickwave.Session, error) {
	in := struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{name, password}
	var res struct {
		Token     string        `json:"token"`
		User      string        `json:"user"`
		Role      pickwave.Role `json:"role"`
		ExpiresAt string        `json:"expires_at"`
	}
	none := ""
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/login", in: in, out: &res, token: &none}); err != nil {
		return "", nil, err
	}
	exp, err := time.Parse(time.RFC3339, res.ExpiresAt)
	if err != nil {
		return "", nil, fmt.Errorf("POST /api/v1/login: expires_at: %w", err)
	}
	return res.Token, &pickwave.Session{User: res.User, Role: res.Role, ExpiresAt: exp}, nil
}

// LoginBadge has no HTTP route: EMETHOD. A badge logs in on the handheld
// socket only (package handheld).
func (s *UserService) LoginBadge(ctx context.Context, badge string) (string, *pickwave.Session, error) {
	return "", nil, noRoute("UserService.LoginBadge", "a badge logs in on the handheld socket (package handheld)")
}

// MintToken has no HTTP route: EMETHOD. Tokens are minted offline by
// `pickwave token`; Login makes one over the API.
func (s *UserService) MintToken(ctx context.Context, user string, role pickwave.Role, ttl time.Duration) (string, error) {
	return "", noRoute("UserService.MintToken", "run `pickwave token` on the server, or Login")
}

// Authenticate returns the session of token (GET /api/v1/me with it);
// EUNAUTHORIZED.
func (s *UserService) Authenticate(ctx context.Context, token string) (*pickwave.Session, error) {
	var sess pickwave.Session
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/me", token: &token, out: &sess}); err != nil {
		return nil, err
	}
	return &sess, nil
}

// User returns one user from the user list (admin only); ENOTFOUND.
func (s *UserService) User(ctx context.Context, name string) (*pickwave.User, error) {
	users, err := s.Users(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Name == name {
			return u, nil
		}
	}
	return nil, pickwave.Errorf(pickwave.ENOTFOUND, "User %s not found.", name)
}

// SetLocale sets the locale of the client's own user (PATCH
// /api/v1/me): over the API a user sets only their own, so name must be
// the caller's (EFORBIDDEN otherwise). EINVALID.
func (s *UserService) SetLocale(ctx context.Context, name, locale string) (*pickwave.User, error) {
	var me pickwave.Session
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/me", out: &me}); err != nil {
		return nil, err
	}
	if me.User != name {
		return nil, pickwave.Errorf(pickwave.EFORBIDDEN, "Over the API a user sets only their own locale.")
	}
	var u pickwave.User
	in := struct {
		Locale string `json:"locale"`
	}{locale}
	if err := s.c.do(ctx, call{method: "PATCH", path: "/api/v1/me", in: in, out: &u}); err != nil {
		return nil, err
	}
	return &u, nil
}

// Logout ends the session of token.
func (s *UserService) Logout(ctx context.Context, token string) error {
	return s.c.do(ctx, call{method: "POST", path: "/api/v1/logout", token: &token})
}
