package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/internal/etcdtest"
	"github.com/pickwave/pickwave/store"
)

// haRun runs a pickwave command against the cluster's site; it returns
// what it printed.
func haRun(t *testing.T, c *etcdtest.Cluster, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--etcd", strings.Join(c.Endpoints(), ","))
	err := run(context.Background(), args, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("%v: stderr: %s", args[:2], errOut.String())
	}
	return out.String(), err
}

func haMust(t *testing.T, c *etcdtest.Cluster, args ...string) string {
	t.Helper()
	out, err := haRun(t, c, args...)
	if err != nil {
		t.Fatalf("pickwave %s: %v\n%s", strings.Join(args, " "), describe(err), out)
	}
	return out
}

// haNode opens a node of the site "main" on dir and makes it the leader.
func haNode(t *testing.T, c *etcdtest.Cluster, dir string) (*store.DB, *ha.Site) {
	t.Helper()
	site, err := ha.Connect(context.Background(), ha.Config{Endpoints: c.Endpoints(), Site: "main", Node: "a",
		URL: "http://node-a:8080", LeaseTTL: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { site.Close() })
	n, err := ha.Open(context.Background(), site, dir, store.Options{Logger: slog.New(slog.DiscardHandler), PasswordCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	db, _, err := n.Lead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return db, site
}

// addSKUs writes n SKUs, one commit (one log entry) each.
func addSKUs(t *testing.T, db *store.DB, prefix string, n int) {
	t.Helper()
	ctx := pickwave.WithActor(context.Background(), "test")
	for i := range n {
		if err := db.CreateSKU(ctx, &pickwave.SKU{Code: fmt.Sprintf("%s-%03d", prefix, i), Name: "x", WeightG: 100}); err != nil {
			t.Fatal(err)
		}
	}
}

func seededDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler), NoSync: true, PasswordCost: bcrypt.MinCost}) // unchecked: closed once seeded, then pushed, which verifies the file
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(context.Background(), db, demo.Site{Aisles: 2, Bays: 5, Levels: 2, SKUs: 40, Orders: 20, Seed: 1, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHA_pushAndPull moves a bbolt demo store to etcd and back, on a
// three-member cluster: `ha push` makes it the site's data (pulled at
// once, it is the same data); a node leads the site and writes; while it
// serves, `ha push` refuses, `ha status` shows it, and `ha pull` takes
// the site's data live — the leader's file to the byte once it stops.
// `ha pull` refuses a directory holding a store unless --force, which
// keeps the old file.
func TestHA_pushAndPull(t *testing.T) {
	t.Parallel()
	c := etcdtest.Start(t, 3)
	src := seededDir(t)
	out := haMust(t, c, "ha", "push", "--data", src)
	if !strings.Contains(out, "pushed "+src+" to site main") || !strings.Contains(out, "snapshot at index 0") {
		t.Fatalf("push said %q", out)
	}
	var st ha.Status
	if err := json.Unmarshal([]byte(haMust(t, c, "ha", "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Leader != "" || st.Snapshot == nil || st.Snapshot.Index != 0 || st.Log.Entries != 0 || len(st.Members) != 3 {
		t.Fatalf("status after the push: %+v", st)
	}
	first := filepath.Join(t.TempDir(), "first")
	haMust(t, c, "ha", "pull", "--data", first)
	if err := etcdtest.SameData(filepath.Join(src, store.FileName), filepath.Join(first, store.FileName)); err != nil {
		t.Fatalf("pulled after the push: %v", err)
	}

	// A node leads the site from the pushed directory and writes.
	db, _ := haNode(t, c, src)
	addSKUs(t, db, "LIVE", 12)
	_, err := haRun(t, c, "ha", "push", "--data", first)
	if err == nil || !strings.Contains(describe(err), "served by its leader at http://node-a:8080") {
		t.Fatalf("push while a leader serves: %v", err)
	}
	text := haMust(t, c, "ha", "status")
	t.Logf("ha status:\n%s", text)
	if !strings.Contains(text, "leader:    http://node-a:8080") || !strings.Contains(text, "of them") {
		t.Fatalf("status while leading:\n%s", text)
	}
	if err := json.Unmarshal([]byte(haMust(t, c, "ha", "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Leader != "http://node-a:8080" || len(st.Nodes) != 1 || st.Nodes[0].TTLSeconds <= 0 || st.Log.First != 1 || st.Log.Last < 12 || st.Log.Entries != int64(st.Log.Last) {
		t.Fatalf("status while leading: %+v", st)
	}

	back := filepath.Join(t.TempDir(), "back")
	out = haMust(t, c, "ha", "pull", "--data", back)
	if !strings.Contains(out, fmt.Sprintf("the log up to index %d", st.Log.Last)) {
		t.Fatalf("pull said %q", out)
	}
	if _, err := haRun(t, c, "ha", "pull", "--data", back); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("pull into a directory with a store: %v", err)
	}
	out = haMust(t, c, "ha", "pull", "--data", back, "--force")
	if !strings.Contains(out, "kept as") {
		t.Fatalf("pull --force said %q", out)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := etcdtest.SameData(db.Path(), filepath.Join(back, store.FileName)); err != nil {
		t.Fatalf("pulled from the live site: %v", err)
	}
	if err := store.CheckFile(back); err != nil {
		t.Fatal(err)
	}
	// Served alone, from bbolt, it has what the leader wrote.
	alone, err := store.Open(back, store.Options{Logger: slog.New(slog.DiscardHandler), PasswordCost: bcrypt.MinCost}) // unchecked: the pulled file was checked just above
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	if sku, err := alone.SKU(context.Background(), "LIVE-011"); err != nil || sku.Code != "LIVE-011" {
		t.Fatalf("a SKU the leader wrote, in the pulled store: %v, %v", sku, err)
	}
}

// TestHA_checkFindsADamagedLog: `check --etcd` passes a sound site, then
// finds an entry whose value was damaged behind Pickwave's back, an entry
// missing from the middle of the log, and a snapshot whose part was
// changed; each time it names it and fails.
func TestHA_checkFindsADamagedLog(t *testing.T) {
	c := etcdtest.Start(t, 1)
	db, site := haNode(t, c, t.TempDir())
	addSKUs(t, db, "SKU", 8)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out := haMust(t, c, "check")
	if !strings.HasPrefix(out, "ok: snapshot at index 0, 8 log entries") {
		t.Fatalf("check of a sound site: %q", out)
	}
	cli, bg := site.Client(), context.Background()
	key := func(i int) string { return fmt.Sprintf("/pickwave/main/log/%020d", i) }
	good, err := cli.Get(bg, key(3))
	if err != nil || len(good.Kvs) != 1 {
		t.Fatalf("entry 3: %v %v", good, err)
	}
	expectProblem := func(what, want string) {
		t.Helper()
		out, err := haRun(t, c, "check")
		if err == nil || !strings.Contains(err.Error(), "not sound") || !strings.Contains(out, want) {
			t.Fatalf("check of a site with %s: %v\n%s", what, err, out)
		}
	}

	if _, err := cli.Put(bg, key(3), "Z"+"not deflate at all"); err != nil {
		t.Fatal(err)
	}
	expectProblem("a damaged entry", "log entry 3:")
	if _, err := cli.Put(bg, key(3), string(good.Kvs[0].Value)); err != nil {
		t.Fatal(err)
	}
	haMust(t, c, "check")

	if _, err := cli.Delete(bg, key(5)); err != nil {
		t.Fatal(err)
	}
	expectProblem("a missing entry", "entry 5 is missing: the log jumps from 4 to 6")

	part, err := cli.Get(bg, "/pickwave/main/snap/", clientv3.WithPrefix())
	if err != nil || len(part.Kvs) == 0 {
		t.Fatalf("snapshot parts: %v", err)
	}
	v := bytes.Clone(part.Kvs[0].Value)
	v[len(v)/2] ^= 0xff
	if _, err := cli.Put(bg, string(part.Kvs[0].Key), string(v)); err != nil {
		t.Fatal(err)
	}
	expectProblem("a changed snapshot", "hashing to")
}

// TestHA_backupAndRestore: `backup --etcd` writes a checked backup of a
// live site; the leader writes on; `restore --etcd` refuses while it
// serves, and once it stopped puts the backup in place: a new leader
// has what the backup had, and not what came after it.
func TestHA_backupAndRestore(t *testing.T) {
	c := etcdtest.Start(t, 1)
	db, _ := haNode(t, c, t.TempDir())
	addSKUs(t, db, "BEFORE", 5)
	file := filepath.Join(t.TempDir(), "site.db")
	out := haMust(t, c, "backup", "--out", file)
	if !strings.Contains(out, "checked: ok") {
		t.Fatalf("backup said %q", out)
	}
	if _, err := store.VerifyFile(file); err != nil {
		t.Fatal(err)
	}
	if _, err := haRun(t, c, "backup", "--out", filepath.Join(t.TempDir(), "x.db"), "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "give one of") {
		t.Fatalf("backup with --etcd and --data: %v", err)
	}
	addSKUs(t, db, "AFTER", 3)
	if _, err := haRun(t, c, "restore", "--from", file); err == nil || !strings.Contains(describe(err), "served by its leader") {
		t.Fatalf("restore while a leader serves: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out = haMust(t, c, "restore", "--from", file)
	if !strings.Contains(out, "it replaced the site's data") {
		t.Fatalf("restore said %q", out)
	}
	haMust(t, c, "check")
	if _, err := haRun(t, c, "check", "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "only one") {
		t.Fatalf("check with --etcd and --data: %v", err)
	}

	// A node whose file is of the site's former data starts from the
	// restored snapshot (the old file kept beside it).
	dir := filepath.Dir(db.Path())
	db2, _ := haNode(t, c, dir)
	defer db2.Close()
	ctx := context.Background()
	if _, err := db2.SKU(ctx, "BEFORE-004"); err != nil {
		t.Fatalf("a SKU from before the backup: %v", err)
	}
	if _, err := db2.SKU(ctx, "AFTER-000"); pickwave.ErrorCode(err) != pickwave.ENOTFOUND {
		t.Fatalf("a SKU from after the backup: %v, want not found", err)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, store.FileName+".before-*"))
	if len(kept) != 1 {
		t.Fatalf("the node's former file is not kept: %v", kept)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
}

// TestHA_docsConfigLoads: the node's config file in docs/ha.md is one
// serve reads, with every etcd setting where the text says.
func TestHA_docsConfigLoads(t *testing.T) {
	data, err := os.ReadFile("../../docs/ha.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```json\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/ha.md has no JSON config block")
	}
	path := filepath.Join(t.TempDir(), "pickwave.json")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if err := loadConfig(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.HA.validate(); err != nil {
		t.Fatal(err)
	}
	h := cfg.HA
	if len(h.Etcd) != 3 || h.Site != "main" || h.Node != "pick-1" || h.URL == "" || h.CA == "" || h.Cert == "" || h.Key == "" ||
		h.User == "" || h.PasswordFile == "" || time.Duration(h.LeaseTTL) != 3*time.Second || len(cfg.Peers) != 2 {
		t.Fatalf("docs/ha.md config: %+v", h)
	}
}

// TestHA_toolsWithEtcdAuth: with etcd's auth on, the site's user, allowed
// /pickwave/main/ and nothing else (as docs/ha.md sets it up), can push,
// read the status, check and pull; a wrong password and another site
// are refused.
func TestHA_toolsWithEtcdAuth(t *testing.T) {
	c := etcdtest.Start(t, 1)
	bg := context.Background()
	root, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	steps := []func() error{
		func() error { _, err := root.UserAdd(bg, "root", "rootpw"); return err },
		func() error { _, err := root.UserGrantRole(bg, "root", "root"); return err },
		func() error { _, err := root.RoleAdd(bg, "pickwave-main"); return err },
		func() error {
			_, err := root.RoleGrantPermission(bg, "pickwave-main", "/pickwave/main/", clientv3.GetPrefixRangeEnd("/pickwave/main/"), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := root.UserAdd(bg, "pickwave-main", "s3cret"); return err },
		func() error { _, err := root.UserGrantRole(bg, "pickwave-main", "pickwave-main"); return err },
		func() error { _, err := root.AuthEnable(bg); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("auth setup step %d: %v", i, err)
		}
	}
	secrets := t.TempDir()
	good, bad := filepath.Join(secrets, "good"), filepath.Join(secrets, "bad")
	if err := os.WriteFile(good, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("guess\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	as := func(file string, args ...string) []string {
		return append(args, "--etcd-user", "pickwave-main", "--etcd-password-file", file)
	}
	haMust(t, c, as(good, "ha", "push", "--data", seededDir(t))...)
	if out := haMust(t, c, as(good, "ha", "status")...); !strings.Contains(out, "snapshot:  index 0") || strings.Contains(out, "unreachable") {
		t.Fatalf("status as the site's user:\n%s", out)
	}
	haMust(t, c, as(good, "check")...)
	haMust(t, c, as(good, "ha", "pull", "--data", t.TempDir())...)
	if _, err := haRun(t, c, as(bad, "ha", "status")...); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, err := haRun(t, c, as(good, "ha", "status", "--site", "other")...); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("another site's keys: %v", err)
	}
}
