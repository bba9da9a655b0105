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
	}{u.Name, u.Role, password, u.Badge}
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

// Logout ends the session of token.
func (s *UserService) Logout(ctx context.Context, token string) error {
	return s.c.do(ctx, call{method: "POST", path: "/api/v1/logout", token: &token})
}
