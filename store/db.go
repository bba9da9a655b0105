package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	boltErrors "go.etcd.io/bbolt/errors"
	"golang.org/x/crypto/bcrypt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/wave"
)

// FileName is the name of the database file inside the data directory.
const FileName = "pickwave.db"

// Options configure Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the data directory. Zero means one second; it never waits forever.
	LockTimeout time.Duration
	// Now is the clock; nil means time.Now. Tests pass a fixed clock.
	Now func() time.Time
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
	// PickRules are the site's pick rules (shelf life); the zero value
	// refuses only expired units.
	PickRules wave.Rules
	// NoSync skips fsync on commit. Only for benchmarks that measure
	// everything but the disk; never in production.
	NoSync bool
	// CommitPerWrite turns group commit off: every write gets a
	// transaction and an fsync of its own. Only for benchmarks that
	// measure what group commit gains; false (group commit) in production.
	CommitPerWrite bool
	// BadgeRoles are the roles whose users may log in by badge; nil means
	// pickwave.BadgeRoles (pickers only). A badge of any other role is
	// refused like an unknown badge.
	BadgeRoles []pickwave.Role
	// MaxPendingWrites bounds the writes waiting for the committer; one
	// more is refused at once, unwritten, as overload (see admission.go).
	// Zero means DefaultMaxPendingWrites; negative, no bound.
	MaxPendingWrites int
	// MaxWriteWait bounds how long a write may wait for its turn; one
	// that waited longer is refused, unwritten, when its batch starts.
	// Zero means DefaultMaxWriteWait; negative, no bound.
	MaxWriteWait time.Duration
	// PasswordCost is the bcrypt cost of new password hashes; zero means
	// bcrypt.DefaultCost. Only tests lower it (bcrypt.MinCost): a hash at
	// the default cost takes a second under the race detector.
	PasswordCost int
	// Follow opens the store as a follower of a replicated site's log
	// (see replicate.go): it refuses writes, and Apply brings it up to
	// date, until Lead makes it the leader.
	Follow bool
	// CountTolerance is how many units a blind count may differ from the
	// books and still be accepted at the first count; beyond it someone
	// else counts again. Zero means a count must agree exactly.
	CountTolerance int
}

// DB is the Pickwave store: one bbolt file holding every entity and the
// event log. It implements the service interfaces of package pickwave.
type DB struct {
	bolt *bolt.DB
	path string
	now  func() time.Time

	archiveDir string // the event archive, ArchiveDirName beside the file; see archive.go
	logger     *slog.Logger
	rules      wave.Rules

	badgeRoles   []pickwave.Role // see Options.BadgeRoles
	passwordCost int             // see Options.PasswordCost
	dummyOnce    sync.Once
	dummy        []byte // see dummyHash

	countTolerance int // see Options.CountTolerance

	commitPerWrite bool          // see Options.CommitPerWrite
	maxPending     int           // see Options.MaxPendingWrites; 0: none
	maxWait        time.Duration // see Options.MaxWriteWait; 0: none
	stats          writeStats
	cache          *recordCache // the committer's; see recordcache.go
	repl           replication  // see replicate.go

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after a commit that appended events

	writes        chan *writeReq // to the committer goroutine
	committerDone chan struct{}
	submitMu      sync.RWMutex // guards closed against sends on a closed writes
	closed        bool

	// unsynced says the store leads with its file unsynced (stopSyncing).
	unsynced atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store in dir and runs any pending
// migrations. A second process opening the same dir gets an EUNAVAILABLE
// error saying the directory is in use, after LockTimeout.
func Open(dir string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BadgeRoles == nil {
		opts.BadgeRoles = pickwave.BadgeRoles
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	aside, err := recoverUnsynced(path)
	if err != nil {
		return nil, err
	}
	if aside != "" {
		opts.Logger.Warn("the machine stopped while this file's leader did not sync it: moved aside, the store starts empty",
			"moved_to", aside)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoSync: opts.NoSync})
	if errors.Is(err, boltErrors.ErrTimeout) {
		return nil, &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: fmt.Sprintf(
			"data directory %s is in use by another pickwave process (stop it, or use another --data)", dir)}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// bbolt keeps the mode of an existing file; insist on 0600 for ours.
	if err := os.Chmod(path, 0o600); err != nil {
		b.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, archiveDir: filepath.Join(dir, ArchiveDirName), now: opts.Now, logger: opts.Logger, rules: opts.PickRules, badgeRoles: opts.BadgeRoles,
		countTolerance: max(0, opts.CountTolerance), commitPerWrite: opts.CommitPerWrite, passwordCost: orDefault(opts.PasswordCost, bcrypt.DefaultCost),
		maxPending: orDefault(opts.MaxPendingWrites, DefaultMaxPendingWrites), maxWait: orDefault(opts.MaxWriteWait, DefaultMaxWriteWait),
		cache:   newRecordCache(),
		changed: make(chan struct{}), writes: make(chan *writeReq, maxBatch), committerDone: make(chan struct{})}
	if err := db.migrate(); err != nil {
		b.Close()
		return nil, err
	}
	db.repl.following.Store(opts.Follow)
	go db.commitLoop()
	return db, nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Close finishes the writes already submitted, then closes the database.
// It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.submitMu.Lock()
		db.closed = true
		close(db.writes)
		db.submitMu.Unlock()
		<-db.committerDone
		db.closeErr = db.resumeSyncing()
		if err := db.bolt.Close(); err != nil && db.closeErr == nil {
			db.closeErr = fmt.Errorf("close store: %w", err)
		}
		if err := db.closeLog(); err != nil && db.closeErr == nil {
			db.closeErr = err
		}
	})
	return db.closeErr
}

