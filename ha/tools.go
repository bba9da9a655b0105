package ha

// Tools for operators: what etcd holds for a site (Status), the site's
// data as a standalone store (Pull), and a check of the log itself
// (CheckLog). They read; none of them takes the lead.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/pickwave/pickwave/store"
)

// Status is what etcd holds for a site, read at one revision.
type Status struct {
	Site     string `json:"site"`
	Revision int64  `json:"revision"`
	// Leader is the leader's URL, "" when no node leads.
	Leader string `json:"leader"`
	// Nodes are the nodes campaigning, the leader first.
	Nodes []NodeStatus `json:"nodes"`
	// Snapshot is the latest snapshot, nil before the site is created.
	Snapshot *SnapshotStatus `json:"snapshot"`
	Log      LogStatus       `json:"log"`
	// Members are the etcd members the client reaches, as each answers.
	Members []MemberStatus `json:"members"`
}

// NodeStatus is one node in the site's election.
type NodeStatus struct {
	URL    string `json:"url"`
	Leader bool   `json:"leader"`
	Lease  string `json:"lease"`
	// TTLSeconds is what is left of its lease: a node that died loses
	// its place when it reaches 0.
	TTLSeconds int64 `json:"ttl_seconds"`
}

// SnapshotStatus is the record of the site's latest snapshot.
type SnapshotStatus struct {
	SiteID string    `json:"site_id"`
	Index  uint64    `json:"index"`
	Bytes  int64     `json:"bytes"`
	Parts  int       `json:"parts"`
	Schema int       `json:"schema"`
	Taken  time.Time `json:"taken"`
	SHA256 string    `json:"sha256"`
}

// LogStatus is the part of the log after the snapshot that etcd holds.
type LogStatus struct {
	// First and Last are the indexes of the first and last entries, 0
	// when the log is empty (all of it is in the snapshot).
	First   uint64 `json:"first"`
	Last    uint64 `json:"last"`
	Entries int64  `json:"entries"`
}

// MemberStatus is one etcd member's answer to a status request.
type MemberStatus struct {
	Endpoint    string `json:"endpoint"`
	ID          string `json:"id,omitempty"`
	Version     string `json:"version,omitempty"`
	Leader      bool   `json:"leader"`
	RaftTerm    uint64 `json:"raft_term,omitempty"`
	DBSize      int64  `json:"db_size,omitempty"`
	DBSizeInUse int64  `json:"db_size_in_use,omitempty"`
	Err         string `json:"error,omitempty"`
}

