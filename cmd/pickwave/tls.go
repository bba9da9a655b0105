package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pickwave/pickwave/internal/syncfile"
)

// Self-signed certificates: where they are kept under the data directory,
// how long they last, and how early before the end a new one is made.
const (
	selfSignedDir     = "tls"
	selfSignedLife    = 3 * 365 * 24 * time.Hour
	selfSignedRenewIn = 30 * 24 * time.Hour
)

// serverTLS builds the server's TLS configuration from cfg: nil when TLS
// is off, the given certificate and key, or a self-signed certificate
// made on first start and kept in the data directory. It logs the
// certificate's SHA-256 fingerprint, which handhelds pin.
func serverTLS(cfg Config, logger *slog.Logger) (*tls.Config, error) {
	var (
		cert tls.Certificate
		err  error
	)
	switch {
	case cfg.TLSCert != "" || cfg.TLSKey != "":
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, errors.New("tls: give both --tls-cert and --tls-key")
		}
		if cfg.TLSSelfSigned {
			return nil, errors.New("tls: --tls-self-signed and --tls-cert exclude each other")
		}
		cert, err = tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("tls: load %s and %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
	case cfg.TLSSelfSigned:
		cert, err = selfSigned(filepath.Join(cfg.Data, selfSignedDir), tlsHosts(cfg), time.Now(), logger)
		if err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("tls: parse the certificate: %w", err)
	}
	logger.Info("TLS certificate", "subject", leaf.Subject.String(), "names", slices.Concat(leaf.DNSNames, ipStrings(leaf.IPAddresses)),
		"expires", leaf.NotAfter.Format(time.DateOnly), "sha256", Fingerprint(leaf.Raw))
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Fingerprint is the SHA-256 of a DER certificate as colon-separated
// upper-case hex, as `openssl x509 -noout -fingerprint -sha256` prints it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return strings.Join(parts, ":")
}

// pinned returns a TLS client configuration that trusts exactly the
// certificate with the given fingerprint (any case, colons optional), as
// a handheld does with a self-signed server.
func pinned(fingerprint string) (*tls.Config, error) {
	want := strings.ToUpper(strings.ReplaceAll(fingerprint, ":", ""))
	if len(want) != 64 {
		return nil, fmt.Errorf("tls fingerprint %q: want the 64 hex digits of a SHA-256", fingerprint)
	}
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin below, which checks the whole certificate
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server sent no certificate")
			}
			got := strings.ReplaceAll(Fingerprint(cs.PeerCertificates[0].Raw), ":", "")
			if got != want {
				return fmt.Errorf("tls: the server's certificate has fingerprint %s, not the pinned one", Fingerprint(cs.PeerCertificates[0].Raw))
			}
			return nil
		},
	}, nil
}

// tlsHosts are the names a self-signed certificate is made for: the
// configured ones, the listen address's host, this machine's name and
// addresses, and localhost.
func tlsHosts(cfg Config) []string {
	hosts := slices.Clone(cfg.TLSHosts)
	if h, _, err := net.SplitHostPort(cfg.Addr); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	hosts = append(hosts, "localhost", "127.0.0.1", "::1")
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

// selfSigned loads the certificate kept in dir, or makes and keeps a new
// one for hosts when there is none or it expires within
// selfSignedRenewIn. The key file is readable by its owner only.
func selfSigned(dir string, hosts []string, now time.Time, logger *slog.Logger) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	switch {
	case err == nil:
		leaf, perr := x509.ParseCertificate(cert.Certificate[0])
		if perr == nil && now.Add(selfSignedRenewIn).Before(leaf.NotAfter) {
			// A name it lacks (a new address) is only a warning: handhelds
			// pin the fingerprint, which a new certificate would change.
			if !covers(leaf, hosts) {
				logger.Warn("TLS: the self-signed certificate does not name every address of this machine; delete it to make a new one (handhelds must then pin the new fingerprint)",
					"file", certPath, "names", slices.Concat(leaf.DNSNames, ipStrings(leaf.IPAddresses)))
			}
			return cert, nil
		}
		logger.Warn("TLS: the self-signed certificate expires within 30 days; making a new one (handhelds must pin its fingerprint again)",
			"file", certPath)
	case !errors.Is(err, fs.ErrNotExist):
		return tls.Certificate{}, fmt.Errorf("tls: load the self-signed certificate in %s: %w (delete the directory to make a new one)", dir, err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: make a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: make a serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Pickwave floor server", Organization: []string{"Pickwave"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: make the certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: encode the key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %w", err)
	}
	if err := syncfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %w", err)
	}
	if err := syncfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %w", err)
	}
	logger.Info("TLS: made a self-signed certificate", "file", certPath, "names", hosts)
	return tls.LoadX509KeyPair(certPath, keyPath)
}

// covers says whether cert names every host.
func covers(cert *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}
