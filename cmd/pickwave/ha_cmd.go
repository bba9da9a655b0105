package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/ha"
	"github.com/pickwave/pickwave/store"
)

// The commands that work on a replicated site's data in etcd (README,
// "High availability", and docs/ha.md): `pickwave ha push|pull|status`,
// and backup, check and restore given --etcd.

const haUsage = `Usage:
  pickwave ha push   --etcd URLS [--site main] --data DIR [--force [--wait 1m]]
                     make a stopped server's data directory the site's data in etcd
  pickwave ha pull   --etcd URLS [--site main] --data DIR [--force]
                     write the site's data as a standalone store in DIR (back to bbolt)
  pickwave ha status --etcd URLS [--site main] [--json]
                     the site's leader, nodes, snapshot, log, and etcd members

Every one also takes --config FILE (serve's config file, for its etcd settings), --etcd-ca,
--etcd-cert, --etcd-key, --etcd-user and --etcd-password-file, as serve does.
Run "pickwave ha COMMAND --help" for a command's flags.
`

// runHA dispatches `pickwave ha COMMAND`.
func runHA(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, haUsage)
		return errors.New("ha: no command given")
	}
	switch args[0] {
	case "push":
		return runHAPush(ctx, args[1:], stdout, stderr)
	case "pull":
		return runHAPull(ctx, args[1:], stdout, stderr)
	case "status":
		return runHAStatus(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, haUsage)
		return nil
	}
	fmt.Fprint(stderr, haUsage)
	return fmt.Errorf("ha: unknown command %q", args[0])
}

// siteFlags are the flags of a command that reaches a site: serve's
// etcd flags (addEtcdFlags) and --config, whose etcd settings they
// override.
type siteFlags struct {
	etcd   *etcdFlags
	config *string
}

func addSiteFlags(fs *flag.FlagSet) *siteFlags {
	return &siteFlags{
		etcd:   addEtcdFlags(fs, DefaultConfig().HA.Site),
		config: fs.String("config", "", "serve's JSON config `file`, for its etcd settings; flags override it"),
	}
}

// ha returns the etcd settings after fs is parsed; no endpoints means
// the command is not about a replicated site.
func (s *siteFlags) ha(fs *flag.FlagSet) (HAConfig, error) {
	cfg := DefaultConfig()
	if *s.config != "" {
		if err := loadConfig(*s.config, &cfg); err != nil {
			return cfg.HA, err
		}
	}
	fs.Visit(func(f *flag.Flag) { s.etcd.set(f.Name, &cfg.HA) })
	if err := cfg.HA.validate(); err != nil {
		return cfg.HA, err
	}
	return cfg.HA, nil
}

// connectSite connects a tool to the site; purpose names it among the
// site's nodes (in etcd's election, while it pushes).
func connectSite(ctx context.Context, h HAConfig, purpose string, logger *slog.Logger) (*ha.Site, error) {
	if len(h.Etcd) == 0 {
		return nil, errors.New("--etcd is required: the etcd members' client URLs")
	}
	host, _ := os.Hostname()
	return connectAs(ctx, h, "pickwave-"+purpose+"@"+host, "", logger)
}

// connectAs connects to the site as node at url (empty for a tool), with
// the etcd TLS and auth settings of h.
func connectAs(ctx context.Context, h HAConfig, node, url string, logger *slog.Logger) (*ha.Site, error) {
	tlsCfg, err := etcdTLS(h)
	if err != nil {
		return nil, err
	}
	password, err := etcdPassword(h)
	if err != nil {
		return nil, err
	}
	return ha.Connect(ctx, ha.Config{Endpoints: h.Etcd, TLS: tlsCfg, Username: h.User, Password: password,
		Site: h.Site, Node: node, URL: url, LeaseTTL: time.Duration(h.LeaseTTL), Logger: logger})
}

