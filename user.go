package pickwave

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"golang.org/x/text/language"
)

// Role is what a user may do on the floor.
type Role string

// Roles. A picker works its own tasks; a packer runs a pack station; a
// supervisor plans waves and manages inventory and orders; an admin also
// manages users and stations.
const (
	RolePicker     Role = "picker"
	RolePacker     Role = "packer"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RolePicker, RolePacker, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is a person who logs in.
type User struct {
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	Badge string `json:"badge,omitempty"`
	// Locale is the language and formats the user's screens use, a BCP 47
	// tag such as "es" or "es-MX"; empty leaves it to the browser.
	Locale    string    `json:"locale,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxLocaleLen bounds a locale tag; the longest useful ones (language,
// script, region, a variant) are well under it.
const MaxLocaleLen = 35

// localeForm is the shape docs/openapi.yaml promises for a stored locale:
// a language subtag, then subtags of letters and digits.
var localeForm = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// ParseLocale checks a user's locale and returns it in canonical form
// ("es-mx" becomes "es-MX"). Empty is valid and means "the browser's".
// EINVALID for anything that is not a well-formed BCP 47 language tag.
func ParseLocale(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	bad := func() error {
		return &Error{Code: EINVALID, Message: "The locale is not valid.",
			Details: []FieldError{{Field: "locale", Reason: fmt.Sprintf("must be a BCP 47 language tag such as en, es or es-MX, at most %d characters", MaxLocaleLen)}}}
	}
	if len(s) > MaxLocaleLen {
		return "", bad()
	}
	tag, err := language.Parse(s)
	if err != nil || tag == language.Und || !localeForm.MatchString(tag.String()) {
		return "", bad()
	}
	return tag.String(), nil
}

// Session is an authenticated caller, found from a bearer token or cookie.
type Session struct {
	User string `json:"user"`
	Role Role   `json:"role"`
	// Scope limits what the session's token opens: empty for a full
	// session (a password login, a minted token, and every session stored
	// before scopes existed), ScopeHandheld for a badge login.
	Scope     string    `json:"scope,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ScopeHandheld is the scope of a badge login's session: its token opens
// the handheld socket and nothing else. A badge is something a person
// carries and can lose, and badges are easier to guess than passwords, so
// a badge must never become a token for the HTTP API.
const ScopeHandheld = "handheld"

// BadgeRoles are the roles that may log in by badge unless a site says
// otherwise: those who pick and nothing more.
var BadgeRoles = []Role{RolePicker}

// PickRoles may work a cart on a handheld: pickers, and supervisors and
// admins covering for one.
var PickRoles = []Role{RolePicker, RoleSupervisor, RoleAdmin}

// UserService keeps users and their sessions.
type UserService interface {
	// CreateUser adds a user with a password (stored as a bcrypt hash).
	// EINVALID, ECONFLICT.
	CreateUser(ctx context.Context, u *User, password string) error
	// Users lists all users.
	Users(ctx context.Context) ([]*User, error)
	// Login checks a password and returns a new session token;
	// EUNAUTHORIZED for a wrong name or password.
	Login(ctx context.Context, name, password string) (token string, s *Session, err error)
	// LoginBadge opens a session scoped to the handheld socket
	// (ScopeHandheld) for the user whose badge was scanned; EUNAUTHORIZED
	// for an unknown badge and, with the same message, for a badge of a
	// role that may not log in by badge.
	LoginBadge(ctx context.Context, badge string) (token string, s *Session, err error)
	// MintToken returns a token for a role without a password check, for
	// the offline `pickwave token` command.
	MintToken(ctx context.Context, user string, role Role, ttl time.Duration) (string, error)
	// Authenticate returns the session of a token; EUNAUTHORIZED.
	Authenticate(ctx context.Context, token string) (*Session, error)
	// User returns one user; ENOTFOUND.
	User(ctx context.Context, name string) (*User, error)
	// SetLocale sets a user's locale (see ParseLocale; empty clears it)
	// and returns the user. EINVALID, ENOTFOUND.
	SetLocale(ctx context.Context, name, locale string) (*User, error)
	// Logout ends a session.
	Logout(ctx context.Context, token string) error
}

// DeviceSignOut is the payload of a device.signed_out event: a supervisor
// ended the session a device was logged in with.
type DeviceSignOut struct {
	Device  string `json:"device"`            // the connection's id in the device list
	Kind    string `json:"kind"`              // handheld or station
	User    string `json:"user"`              // who was logged in on it
	Name    string `json:"name,omitempty"`    // a handheld's own name
	Station string `json:"station,omitempty"` // a station socket's station
}