// Status reads what etcd holds for the site.
func (s *Site) Status(ctx context.Context) (*Status, error) {
	st := &Status{Site: s.cfg.Site}
	snap, err := s.client.Get(ctx, s.snapKey())
	if err != nil {
		return nil, fmt.Errorf("read the snapshot record: %w", err)
	}
	rev := snap.Header.Revision
	st.Revision = rev
	if len(snap.Kvs) > 0 {
		rec, err := s.readSnapAt(ctx, rev)
		if err != nil {
			return nil, err
		}
		st.Snapshot = &SnapshotStatus{SiteID: rec.SiteID, Index: rec.Index, Bytes: rec.Bytes, Parts: rec.Parts,
			Schema: rec.Schema, Taken: rec.Taken, SHA256: rec.SHA256}
	}
	nodes, err := s.client.Get(ctx, s.electionPrefix()+"/", clientv3.WithPrefix(), clientv3.WithRev(rev),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		return nil, fmt.Errorf("read the election: %w", err)
	}
	for i, kv := range nodes.Kvs {
		n := NodeStatus{URL: string(kv.Value), Leader: i == 0, Lease: strconv.FormatInt(kv.Lease, 16), TTLSeconds: -1}
		if ttl, err := s.client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease)); err == nil {
			n.TTLSeconds = ttl.TTL
		}
		if n.Leader {
			st.Leader = n.URL
		}
		st.Nodes = append(st.Nodes, n)
	}
	count, err := s.client.Get(ctx, s.logKey(0), clientv3.WithRange(s.logEnd()), clientv3.WithRev(rev), clientv3.WithCountOnly())
	if err != nil {
		return nil, fmt.Errorf("count the log: %w", err)
	}
	st.Log.Entries = count.Count
	if count.Count > 0 {
		for _, end := range []struct {
			to   *uint64
			sort clientv3.SortOrder
		}{{&st.Log.First, clientv3.SortAscend}, {&st.Log.Last, clientv3.SortDescend}} {
			resp, err := s.client.Get(ctx, s.logKey(0), clientv3.WithRange(s.logEnd()), clientv3.WithRev(rev),
				clientv3.WithKeysOnly(), clientv3.WithLimit(1), clientv3.WithSort(clientv3.SortByKey, end.sort))
			if err != nil {
				return nil, fmt.Errorf("read the log's ends: %w", err)
			}
			if len(resp.Kvs) == 1 {
				if *end.to, err = s.indexOf(resp.Kvs[0].Key); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, ep := range s.client.Endpoints() {
		m := MemberStatus{Endpoint: ep}
		mctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := s.client.Status(mctx, ep)
		cancel()
		if err != nil {
			m.Err = err.Error()
		} else {
			m.ID = strconv.FormatUint(resp.Header.MemberId, 16)
			m.Version, m.RaftTerm = resp.Version, resp.RaftTerm
			m.Leader = resp.Leader == resp.Header.MemberId
			m.DBSize, m.DBSizeInUse = resp.DbSize, resp.DbSizeInUse
		}
		st.Members = append(st.Members, m)
	}
	return st, nil
}

// readSnapAt reads the snapshot record at revision rev (0: the latest),
// nil when there is none.
func (s *Site) readSnapAt(ctx context.Context, rev int64) (*snapRecord, error) {
	resp, err := s.client.Get(ctx, s.snapKey(), clientv3.WithRev(rev))
	if err != nil {
		return nil, fmt.Errorf("read the snapshot record: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	var r snapRecord
	if err := json.Unmarshal(resp.Kvs[0].Value, &r); err != nil {
		return nil, fmt.Errorf("snapshot record: %w", err)
	}
	return &r, nil
}

// Pull writes the site's data into dir as a standalone store file: the
// latest snapshot, then every entry of the log after it. It returns the
// index of the last entry applied. dir must hold no store (pull into a
// new directory, then move the file; see store.Restore). It works while
// the site serves: what it writes is the site as of the moment it
// reached the log's end, every acknowledged write up to then included.
func (s *Site) Pull(ctx context.Context, dir string, opts store.Options) (uint64, error) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return 0, fmt.Errorf("pull into %s: it holds a store already", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("pull: %w", err)
	}
	opts.Follow = true
	for attempt := 1; ; attempt++ {
		applied, err := s.pull(ctx, dir, opts)
		if err == nil || !errors.Is(err, ErrBehind) || attempt == 3 {
			return applied, err
		}
		// A snapshot compacted the log meanwhile: start again from it.
		s.logger.Info("the site took a snapshot during the pull; starting again from it", "err", err)
		if err := os.Remove(filepath.Join(dir, store.FileName)); err != nil {
			return 0, fmt.Errorf("pull: %w", err)
		}
	}
}

func (s *Site) pull(ctx context.Context, dir string, opts store.Options) (uint64, error) {
	if _, err := s.Restore(ctx, dir); err != nil {
		return 0, err
	}
	db, err := store.Open(dir, opts)
	if err != nil {
		return 0, err
	}
	_, err = s.CatchUp(ctx, db)
	applied, _, aerr := db.Applied()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = aerr
	}
	if err != nil {
		return applied, fmt.Errorf("pull the log after the snapshot: %w", err)
	}
	return applied, nil
}

// LogCheck is what CheckLog found.
type LogCheck struct {
	// Snapshot is the index of the snapshot the log follows.
	Snapshot uint64 `json:"snapshot"`
	// Last is the index of the last entry, Entries how many there are.
	Last    uint64 `json:"last"`
	Entries int    `json:"entries"`
	// Problems are what is wrong, empty when the log is sound.
	Problems []string `json:"problems"`
}

// maxLogProblems bounds the problems CheckLog lists.
const maxLogProblems = 50

// CheckLog checks the site's log at one revision: the snapshot's parts
// are all there and hash to its record's SHA-256, the entries follow the
// snapshot with contiguous indexes, and every entry (its parts too)
// decompresses. It does not apply the entries (Pull does). A snapshot
// taken during the check makes it fail with an error, not a problem: run
// it again.
func (s *Site) CheckLog(ctx context.Context) (*LogCheck, error) {
	first, err := s.client.Get(ctx, s.snapKey())
	if err != nil {
		return nil, fmt.Errorf("read the snapshot record: %w", err)
	}
	rev := first.Header.Revision
	rec, err := s.readSnapAt(ctx, rev)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, ErrNoSite
	}
	c := &LogCheck{Snapshot: rec.Index}
	problem := func(format string, args ...any) {
		if len(c.Problems) < maxLogProblems {
			c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
		}
	}
	// The snapshot: every part, hashed.
	h := sha256.New()
	var size int64
	for n := 0; n < rec.Parts; n++ {
		resp, err := s.client.Get(ctx, s.snapPartPrefix(rec.SiteID, rec.Index)+fmt.Sprintf("%06d", n), clientv3.WithRev(rev))
		if err != nil {
			return nil, fmt.Errorf("read snapshot part %d: %w", n, err)
		}
		if len(resp.Kvs) != 1 {
			problem("snapshot %d: part %d of %d is missing", rec.Index, n, rec.Parts)
			continue
		}
		h.Write(resp.Kvs[0].Value)
		size += int64(len(resp.Kvs[0].Value))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); len(c.Problems) == 0 && (sum != rec.SHA256 || size != rec.Bytes) {
		problem("snapshot %d: %d bytes hashing to %s, its record says %d bytes, %s", rec.Index, size, sum, rec.Bytes, rec.SHA256)
	}
	// The entries after it, in pages.
	prev, from := rec.Index, s.logKey(0)
	for {
		resp, err := s.client.Get(ctx, from, clientv3.WithRange(s.logEnd()), clientv3.WithRev(rev), clientv3.WithLimit(256))
		if err != nil {
			return nil, fmt.Errorf("read the log: %w", err)
		}
		for _, kv := range resp.Kvs {
			index, err := s.indexOf(kv.Key)
			if err != nil {
				problem("%v", err)
				continue
			}
			c.Entries++
			switch {
			case index <= rec.Index:
				problem("entry %d is still in the log, though the snapshot holds it (snapshot at %d)", index, rec.Index)
			case index == prev+2:
				problem("entry %d is missing: the log jumps from %d to %d", prev+1, prev, index)
			case index != prev+1:
				problem("entries %d to %d are missing: the log jumps from %d to %d", prev+1, index-1, prev, index)
			}
			if _, err := s.entry(ctx, index, kv.Value); err != nil {
				problem("%v", err)
			}
			prev, c.Last = max(prev, index), max(c.Last, index)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	if len(c.Problems) > 0 {
		// The parts of a chunked entry are read at the latest revision;
		// a snapshot meanwhile deletes them with the entries it holds.
		if now, err := s.readSnap(ctx); err == nil && now != nil && (now.Index != rec.Index || now.SiteID != rec.SiteID) {
			return nil, errors.New("the site took a snapshot during the check: run it again")
		}
	}
	return c, nil
}