// etcdPassword reads --etcd-password-file, "" without one.
func etcdPassword(h HAConfig) (string, error) {
	if h.PasswordFile == "" {
		return "", nil
	}
	data, err := os.ReadFile(h.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("etcd password: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// addForceFlags adds --force and --wait to a command that replaces a
// site's data (what: "push", "restore"); when says in which use they
// apply ("" for always, "--etcd").
func addForceFlags(fs *flag.FlagSet, what, when string) (force *bool, wait *time.Duration) {
	with := "with "
	if when != "" {
		what, with = "with "+when+": "+what, with+when+" "
	}
	force = fs.Bool("force", false, what+" even though a leader holds the site: wait until its lead ends (see --wait)")
	wait = fs.Duration("wait", time.Minute, with+"--force: give up waiting for the lead after this `long`")
	return force, wait
}

// toolLogger logs a tool's warnings and errors to stderr; what it did,
// it prints.
func toolLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func runHAPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ha push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSiteFlags(fs)
	data := fs.String("data", "", "data `directory` of a stopped server: its store becomes the site's data")
	force, wait := addForceFlags(fs, "push", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ha push takes no arguments, got %q", fs.Args())
	}
	if *data == "" {
		return errors.New("--data is required: the data directory whose store becomes the site's data")
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	logger := toolLogger(stderr)
	site, err := connectSite(ctx, h, "push", logger)
	if err != nil {
		return err
	}
	defer site.Close()
	return pushSite(ctx, site, *data, *force, *wait, logger, stdout)
}

// pushSite checks the store in dir, then makes it the site's data
// (ha.Push). It refuses while a leader holds the site, unless force:
// then it waits up to wait for the lead.
func pushSite(ctx context.Context, site *ha.Site, dir string, force bool, wait time.Duration, logger *slog.Logger, stdout io.Writer) error {
	info, err := store.VerifyFile(filepath.Join(dir, store.FileName))
	if err != nil {
		return fmt.Errorf("push %s: the store is not sound, nothing was pushed: %w", dir, err)
	}
	before, err := site.Status(ctx)
	if err != nil {
		return err
	}
	if before.Leader != "" && !force {
		return &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: fmt.Sprintf(
			"site %s is served by its leader at %s: stop the site's nodes first, or give --force to wait for its lead to end", before.Site, before.Leader)}
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := ha.Push(pctx, site, dir, store.Options{Logger: logger}); err != nil {
		if pctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("push: the site's lead was not free within %s (a node still serves it): %w", wait, err)
		}
		return fmt.Errorf("push %s: %w", dir, err)
	}
	after, err := site.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pushed %s to site %s: %d bytes, schema version %d, %d events; site id %s, snapshot at index %d (%d bytes compressed)\n",
		dir, after.Site, info.Size, info.SchemaVersion, info.Events, after.Snapshot.SiteID, after.Snapshot.Index, after.Snapshot.Bytes)
	if before.Snapshot != nil {
		fmt.Fprintf(stdout, "it replaced the site's data of site id %s (log up to index %d); every node starts again from the new snapshot\n",
			before.Snapshot.SiteID, max(before.Snapshot.Index, before.Log.Last))
	}
	return nil
}

func runHAPull(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ha pull", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSiteFlags(fs)
	data := fs.String("data", "", "data `directory` to write the site's store into")
	force := fs.Bool("force", false, "replace a store already in --data (it is kept beside it as pickwave.db.before-restore-<time>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ha pull takes no arguments, got %q", fs.Args())
	}
	if *data == "" {
		return errors.New("--data is required: the directory to write the site's store into")
	}
	if _, err := os.Stat(filepath.Join(*data, store.FileName)); err == nil && !*force {
		return fmt.Errorf("%s holds a store already: pull into a new directory, or give --force to replace it (the old file is kept beside it)", *data)
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	logger := toolLogger(stderr)
	site, err := connectSite(ctx, h, "pull", logger)
	if err != nil {
		return err
	}
	defer site.Close()
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	tmp, applied, err := pullTemp(ctx, site, *data, logger)
	if tmp != "" {
		defer os.RemoveAll(tmp)
	}
	if err != nil {
		return err
	}
	info, kept, err := store.Restore(filepath.Join(tmp, store.FileName), *data, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled site %s into %s: the log up to index %d, %d bytes, schema version %d, %d events; checked: ok\n",
		h.Site, info.Path, applied, info.Size, info.SchemaVersion, info.Events)
	if kept != "" {
		fmt.Fprintf(stdout, "the store it replaced is kept as %s\n", kept)
	}
	return nil
}

// pullTemp pulls the site's data into a new temporary directory in
// parent; the caller removes the directory it returns.
func pullTemp(ctx context.Context, site *ha.Site, parent string, logger *slog.Logger) (string, uint64, error) {
	tmp, err := os.MkdirTemp(parent, ".pickwave-pull-*")
	if err != nil {
		return "", 0, fmt.Errorf("pull: %w", err)
	}
	applied, err := site.Pull(ctx, tmp, store.Options{Logger: logger})
	if err != nil {
		return tmp, 0, err
	}
	return tmp, applied, nil
}

func runHAStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ha status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addSiteFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ha status takes no arguments, got %q", fs.Args())
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	site, err := connectSite(ctx, h, "status", toolLogger(stderr))
	if err != nil {
		return err
	}
	defer site.Close()
	st, err := site.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStatus(stdout, st)
	return nil
}

