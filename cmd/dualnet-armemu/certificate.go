package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/dualnet/dualnet/internal/armemu"
)

// keptCertificate returns the certificate and key of an earlier run from certFile and
// certFile.key, or makes and writes new ones. The key is written first and the certificate
// last, so the certificate file appearing means both are complete (the lab waits for it).
// A new certificate is valid for hosts too, besides the loopback addresses.
func keptCertificate(certFile string, hosts []string) (certPEM, keyPEM []byte, err error) {
	keyFile := certFile + ".key"
	certPEM, errCert := os.ReadFile(certFile)
	keyPEM, errKey := os.ReadFile(keyFile)
	if errCert == nil && errKey == nil {
		return certPEM, keyPEM, nil
	}
	for _, err := range []error{errCert, errKey} {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("--cert-file: %w", err)
		}
	}
	if certPEM, keyPEM, err = armemu.GenerateCertificate(hosts); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, nil, fmt.Errorf("--cert-file: write key: %w", err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return nil, nil, fmt.Errorf("--cert-file: %w", err)
	}
	return certPEM, keyPEM, nil
}

// listenHosts is the host of a --listen address that names one (not 0.0.0.0, [::] or empty):
// a client on another machine dials it, so the certificate must be valid for it.
func listenHosts(listen string) []string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return nil
	}
	return []string{host}
}
