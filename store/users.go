package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pickwave/pickwave"
)

// SessionTTL is how long a login lasts: a long shift.
const SessionTTL = 14 * time.Hour

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 4

// storedUser is a user with its password hash, which never leaves the store.
type storedUser struct {
	*pickwave.User
	PasswordHash []byte `json:"password_hash"`
}

// CreateUser adds a user whose password is kept as a bcrypt hash.
func (db *DB) CreateUser(ctx context.Context, u *pickwave.User, password string) error {
	var fe pickwave.FieldErrors
	if u.Name == "" || len(u.Name) > pickwave.MaxCodeLen {
		fe.Add("name", "is required, at most %d characters", pickwave.MaxCodeLen)
	}
	if !u.Role.Valid() {
		fe.Add("role", "must be one of %v", pickwave.Roles)
	}
	if len(password) < MinPasswordLen || len(password) > 72 {
		fe.Add("password", "must be %d to 72 characters", MinPasswordLen)
	}
	if loc, err := pickwave.ParseLocale(u.Locale); err != nil {
		fe.Add("locale", "must be a BCP 47 language tag such as en, es or es-MX, at most %d characters", pickwave.MaxLocaleLen)
	} else {
		u.Locale = loc
	}
	if err := fe.Err("The user is not valid."); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), db.passwordCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return db.update(ctx, func(t *txn) error {
		if t.Get(spaceUsers, []byte(u.Name)) != nil {
			return pickwave.Errorf(pickwave.ECONFLICT, "User %s already exists.", u.Name)
		}
		if u.Badge != "" {
			if other, err := t.userByBadge(u.Badge); err != nil {
				return err
			} else if other != nil {
				return pickwave.Errorf(pickwave.ECONFLICT, "Badge %s already belongs to %s.", u.Badge, other.Name)
			}
		}
		u.CreatedAt = t.now
		if err := t.putJSON(spaceUsers, []byte(u.Name), storedUser{User: u, PasswordHash: hash}); err != nil {
			return err
		}
		if u.Badge != "" {
			if err := t.Put(spaceBadges, []byte(u.Badge), []byte(u.Name)); err != nil {
				return err
			}
		}
		_, err := t.appendEvent(pickwave.EventUserCreated, "user/"+u.Name, u)
		return err
	})
}

// Users lists every user by name.
func (db *DB) Users(ctx context.Context) ([]*pickwave.User, error) {
	var out []*pickwave.User
	err := db.view(ctx, func(t *txn) error {
		return t.Scan(spaceUsers, nil, nil, func(k, v []byte) error {
			su := storedUser{User: new(pickwave.User)}
			if err := decode(spaceUsers, k, v, &su); err != nil {
				return err
			}
			out = append(out, su.User)
			return nil
		})
	})
	return out, err
}