func printStatus(out io.Writer, st *ha.Status) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "site %s\t(etcd revision %d)\n", st.Site, st.Revision)
	if st.Leader == "" {
		fmt.Fprintln(w, "leader:\tnone")
	} else {
		fmt.Fprintf(w, "leader:\t%s\n", st.Leader)
	}
	for _, n := range st.Nodes {
		role := "standby"
		if n.Leader {
			role = "leader"
		}
		fmt.Fprintf(w, "node:\t%s\t%s, lease %s, %ds left\n", n.URL, role, n.Lease, n.TTLSeconds)
	}
	if s := st.Snapshot; s == nil {
		fmt.Fprintln(w, "snapshot:\tnone: the site was never created (no node has led it, nothing was pushed)")
	} else {
		fmt.Fprintf(w, "snapshot:\tindex %d, %d bytes compressed in %d parts, schema version %d, taken %s, site id %s\n",
			s.Index, s.Bytes, s.Parts, s.Schema, s.Taken.Format(time.RFC3339), s.SiteID)
	}
	if st.Log.Entries == 0 {
		fmt.Fprintln(w, "log:\tempty (everything is in the snapshot)")
	} else {
		fmt.Fprintf(w, "log:\tentries %d to %d, %d of them\n", st.Log.First, st.Log.Last, st.Log.Entries)
	}
	for _, m := range st.Members {
		if m.Err != "" {
			fmt.Fprintf(w, "etcd:\t%s\tunreachable: %s\n", m.Endpoint, m.Err)
			continue
		}
		role := "follower"
		if m.Leader {
			role = "leader"
		}
		fmt.Fprintf(w, "etcd:\t%s\tmember %s, v%s, %s (term %d), db %d bytes (%d in use)\n",
			m.Endpoint, m.ID, m.Version, role, m.RaftTerm, m.DBSize, m.DBSizeInUse)
	}
}

// backupSite writes a checked backup of the site's data to path: a pull
// into a temporary directory beside it, then the backup of that store.
func backupSite(ctx context.Context, h HAConfig, path string, stderr io.Writer) (store.FileInfo, error) {
	logger := toolLogger(stderr)
	site, err := connectSite(ctx, h, "backup", logger)
	if err != nil {
		return store.FileInfo{Path: path}, err
	}
	defer site.Close()
	tmp, _, err := pullTemp(ctx, site, filepath.Dir(path), logger)
	if tmp != "" {
		defer os.RemoveAll(tmp)
	}
	if err != nil {
		return store.FileInfo{Path: path}, err
	}
	return store.BackupFile(tmp, path)
}

// checkSite checks a site's log, then its data: pulled into a temporary
// directory and checked as `pickwave check --file` checks a store. It
// prints "ok" and what it checked, or every problem, and fails then.
func checkSite(ctx context.Context, h HAConfig, stdout, stderr io.Writer) error {
	logger := toolLogger(stderr)
	site, err := connectSite(ctx, h, "check", logger)
	if err != nil {
		return err
	}
	defer site.Close()
	lc, err := site.CheckLog(ctx)
	if err != nil {
		return fmt.Errorf("check the log of site %s: %w", h.Site, err)
	}
	if len(lc.Problems) > 0 {
		for _, p := range lc.Problems {
			fmt.Fprintln(stdout, p)
		}
		fmt.Fprintln(stdout, "the store was not checked: its log must be sound first")
		return fmt.Errorf("the log of site %s is not sound", h.Site)
	}
	tmp, applied, err := pullTemp(ctx, site, os.TempDir(), logger)
	if tmp != "" {
		defer os.RemoveAll(tmp)
	}
	if err != nil {
		fmt.Fprintln(stdout, err)
		return fmt.Errorf("the data of site %s could not be pulled", h.Site)
	}
	info, err := store.VerifyFile(filepath.Join(tmp, store.FileName))
	if err != nil {
		fmt.Fprintln(stdout, err)
		return fmt.Errorf("the store of site %s is not sound", h.Site)
	}
	fmt.Fprintf(stdout, "ok: snapshot at index %d, %d log entries after it, the store at index %d: %d bytes, schema version %d, %d events\n",
		lc.Snapshot, lc.Entries, applied, info.Size, info.SchemaVersion, info.Events)
	return nil
}

// restoreSite pushes the backup at from as the site's data, once it is
// checked.
func restoreSite(ctx context.Context, h HAConfig, from string, force bool, wait time.Duration, stdout, stderr io.Writer) error {
	logger := toolLogger(stderr)
	site, err := connectSite(ctx, h, "restore", logger)
	if err != nil {
		return err
	}
	defer site.Close()
	tmp, err := os.MkdirTemp("", "pickwave-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	if _, _, err := store.Restore(from, tmp, time.Now()); err != nil {
		return err
	}
	return pushSite(ctx, site, tmp, force, wait, logger, stdout)
}
