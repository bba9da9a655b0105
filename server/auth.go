package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// SessionCookie is the cookie the web UI's login sets.
const SessionCookie = "pickwave_session"

const sessionKey = "pickwave.session"

// authenticate finds the caller's session from a bearer token or the
// session cookie, and refuses the request without one.
func (s *Server) authenticate(c *gin.Context) {
	token := requestToken(c.Request)
	sess, err := s.Users.Authenticate(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		return
	}
	if sess.Scope != "" {
		// A badge login's token opens the handheld socket only.
		s.fail(c, errScoped)
		return
	}
	c.Set(sessionKey, sess)
	c.Request = c.Request.WithContext(pickwave.WithActor(c.Request.Context(), sess.User))
	c.Next()
}

var errScoped = pickwave.Errorf(pickwave.EUNAUTHORIZED, "This token opens only the handheld socket; log in with a user name and password.")

// requestToken is the request's bearer token, else its session cookie.
func requestToken(r *http.Request) string {
	if token := bearer(r); token != "" {
		return token
	}
	if ck, err := r.Cookie(SessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func session(c *gin.Context) *pickwave.Session {
	v, _ := c.Get(sessionKey)
	sess, _ := v.(*pickwave.Session)
	return sess
}

// allow lets only the given roles through.
func (s *Server) allow(roles ...pickwave.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		sess := session(c)
		if sess == nil || !slices.Contains(roles, sess.Role) {
			s.fail(c, pickwave.Errorf(pickwave.EFORBIDDEN, "Your role may not do this; it needs one of %v.", roles))
			return
		}
		c.Next()
	}
}

// Role sets used by the routes.
var (
	anyRole   = []pickwave.Role{pickwave.RolePicker, pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin}
	managers  = []pickwave.Role{pickwave.RoleSupervisor, pickwave.RoleAdmin}
	adminOnly = []pickwave.Role{pickwave.RoleAdmin}
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string        `json:"token"`
	User      string        `json:"user"`
	Role      pickwave.Role `json:"role"`
	ExpiresAt string        `json:"expires_at"`
}

func (s *Server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	attempt := loginAttempt{remote: remoteHost(c.Request.RemoteAddr), account: accountKey("user", req.Username)}
	token, sess, wait, err := s.guardLogin(c.Request.Context(), attempt, func() (string, *pickwave.Session, error) {
		return s.Users.Login(c.Request.Context(), req.Username, req.Password)
	})
	if err != nil {
		if wait > 0 {
			c.Header("Retry-After", strconv.Itoa(int(wait/time.Second)))
		}
		s.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil, Expires: sess.ExpiresAt,
	})
	c.JSON(http.StatusOK, loginResponse{Token: token, User: sess.User, Role: sess.Role, ExpiresAt: sess.ExpiresAt.Format("2006-01-02T15:04:05Z07:00")})
}

// logout ends the caller's session, if it still has one, and always
// clears the session cookie, so a stale cookie can be got rid of.
func (s *Server) logout(c *gin.Context) {
	token := bearer(c.Request)
	if ck, err := c.Request.Cookie(SessionCookie); err == nil && token == "" {
		token = ck.Value
	}
	if token != "" {
		if err := s.Users.Logout(c.Request.Context(), token); err != nil {
			s.fail(c, err)
			return
		}
		s.signOutToken(token, "signed out")
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil})
	c.Status(http.StatusNoContent)
}

// meResponse is the caller's session with the user's locale, so a screen
// picks its language from one call.
type meResponse struct {
	*pickwave.Session
	Locale string `json:"locale,omitempty"`
	// Peers are the site's other servers (Server.Peers), where the pages
	// open their sockets when this one is down.
	Peers []string `json:"peers,omitempty"`
}

func (s *Server) me(c *gin.Context) {
	sess := session(c)
	loc, err := s.userLocale(c.Request.Context(), sess.User)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, meResponse{Session: sess, Locale: loc, Peers: s.Peers})
}

// userLocale is a user's locale; empty for a user not in the store (a
// `pickwave token` session names a role, not a user).
func (s *Server) userLocale(ctx context.Context, name string) (string, error) {
	u, err := s.Users.User(ctx, name)
	if pickwave.ErrorCode(err) == pickwave.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return u.Locale, nil
}

type updateMeRequest struct {
	Locale *string `json:"locale"`
}

// updateMe sets the caller's own preferences: today the locale.
func (s *Server) updateMe(c *gin.Context) {
	var req updateMeRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Locale == nil {
		s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "Nothing to change.",
			Details: []pickwave.FieldError{{Field: "locale", Reason: "is required"}}})
		return
	}
	u, err := s.Users.SetLocale(c.Request.Context(), session(c).User, *req.Locale)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

type createUserRequest struct {
	Name     string        `json:"name"`
	Role     pickwave.Role `json:"role"`
	Password string        `json:"password"`
	Badge    string        `json:"badge"`
	Locale   string        `json:"locale"`
}

func (s *Server) createUser(c *gin.Context) {
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	u := &pickwave.User{Name: req.Name, Role: req.Role, Badge: req.Badge, Locale: req.Locale}
	if err := s.Users.CreateUser(c.Request.Context(), u, req.Password); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (s *Server) listUsers(c *gin.Context) {
	users, err := s.Users.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
}
