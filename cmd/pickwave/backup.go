package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

// runBackup writes a verified backup of a store: from a running server
// through GET /api/v1/backup (--server, --token), from the data
// directory of a stopped one (--data), or of a replicated site from etcd
// (--etcd, --site: its snapshot and log, pulled). The file is written atomically
// and kept only when it passes the check of `pickwave check`.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	srv := fs.String("server", "", "`URL` of a running server, such as http://127.0.0.1:8080")
	token := fs.String("token", "", "an admin's bearer `token` (default $PICKWAVE_TOKEN)")
	data := fs.String("data", "", "data `directory` of a stopped server (instead of --server)")
	out := fs.String("out", "", "backup `file` to write, or a directory to write pickwave-<time>.db into")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up a download after this `long`")
	sf := addSiteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup takes no arguments, got %q", fs.Args())
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required: the backup file, or a directory for it")
	}
	if sources := btoi(*srv != "") + btoi(*data != "") + btoi(len(h.Etcd) > 0); sources != 1 {
		return errors.New("give one of --server URL (a running server), --data DIR (a stopped one) or --etcd URLS (a replicated site)")
	}
	path := *out
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, server.BackupName(time.Now()))
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists, and a backup never overwrites a file: give another name, or a directory", path)
	}
	var info store.FileInfo
	switch {
	case len(h.Etcd) > 0:
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		info, err = backupSite(ctx, h, path, stderr)
	case *data != "":
		info, err = store.BackupFile(*data, path)
	default:
		if *token == "" {
			*token = os.Getenv("PICKWAVE_TOKEN")
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		info, err = downloadBackup(ctx, *srv, *token, path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes, schema version %d, %d events; checked: ok\n", info.Path, info.Size, info.SchemaVersion, info.Events)
	return nil
}

// downloadBackup fetches GET /api/v1/backup into a verified file at path.
func downloadBackup(ctx context.Context, base, token, path string) (store.FileInfo, error) {
	url := strings.TrimSuffix(base, "/") + "/api/v1/backup"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return store.FileInfo{}, fmt.Errorf("backup from %s: %w", base, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return store.FileInfo{}, fmt.Errorf("backup from %s: %w", base, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var body struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		if json.Unmarshal(data, &body) == nil && body.Error.Message != "" {
			return store.FileInfo{}, &pickwave.Error{Code: body.Error.Code, Message: fmt.Sprintf("backup from %s: %s %s", base, res.Status, body.Error.Message)}
		}
		return store.FileInfo{}, fmt.Errorf("backup from %s: %s", base, res.Status)
	}
	return store.WriteFile(path, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, res.Body)
		if err == nil && res.ContentLength >= 0 && n != res.ContentLength {
			err = fmt.Errorf("the download is cut short: %d of %d bytes", n, res.ContentLength)
		}
		if err != nil {
			return n, fmt.Errorf("backup from %s: %w", base, err)
		}
		return n, nil
	})
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runRestore puts a backup in place of a stopped server's store, or of a
// replicated site's data in etcd (--etcd: a push of the backup).
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup `file` to restore")
	data := fs.String("data", DefaultConfig().Data, "data `directory` of a stopped server")
	sf := addSiteFlags(fs)
	force, wait := addForceFlags(fs, "restore", "--etcd")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("restore takes no arguments, got %q", fs.Args())
	}
	if *from == "" {
		return errors.New("--from is required: the backup file to restore")
	}
	h, err := sf.ha(fs)
	if err != nil {
		return err
	}
	if len(h.Etcd) > 0 {
		if flagGiven(fs, "data") {
			return errors.New("give --data DIR (a stopped server's directory) or --etcd URLS (a replicated site), not both")
		}
		return restoreSite(ctx, h, *from, *force, *wait, stdout, stderr)
	}
	info, kept, err := store.Restore(*from, *data, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d bytes, schema version %d, %d events; checked: ok\n", *from, info.Path, info.Size, info.SchemaVersion, info.Events)
	if kept != "" {
		fmt.Fprintf(stdout, "the store it replaced is kept as %s\n", kept)
	}
	return nil
}
