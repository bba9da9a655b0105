package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave/internal/testenv"
)

// serveTLS runs `pickwave serve` with args on dir until the test ends and
// returns its URL and the fingerprint it logged.
func serveTLS(t *testing.T, dir string, args ...string) (url, fingerprint string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testenv.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json"}, args...), io.Discard, logs)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(stop)
	fingerprint = waitForLog(t, logs, "TLS certificate", "sha256")
	url = waitForLog(t, logs, "pickwave serving", "addr")
	return url, fingerprint, stop
}

func pinnedClient(t *testing.T, fingerprint string) *http.Client {
	t.Helper()
	cfg, err := pinned(fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

func TestServe_selfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	url, fp, stop := serveTLS(t, dir, "--tls-self-signed", "--tls-hosts", "floor-pc.example")
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serving at %q, want https", url)
	}
	res, err := pinnedClient(t, fp).Get(url + "/healthz")
	if err != nil {
		t.Fatalf("pinned client: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	// A pin of another certificate is refused.
	other := strings.Repeat("AB:", 31) + "AB"
	if _, err := pinnedClient(t, other).Get(url + "/healthz"); err == nil || !strings.Contains(err.Error(), "not the pinned one") {
		t.Fatalf("wrong pin: %v", err)
	}
	key, err := os.Stat(filepath.Join(dir, "tls", "key.pem"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", key, err)
	}
	stop()

	// The certificate is kept: a restart serves the same one.
	_, again, _ := serveTLS(t, dir, "--tls-self-signed")
	if again != fp {
		t.Fatalf("fingerprint changed across a restart: %s, then %s", fp, again)
	}
}

func TestServe_givenCertificate(t *testing.T) {
	certDir := t.TempDir()
	cert, err := selfSigned(certDir, []string{"localhost", "127.0.0.1"}, time.Now(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	url, fp, _ := serveTLS(t, t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile)
	if fp != Fingerprint(cert.Certificate[0]) {
		t.Fatalf("served fingerprint %s, want the given certificate's", fp)
	}
	res, err := pinnedClient(t, fp).Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "give both"},
		{[]string{"--tls-cert", keyFile, "--tls-key", keyFile}, "load"},
		{[]string{"--tls-cert", certFile, "--tls-key", keyFile, "--tls-self-signed"}, "exclude each other"},
	} {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tt.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve %v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}