// Changed returns a channel that is closed after the next commit that
// appends to the event log. Listeners wait on it, then read the new events.
func (db *DB) Changed() <-chan struct{} {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.changed
}

func (db *DB) signal() {
	db.mu.Lock()
	close(db.changed)
	db.changed = make(chan struct{})
	db.mu.Unlock()
}

// txn is one store transaction: the key-value transaction, the time it
// runs at, who acts, and the events it appends.
type txn struct {
	Tx
	now    time.Time
	actor  string
	events int
	// skus remembers SKUs read in this transaction: a scan looks its SKU
	// up several times, and SKU records do not change inside one.
	skus map[string]*pickwave.SKU
	// tasks remembers tasks read or written in this transaction; putTask
	// keeps it current, so a scan reads its task once.
	tasks map[string]*pickwave.Task
	// orders remembers orders read or written in this transaction; a
	// tote scan takes its units off the order and then checks whether
	// the order is complete.
	orders map[string]*pickwave.Order
	// cache is the committer's record cache; nil in read-only
	// transactions, which run concurrently.
	cache *recordCache
	// countTolerance is Options.CountTolerance.
	countTolerance int
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(t *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(btx *bolt.Tx) error {
		return fn(&txn{Tx: boltTx{btx}, now: db.now().UTC(), actor: pickwave.ActorFrom(ctx), countTolerance: db.countTolerance})
	})
}

// getJSON decodes the value at key into v; false when absent.
func (t *txn) getJSON(space string, key []byte, v any) (bool, error) {
	data := t.Get(space, key)
	if data == nil {
		return false, nil
	}
	if t.cache != nil && t.cache.load(space, key, data, v) {
		return true, nil
	}
	if err := decode(space, key, data, v); err != nil {
		return true, err
	}
	if t.cache != nil {
		t.cache.store(space, key, data, false, v)
	}
	return true, nil
}

func decode(space string, key, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s/%q: %w", space, key, err)
	}
	return nil
}

// putJSON encodes v and stores it at key.
func (t *txn) putJSON(space string, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%q: %w", space, key, err)
	}
	if err := t.Put(space, key, data); err != nil {
		return err
	}
	if t.cache != nil {
		t.cache.store(space, key, data, true, v)
	}
	return nil
}

// appendEvent adds an event to the log in this transaction and returns
// its sequence number.
func (t *txn) appendEvent(typ, entity string, payload any) (uint64, error) {
	seq, err := t.NextSeq(spaceEvents)
	if err != nil {
		return 0, err
	}
	ev := storedEvent{Seq: seq, Type: typ, Entity: entity, Time: t.now, Actor: t.actor, Payload: payload}
	if err := t.putJSON(spaceEvents, u64key(seq), ev); err != nil {
		return 0, err
	}
	t.events++
	return seq, nil
}

// storedEvent encodes as a pickwave.Event does, with the payload encoded
// in the same pass rather than first on its own.
type storedEvent struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	Entity  string    `json:"entity"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Payload any       `json:"payload"`
}

// getEntity reads the entity stored under id, or says it does not exist.
func getEntity[T any](t *txn, space, id, what string) (*T, error) {
	v := new(T)
	ok, err := t.getJSON(space, []byte(id), v)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("%s %s does not exist.", what, id)
	}
	return v, nil
}

func notFound(format string, args ...any) error {
	return pickwave.Errorf(pickwave.ENOTFOUND, format, args...)
}