// User returns one user; ENOTFOUND.
func (db *DB) User(ctx context.Context, name string) (*pickwave.User, error) {
	su := storedUser{User: new(pickwave.User)}
	var found bool
	err := db.view(ctx, func(t *txn) (err error) {
		found, err = t.getJSON(spaceUsers, []byte(name), &su)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, pickwave.Errorf(pickwave.ENOTFOUND, "User %s not found.", truncateName(name))
	}
	return su.User, nil
}

// SetLocale sets the locale a user's screens use; empty clears it.
func (db *DB) SetLocale(ctx context.Context, name, locale string) (*pickwave.User, error) {
	loc, err := pickwave.ParseLocale(locale)
	if err != nil {
		return nil, err
	}
	var u *pickwave.User
	err = db.update(ctx, func(t *txn) error {
		su := storedUser{User: new(pickwave.User)}
		found, err := t.getJSON(spaceUsers, []byte(name), &su)
		if err != nil {
			return err
		}
		if !found {
			return pickwave.Errorf(pickwave.ENOTFOUND, "User %s not found.", truncateName(name))
		}
		su.Locale = loc
		u = su.User
		return t.putJSON(spaceUsers, []byte(name), su)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// truncateName bounds a caller's name echoed in an error.
func truncateName(s string) string {
	if len(s) > pickwave.MaxCodeLen {
		return s[:pickwave.MaxCodeLen]
	}
	return s
}

var errBadLogin = pickwave.Errorf(pickwave.EUNAUTHORIZED, "Wrong user name or password.")

// Login checks a user's password and opens a session.
func (db *DB) Login(ctx context.Context, name, password string) (string, *pickwave.Session, error) {
	su := storedUser{User: new(pickwave.User)}
	var found bool
	err := db.view(ctx, func(t *txn) (err error) {
		found, err = t.getJSON(spaceUsers, []byte(name), &su)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if !found {
		// Spend the same time as a real check so names cannot be probed.
		_ = bcrypt.CompareHashAndPassword(db.dummyHash(), []byte(password))
		return "", nil, errBadLogin
	}
	if bcrypt.CompareHashAndPassword(su.PasswordHash, []byte(password)) != nil {
		return "", nil, errBadLogin
	}
	return db.newSession(ctx, su.Name, su.Role, "", SessionTTL)
}

var errBadBadge = pickwave.Errorf(pickwave.EUNAUTHORIZED, "Unknown badge.")

// LoginBadge opens a session for the user with the badge, scoped to the
// handheld socket. A badge is something the user has, like a key card;
// sites that need more use passwords. Only the roles of Options.BadgeRoles
// may log in by badge; any other badge gets the unknown badge's answer, so
// that guessing cannot tell a manager's badge from no badge.
func (db *DB) LoginBadge(ctx context.Context, badge string) (string, *pickwave.Session, error) {
	if badge == "" {
		return "", nil, errBadBadge
	}
	var u *storedUser
	err := db.view(ctx, func(t *txn) (err error) {
		u, err = t.userByBadge(badge)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	if u == nil || !slices.Contains(db.badgeRoles, u.Role) {
		return "", nil, errBadBadge
	}
	return db.newSession(ctx, u.Name, u.Role, pickwave.ScopeHandheld, SessionTTL)
}

// userByBadge finds the user with the badge through the badge index; nil
// when nobody has it.
func (t *txn) userByBadge(badge string) (*storedUser, error) {
	name := t.Get(spaceBadges, []byte(badge))
	if name == nil {
		return nil, nil
	}
	su := storedUser{User: new(pickwave.User)}
	ok, err := t.getJSON(spaceUsers, name, &su)
	if err != nil {
		return nil, err
	}
	if !ok || su.Badge != badge {
		return nil, fmt.Errorf("badge %s: index names user %s, who does not have it", badge, name)
	}
	return &su, nil
}

// dummyHash is a hash at the store's password cost, checked for a user
// who does not exist so that the answer takes as long as for one who does.
func (db *DB) dummyHash() []byte {
	db.dummyOnce.Do(func() {
		db.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), db.passwordCost)
	})
	return db.dummy
}

// maxTokenTTL bounds a minted token's lifetime.
const maxTokenTTL = 366 * 24 * time.Hour

// MintToken opens a session for a role without a password, for the
// offline `pickwave token` command, which has the data directory itself.
// EINVALID for an unknown role or a lifetime that is not positive or
// longer than a year.
func (db *DB) MintToken(ctx context.Context, user string, role pickwave.Role, ttl time.Duration) (string, error) {
	if !role.Valid() {
		return "", &pickwave.Error{Code: pickwave.EINVALID, Message: "Unknown role.",
			Details: []pickwave.FieldError{{Field: "role", Reason: fmt.Sprintf("must be one of %v", pickwave.Roles)}}}
	}
	if ttl <= 0 || ttl > maxTokenTTL {
		return "", &pickwave.Error{Code: pickwave.EINVALID, Message: "The token's lifetime is not valid.",
			Details: []pickwave.FieldError{{Field: "ttl", Reason: fmt.Sprintf("must be positive and at most %s", maxTokenTTL)}}}
	}
	if user == "" {
		user = string(role)
	}
	token, _, err := db.newSession(ctx, user, role, "", ttl)
	return token, err
}

func (db *DB) newSession(ctx context.Context, user string, role pickwave.Role, scope string, ttl time.Duration) (string, *pickwave.Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("make token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var s *pickwave.Session
	err := db.update(ctx, func(t *txn) error {
		s = &pickwave.Session{User: user, Role: role, Scope: scope, CreatedAt: t.now, ExpiresAt: t.now.Add(ttl)}
		return t.putJSON(spaceSessions, tokenKey(token), s)
	})
	if err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// tokenKey stores a hash, so a copy of the database file holds no usable token.
func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

var errBadToken = pickwave.Errorf(pickwave.EUNAUTHORIZED, "Log in first: the token is missing, unknown or expired.")

// Authenticate returns the live session of a token.
func (db *DB) Authenticate(ctx context.Context, token string) (*pickwave.Session, error) {
	if token == "" {
		return nil, errBadToken
	}
	s := new(pickwave.Session)
	var found bool
	err := db.view(ctx, func(t *txn) (err error) {
		found, err = t.getJSON(spaceSessions, tokenKey(token), s)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found || !db.now().Before(s.ExpiresAt) {
		return nil, errBadToken
	}
	return s, nil
}

// Logout ends the session of a token.
func (db *DB) Logout(ctx context.Context, token string) error {
	return db.update(ctx, func(t *txn) error {
		return t.Delete(spaceSessions, tokenKey(token))
	})
}

// SignOutDevice ends the session of a token for a supervisor, and logs
// it as a device.signed_out event in the same transaction. A token
// already ended is no error: the event is logged all the same.
func (db *DB) SignOutDevice(ctx context.Context, token string, d pickwave.DeviceSignOut) error {
	return db.update(ctx, func(t *txn) error {
		if token != "" {
			if err := t.Delete(spaceSessions, tokenKey(token)); err != nil {
				return err
			}
		}
		_, err := t.appendEvent(pickwave.EventDeviceSignedOut, "user/"+d.User, d)
		return err
	})
}
